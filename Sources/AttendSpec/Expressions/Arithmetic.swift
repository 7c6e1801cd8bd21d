import Foundation

/// Python 3's operators on expression values. Integers are 64-bit: where Python would
/// grow a big integer, these report "integer overflow" instead of wrapping or trapping.
enum ExprOps {
    static func binary(_ op: ExprBinaryOperator, _ a: ExprValue, _ b: ExprValue) throws(ExprFailure) -> ExprValue {
        guard let x = a.number, let y = b.number else {
            throw ExprFailure("unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'")
        }
        if case .int(let i) = x, case .int(let j) = y { return try integer(op, i, j, a, b) }
        return try float(op, x.double, y.double, a, b)
    }

    /// `a op b` on the operands as integers `i` and `j` (messages show `a` and `b`).
    private static func integer(_ op: ExprBinaryOperator, _ i: Int, _ j: Int, _ a: ExprValue, _ b: ExprValue) throws(ExprFailure) -> ExprValue {
        let result: (partialValue: Int, overflow: Bool)
        switch op {
        case .add: result = i.addingReportingOverflow(j)
        case .subtract: result = i.subtractingReportingOverflow(j)
        case .multiply: result = i.multipliedReportingOverflow(by: j)
        case .divide:
            guard j != 0 else { throw divisionByZero(op, a, b) }
            return .float(trueQuotient(i, j))
        case .floorDivide:
            guard j != 0 else { throw divisionByZero(op, a, b) }
            let (quotient, overflow) = i.dividedReportingOverflow(by: j)
            if overflow { throw overflowError(op, a, b) } // Int.min // -1
            let remainder = i - quotient * j
            return .int(remainder != 0 && (remainder < 0) != (j < 0) ? quotient - 1 : quotient)
        case .modulo:
            guard j != 0 else { throw divisionByZero(op, a, b) }
            let (remainder, overflow) = i.remainderReportingOverflow(dividingBy: j)
            if overflow { return .int(0) } // Int.min % -1
            return .int(remainder != 0 && (remainder < 0) != (j < 0) ? remainder + j : remainder)
        case .power:
            if j < 0 { return .float(try floatPower(Double(i), Double(j), a, b)) }
            guard let value = integerPower(i, j) else { throw overflowError(op, a, b) }
            return .int(value)
        }
        if result.overflow { throw overflowError(op, a, b) }
        return .int(result.partialValue)
    }

    /// `a op b` on the operands converted to floats `x` and `y` (messages show `a` and `b`).
    private static func float(_ op: ExprBinaryOperator, _ x: Double, _ y: Double, _ a: ExprValue, _ b: ExprValue) throws(ExprFailure) -> ExprValue {
        switch op {
        case .add: return .float(x + y)
        case .subtract: return .float(x - y)
        case .multiply: return .float(x * y)
        case .divide:
            guard y != 0 else { throw divisionByZero(op, a, b) }
            return .float(x / y)
        case .floorDivide:
            guard y != 0 else { throw divisionByZero(op, a, b) }
            return .float(floatDivMod(x, y).quotient)
        case .modulo:
            guard y != 0 else { throw divisionByZero(op, a, b) }
            return .float(floatDivMod(x, y).remainder)
        case .power:
            return .float(try floatPower(x, y, a, b))
        }
    }

    /// `base ** exponent` for `exponent >= 0` by repeated squaring; nil on overflow.
    /// (Squaring overflows only when the final result would: the result contains that square.)
    static func integerPower(_ base: Int, _ exponent: Int) -> Int? {
        var result = 1, base = base, exponent = exponent
        while exponent > 0 {
            if exponent & 1 == 1 {
                let (product, overflow) = result.multipliedReportingOverflow(by: base)
                if overflow { return nil }
                result = product
            }
            exponent >>= 1
            if exponent > 0 {
                let (square, overflow) = base.multipliedReportingOverflow(by: base)
                if overflow { return nil }
                base = square
            }
        }
        return result
    }

    /// CPython's `float_divmod`: floor quotient and a remainder with the divisor's sign.
    static func floatDivMod(_ x: Double, _ y: Double) -> (quotient: Double, remainder: Double) {
        var remainder = fmod(x, y)
        var quotient = (x - remainder) / y
        if remainder != 0 {
            if (y < 0) != (remainder < 0) {
                remainder += y
                quotient -= 1
            }
        } else {
            remainder = copysign(0, y)
        }
        if quotient != 0 {
            var floored = quotient.rounded(.down)
            if quotient - floored > 0.5 { floored += 1 }
            quotient = floored
        } else {
            quotient = copysign(0, x / y)
        }
        return (quotient, remainder)
    }

    /// CPython's `float_pow`, special cases included; a complex or overflowing result is an error.
    private static func floatPower(_ x: Double, _ y: Double, _ a: ExprValue, _ b: ExprValue) throws(ExprFailure) -> Double {
        if y == 0 { return 1 }
        if x.isNaN { return x }
        if y.isNaN { return x == 1 ? 1 : y }
        let yIsOddInteger = y.isFinite && y.rounded(.towardZero) == y && fmod(y, 2).magnitude == 1
        if y.isInfinite {
            let magnitude = x.magnitude
            if magnitude == 1 { return 1 }
            return (y > 0) == (magnitude > 1) ? .infinity : 0
        }
        if x.isInfinite {
            if y > 0 { return yIsOddInteger ? x : x.magnitude }
            return yIsOddInteger ? copysign(0, x) : 0
        }
        if x == 0 {
            if y < 0 {
                throw ExprFailure("division by zero in \(spelled(a, .power, b)): zero cannot be raised to a negative power")
            }
            return yIsOddInteger ? x : 0
        }
        var base = x, negate = false
        if x < 0 {
            if y.rounded(.down) != y {
                throw ExprFailure("\(spelled(a, .power, b)) is a complex number: a negative number cannot be raised to a fractional power")
            }
            base = -x
            negate = yIsOddInteger
        }
        if base == 1 { return negate ? -1 : 1 }
        let result = pow(base, y)
        if result.isInfinite { throw ExprFailure("float overflow in \(spelled(a, .power, b))") }
        return negate ? -result : result
    }

