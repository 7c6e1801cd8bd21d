import AttendBasic

/// A value of the spec expression language: Python's `int` (64-bit here; overflow is an
/// error, never a wrap), `float`, `bool`, `str`, `None` and `list`.
///
/// `description` is Python's `repr` of the value, so `1.0`, `True`, `'a'`, `[1, 2.5]`.
public enum ExprValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case bool(Bool)
    case string(String)
    case none
    case list([ExprValue])
    /// An op or block with some arguments bound, the spec's `functools.partial`
    /// (`attn_layer: {op: global_context, fuse_add: true}`); no expression makes one.
    case module(ModuleValue)

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .float(let value): return pythonRepr(value)
        case .bool(let value): return value ? "True" : "False"
        case .string(let value): return pythonRepr(value)
        case .none: return "None"
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .module(let module): return module.description
        }
    }

    /// Python's name for the value's type, as its error messages spell it.
    var typeName: String {
        switch self {
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        case .string: return "str"
        case .none: return "NoneType"
        case .list: return "list"
        case .module: return "module"
        }
    }

    /// Python truthiness: 0, 0.0, False, None, '' and [] are false; everything else is true.
    public var isTruthy: Bool {
        switch self {
        case .int(let value): return value != 0
        case .float(let value): return value != 0 // NaN is true, as in Python
        case .bool(let value): return value
        case .string(let value): return !value.isEmpty
        case .none: return false
        case .list(let items): return !items.isEmpty
        case .module: return true
        }
    }

    /// The value as a number, with `bool` promoted to `int` as Python does in arithmetic.
    var number: ExprNumber? {
        switch self {
        case .int(let value): return .int(value)
        case .bool(let value): return .int(value ? 1 : 0)
        case .float(let value): return .float(value)
        case .string, .none, .list, .module: return nil
        }
    }
}

/// A module argument's value: the op or block `name` and the arguments bound to it, in the
/// order written.
public struct ModuleValue: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var arguments: [Argument]

    public struct Argument: Hashable, Sendable {
        public var name: String
        public var value: ExprValue
        public init(name: String, value: ExprValue) {
            self.name = name
            self.value = value
        }
    }

    public init(name: String, arguments: [Argument]) {
        self.name = name
        self.arguments = arguments
    }

    /// As Python prints a call: `global_context(fuse_add=True, fuse_scale=False)`.
    public var description: String {
        name + "(" + arguments.map { "\($0.name)=\($0.value)" }.joined(separator: ", ") + ")"
    }
}

/// A numeric operand after `bool` promotion.
enum ExprNumber {
    case int(Int)
    case float(Double)

    /// Python's int-to-float conversion (round half to even, exact below 2**53).
    var double: Double {
        switch self {
        case .int(let value): return Double(value)
        case .float(let value): return value
        }
    }

    var value: ExprValue {
        switch self {
        case .int(let value): return .int(value)
        case .float(let value): return .float(value)
        }
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip (Swift's `description`
/// finds the same digits), laid out as Python does: positional notation when the decimal
/// exponent is in -4..<16 (`1e-05`, `0.0001`, `9007199254740994.0`, `1e+16`).
private func pythonRepr(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    // Split Swift's text ("-1.2345e+17", "0.001", "5e-324") into digits and an exponent.
    var text = value.magnitude.description
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exponent = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let whole = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
    var digits = Array(whole + fraction)
    exponent += whole.count - 1 // the exponent of digits[0]
    while digits.count > 1, digits.first == "0" {
        digits.removeFirst()
        exponent -= 1
    }
    while digits.count > 1, digits.last == "0" { digits.removeLast() }
    if digits == ["0"] { exponent = 0 }
    let sign = value.sign == .minus ? "-" : ""
    if exponent >= -4 && exponent < 16 {
        if exponent < 0 { return sign + "0." + String(repeating: "0", count: -exponent - 1) + String(digits) }
        let integerCount = exponent + 1
        if digits.count <= integerCount {
            return sign + String(digits) + String(repeating: "0", count: integerCount - digits.count) + ".0"
        }
        return sign + String(digits[..<integerCount]) + "." + String(digits[integerCount...])
    }
    let mantissa = digits.count == 1 ? String(digits) : String(digits[0]) + "." + String(digits[1...])
    let magnitude = String(exponent.magnitude)
    return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
}

/// Python's `repr(str)`: single quotes unless the text holds a `'` and no `"`.
private func pythonRepr(_ text: String) -> String {
    let quote: Unicode.Scalar = text.contains("'") && !text.contains("\"") ? "\"" : "'"
    return escaping(text, quote: String(quote)) { scalar in
        switch scalar {
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case quote: return "\\" + String(quote)
        default:
            guard scalar.value < 0x20 || scalar.value == 0x7f else { return nil }
            let hex = String(scalar.value, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" + hex : hex)
        }
    }
}
