import AttendBasic
import AttendIR
import AttendSpec

/// Reading spec values: every scalar is an expression read from its raw text, evaluated in
/// the scope's environment, and (for ops) typed by the op's argument schema.
enum Values {
    /// YAML's empty value and null spellings read as Python's None.
    static let noneSpellings: Set<String> = ["", "~", "null", "None"]

    static func evaluate(_ scalar: SpecScalar, in env: [String: ExprValue]) throws(Diagnostic) -> ExprValue {
        if !scalar.isQuoted, noneSpellings.contains(scalar.text) { return .none }
        let expression = try Expression.parse(scalar.text, at: scalar.textLocation)
        return try expression.evaluate(in: env)
    }

    /// A node as a value: a scalar expression, or a list of them.
    static func evaluate(_ node: SpecNode, in env: [String: ExprValue]) throws(Diagnostic) -> ExprValue {
        switch node {
        case .scalar(let scalar): return try evaluate(scalar, in: env)
        case .sequence(let items, _):
            var values: [ExprValue] = []
            for item in items { values.append(try evaluate(item, in: env)) }
            return .list(values)
        case .mapping(_, let location):
            throw .error("expected a value or a list, got a mapping", at: location)
        }
    }

    /// An op argument: words of a choice argument are taken as written (so `mode: nearest`
    /// is not a name lookup); everything else is evaluated.
    static func argument(_ node: SpecNode, kind: ArgKind, in env: [String: ExprValue]) throws(Diagnostic) -> ArgValue {
        if case .choice(let words) = kind, let scalar = node.scalar {
            if words.contains(scalar.text) { return .string(scalar.text) }
            // A word that is neither a choice nor a name in scope is a misspelt choice.
            if env[scalar.text] == nil, scalar.text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                throw .error("expected one of \(words.joined(separator: ", ")), got '\(scalar.text)'\(didYouMean(scalar.text, in: words))", at: scalar.textLocation)
            }
        }
        let value = try evaluate(node, in: env)
        guard let converted = argValue(value) else {
            throw .error("expected \(kind.description), got \(value)", at: node.location)
        }
        return converted
    }

    /// An expression value as an untyped op argument (the schema types it next).
    static func argValue(_ value: ExprValue) -> ArgValue? {
        switch value {
        case .int(let v): return .int(v)
        case .float(let v): return .float(v)
        case .bool(let v): return .bool(v)
        case .string(let v): return .string(v)
        case .none: return ArgValue.none
        case .module: return nil
        case .list(let items):
            var ints: [Int] = [], floats: [Double] = []
            var allInts = true
            for item in items {
                switch item {
                case .int(let v): ints.append(v); floats.append(Double(v))
                case .float(let v): allInts = false; floats.append(v)
                default: return nil
                }
            }
            return allInts ? .ints(ints) : .floats(floats)
        }
    }

    /// A dimension or count: a whole number (an integral float is accepted, as in `C * 0.5`).
    static func wholeNumber(_ scalar: SpecScalar, in env: [String: ExprValue], what: String) throws(Diagnostic) -> Int {
        let value = try evaluate(scalar, in: env)
        switch value {
        case .int(let v): return v
        case .float(let v):
            if let exact = exactInteger(v) { return exact }
            throw .error("\(what) must be a whole number, got non-integral value \(formatFloat(v))", at: scalar.location)
        default: throw .error("\(what) must be a whole number, got \(value)", at: scalar.location)
        }
    }
}