    // MARK: Unary operators and comparisons

    static func unary(_ op: ExprUnaryOperator, _ a: ExprValue) throws(ExprFailure) -> ExprValue {
        guard let x = a.number else {
            throw ExprFailure("bad operand type for unary \(op.rawValue): '\(a.typeName)'")
        }
        switch (op, x) {
        case (.plus, _): return x.value
        case (.minus, .float(let v)): return .float(-v)
        case (.minus, .int(let v)):
            let (negated, overflow) = 0.subtractingReportingOverflow(v)
            if overflow { throw ExprFailure("integer overflow in -(\(v))") }
            return .int(negated)
        }
    }

    static func compare(_ op: ExprComparisonOperator, _ a: ExprValue, _ b: ExprValue) throws(ExprFailure) -> Bool {
        switch op {
        case .equal: return equal(a, b)
        case .notEqual: return !equal(a, b)
        default: break
        }
        if let x = a.number, let y = b.number {
            guard let order = numericOrder(x, y) else { return false } // NaN: unordered
            return holds(op, order)
        }
        switch (a, b) {
        case (.string(let s), .string(let t)):
            return holds(op, scalarOrder(s, t))
        case (.list(let s), .list(let t)):
            // Python: the first unequal pair decides; otherwise the lengths do.
            for (u, v) in zip(s, t) where !equal(u, v) { return try compare(op, u, v) }
            return holds(op, s.count < t.count ? -1 : s.count > t.count ? 1 : 0)
        default:
            throw ExprFailure("'\(op.rawValue)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }

    /// Python's `==`: numbers compare by exact value across int, float and bool.
    static func equal(_ a: ExprValue, _ b: ExprValue) -> Bool {
        if let x = a.number, let y = b.number { return numericOrder(x, y) == 0 }
        switch (a, b) {
        case (.string(let s), .string(let t)): return scalarOrder(s, t) == 0
        case (.none, .none): return true
        case (.list(let s), .list(let t)):
            return s.count == t.count && zip(s, t).allSatisfy { equal($0, $1) }
        default: return false
        }
    }

    private static func holds(_ op: ExprComparisonOperator, _ order: Int) -> Bool {
        switch op {
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        case .equal: return order == 0
        case .notEqual: return order != 0
        }
    }

    /// -1, 0 or 1 by exact mathematical value (Python compares 2**53 + 1 and 2.0**53
    /// exactly); nil when a NaN is involved.
    static func numericOrder(_ x: ExprNumber, _ y: ExprNumber) -> Int? {
        switch (x, y) {
        case let (.int(i), .int(j)): return i < j ? -1 : i > j ? 1 : 0
        case let (.int(i), .float(d)): return order(i, d)
        case let (.float(d), .int(i)): return order(i, d).map { -$0 }
        case let (.float(d), .float(e)):
            if d.isNaN || e.isNaN { return nil }
            return d < e ? -1 : d > e ? 1 : 0
        }
    }

    private static func order(_ i: Int, _ d: Double) -> Int? {
        if d.isNaN { return nil }
        if d >= 0x1p63 { return -1 }
        if d < -0x1p63 { return 1 }
        let whole = d.rounded(.towardZero)
        let w = Int(whole) // exact: |whole| < 2**63, or whole == -2**63
        if i != w { return i < w ? -1 : 1 }
        let fraction = d - whole
        return fraction > 0 ? -1 : fraction < 0 ? 1 : 0
    }

    /// Python orders strings by code point, not by Unicode canonical equivalence.
    private static func scalarOrder(_ s: String, _ t: String) -> Int {
        var u = s.unicodeScalars.makeIterator(), v = t.unicodeScalars.makeIterator()
        while true {
            switch (u.next(), v.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case let (p?, q?): if p != q { return p.value < q.value ? -1 : 1 }
            }
        }
    }

    // MARK: Errors

    private static func divisionByZero(_ op: ExprBinaryOperator, _ a: ExprValue, _ b: ExprValue) -> ExprFailure {
        ExprFailure("division by zero in \(spelled(a, op, b))")
    }

    private static func overflowError(_ op: ExprBinaryOperator, _ a: ExprValue, _ b: ExprValue) -> ExprFailure {
        ExprFailure("integer overflow in \(spelled(a, op, b)) (integers are limited to 64 bits)")
    }

    /// `a op b` for messages, bracketing a negative base of `**` (`(-2) ** 64`, not `-2 ** 64`).
    private static func spelled(_ a: ExprValue, _ op: ExprBinaryOperator, _ b: ExprValue) -> String {
        let left = a.description
        return (op == .power && left.hasPrefix("-") ? "(\(left))" : left) + " \(op.rawValue) \(b)"
    }
}
