import AttendBasic
import Foundation

/// The functions expressions may call, with Python's (and timm's) semantics.
enum ExprBuiltin: String, CaseIterable, Sendable {
    case min, max, abs, int, float, round, floor, ceil, log2, sqrt, len
    case makeDivisible = "make_divisible"

    /// Parameter names in order; defaults are applied in `apply`.
    private var parameters: [String] {
        switch self {
        case .min, .max: return [] // variadic
        case .abs, .int, .float, .floor, .ceil, .log2, .sqrt: return ["x"]
        case .len: return ["obj"]
        case .round: return ["number", "ndigits"]
        case .makeDivisible: return ["v", "divisor", "min_value", "round_limit"]
        }
    }

    private var requiredCount: Int {
        switch self {
        case .min, .max: return 1
        case .int, .float: return 0 // int() == 0, float() == 0.0
        default: return 1
        }
    }

    /// Python's builtins `abs`, `int`, `float`, `len` and the `math` functions take their
    /// arguments by position only; `round` and `make_divisible` also by keyword.
    private var acceptsKeywords: Bool { self == .round || self == .makeDivisible }

    /// How many argument slots `apply` receives for a call with `count` arguments.
    func slotCount(arguments count: Int) -> Int {
        self == .min || self == .max ? count : parameters.count
    }

    /// Checks a call's shape and returns, for each argument in source order, the
    /// parameter slot it fills (for `min`/`max`, its position).
    func bind(positional: Int, keywords: [(name: String, offset: Int)], at offset: Int) throws(ExprFailure) -> [Int] {
        let name = rawValue
        if self == .min || self == .max {
            if let keyword = keywords.first {
                throw ExprFailure("\(name)() got an unexpected keyword argument '\(keyword.name)'", at: keyword.offset)
            }
            if positional == 0 { throw ExprFailure("\(name)() expected at least 1 argument, got 0", at: offset) }
            return Array(0..<positional)
        }
        if positional > parameters.count {
            let limit = parameters.count == requiredCount ? "exactly" : "at most"
            let noun = parameters.count == 1 ? "argument" : "arguments"
            throw ExprFailure("\(name)() takes \(limit) \(parameters.count) \(noun) (\(positional) given)", at: offset)
        }
        var slots = Array(0..<positional)
        for keyword in keywords {
            guard acceptsKeywords else {
                throw ExprFailure("\(name)() takes no keyword arguments", at: keyword.offset)
            }
            guard let slot = parameters.firstIndex(of: keyword.name) else {
                let suggestion = didYouMean(keyword.name, in: parameters)
                throw ExprFailure("\(name)() got an unexpected keyword argument '\(keyword.name)'\(suggestion)", at: keyword.offset)
            }
            if slots.contains(slot) {
                throw ExprFailure("\(name)() got multiple values for argument '\(keyword.name)'", at: keyword.offset)
            }
            slots.append(slot)
        }
        for slot in 0..<requiredCount where !slots.contains(slot) {
            throw ExprFailure("\(name)() missing required argument '\(parameters[slot])'", at: offset)
        }
        return slots
    }

    /// Calls the function; `arguments[slot]` is nil for a parameter left to its default.
    func apply(_ arguments: [ExprValue?]) throws(ExprFailure) -> ExprValue {
        let x = arguments.first ?? nil
        switch self {
        case .min, .max:
            return try extreme(arguments.compactMap { $0 })
        case .abs:
            let value = x ?? .none
            guard let number = value.number else { throw typeError("bad operand type for abs(): '\(value.typeName)'") }
            switch number {
            case .float(let v): return .float(v.magnitude)
            case .int(let v):
                guard v != Int.min else { throw ExprFailure("integer overflow in abs(\(v))") }
                return .int(Swift.abs(v))
            }
        case .int:
            guard let x else { return .int(0) }
            switch try real(x) {
            case .int(let v): return .int(v)
            case .float(let v): return .int(try integer(v.rounded(.towardZero), from: v))
            }
        case .float:
            guard let x else { return .float(0) }
            return .float(try real(x).double)
        case .round:
            return try roundValue(try real(x ?? .none), digits: arguments.count > 1 ? arguments[1] : nil)
        case .floor, .ceil:
            switch try real(x ?? .none) {
            case .int(let v): return .int(v)
            case .float(let v): return .int(try integer(v.rounded(self == .floor ? .down : .up), from: v))
            }
        case .log2:
            let v = try real(x ?? .none).double
            if v.isNaN || v == .infinity { return .float(v) }
            guard v > 0 else { throw ExprFailure("math domain error: log2(\(ExprValue.float(v))) is undefined") }
            return .float(Foundation.log2(v))
        case .sqrt:
            let v = try real(x ?? .none).double
            guard !(v < 0) else { throw ExprFailure("math domain error: sqrt(\(ExprValue.float(v))) is undefined") }
            return .float(v.squareRoot())
        case .len:
            switch x {
            case .list(let items)?: return .int(items.count)
            case .string(let text)?: return .int(text.unicodeScalars.count)
            default: throw typeError("object of type '\(x?.typeName ?? "NoneType")' has no len()")
            }
        case .makeDivisible:
            return try makeDivisible(arguments)
        }
    }

    /// `min`/`max` as Python: one argument is a sequence to scan; ties keep the first.
    private func extreme(_ values: [ExprValue]) throws(ExprFailure) -> ExprValue {
        var candidates = values
        if values.count == 1 {
            switch values[0] {
            case .list(let items): candidates = items
            case .string(let text): candidates = text.unicodeScalars.map { .string(String($0)) }
            default: throw typeError("'\(values[0].typeName)' object is not iterable")
            }
        }
        guard var best = candidates.first else { throw ExprFailure("\(rawValue)() arg is an empty sequence") }
        for candidate in candidates.dropFirst() {
            if try ExprOps.compare(self == .min ? .less : .greater, candidate, best) { best = candidate }
        }
        return best
    }

    /// `round(number)` rounds half to even and gives an int; `round(number, ndigits)`
    /// keeps the type of `number` (an int stays an int: `round(1250, -2) == 1200`).
    private func roundValue(_ number: ExprNumber, digits: ExprValue?) throws(ExprFailure) -> ExprValue {
        let ndigits: Int?
        switch digits {
        case nil, .none?: ndigits = nil
        case .int(let n)?: ndigits = n
        case .bool(let b)?: ndigits = b ? 1 : 0
        case let other?: throw typeError("'\(other.typeName)' object cannot be interpreted as an integer")
        }
        switch (number, ndigits) {
        case (.int(let v), nil): return .int(v)
        case (.float(let v), nil): return .int(try integer(v.rounded(.toNearestOrEven), from: v))
        case (.int(let v), let n?): return .int(try roundInteger(v, n))
        case (.float(let v), let n?):
            guard let rounded = ExprOps.roundToDecimalPlaces(v, n) else {
                throw ExprFailure("rounded value too large to represent in round(\(ExprValue.float(v)), \(n))")
            }
            return .float(rounded)
        }
    }

    /// Python's `int.__round__` with negative digits: half to even at 10**-n.
    private func roundInteger(_ v: Int, _ n: Int) throws(ExprFailure) -> Int {
        if n >= 0 { return v }
        if n < -19 { return 0 } // 10**20 / 2 exceeds any 64-bit integer
        var unit: UInt64 = 1
        for _ in 0..<(-n) { unit *= 10 } // at most 10**19 < 2**64
        let magnitude = UInt64(v.magnitude)
        let remainder = magnitude % unit
        var rounded = magnitude - remainder
        let half = unit / 2
        if remainder > half || (remainder == half && (rounded / unit) % 2 == 1) {
            let (sum, overflow) = rounded.addingReportingOverflow(unit)
            if overflow { throw ExprFailure("integer overflow in round(\(v), \(n))") }
            rounded = sum
        }
        guard rounded <= (v < 0 ? UInt64(Int.max) + 1 : UInt64(Int.max)) else {
            throw ExprFailure("integer overflow in round(\(v), \(n))")
        }
        return v < 0 ? Int(truncatingIfNeeded: 0 &- rounded) : Int(rounded)
    }

    /// timm's `make_divisible`, step by step in Python semantics:
    /// ```
    /// min_value = min_value or divisor
    /// new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    /// if new_v < round_limit * v: new_v += divisor
    /// ```
    private func makeDivisible(_ arguments: [ExprValue?]) throws(ExprFailure) -> ExprValue {
        let v = arguments[0] ?? .none
        let divisor = (arguments.count > 1 ? arguments[1] : nil) ?? .int(8)
        let minValue = (arguments.count > 2 ? arguments[2] : nil) ?? .none
        let roundLimit = (arguments.count > 3 ? arguments[3] : nil) ?? .float(0.9)
        let floor = minValue.isTruthy ? minValue : divisor
        let half = try ExprOps.binary(.divide, divisor, .int(2))
        let truncated = try ExprBuiltin.int.apply([try ExprOps.binary(.add, v, half)])
        let multiple = try ExprOps.binary(.multiply, try ExprOps.binary(.floorDivide, truncated, divisor), divisor)
        var result = try ExprBuiltin.max.apply([floor, multiple])
        if try ExprOps.compare(.less, result, try ExprOps.binary(.multiply, roundLimit, v)) {
            result = try ExprOps.binary(.add, result, divisor)
        }
        return result
    }

    // MARK: Helpers

    /// The argument as a real number (bool counts as int), or Python's type error.
    private func real(_ value: ExprValue) throws(ExprFailure) -> ExprNumber {
        if let number = value.number { return number }
        if case .string = value {
            throw typeError("\(rawValue)() of a string is not supported (write a number)")
        }
        throw typeError("\(rawValue)() argument must be a real number, not '\(value.typeName)'")
    }

    /// An integral float as an int, with Python's errors for NaN, infinity and overflow.
    private func integer(_ whole: Double, from value: Double) throws(ExprFailure) -> Int {
        if value.isNaN { throw ExprFailure("cannot convert float NaN to integer in \(rawValue)(nan)") }
        if value.isInfinite { throw ExprFailure("cannot convert float infinity to integer in \(rawValue)(\(ExprValue.float(value)))") }
        guard whole >= -0x1p63, whole < 0x1p63 else {
            throw ExprFailure("integer overflow in \(rawValue)(\(ExprValue.float(value))) (integers are limited to 64 bits)")
        }
        return Int(whole)
    }

    private func typeError(_ message: String) -> ExprFailure {
        ExprFailure(message)
    }
}
