import AttendBasic

extension ArgKind {
    /// Checks an untyped value (from an evaluated spec expression or parsed IR text) against
    /// this kind and returns it in canonical form. The error message names what was expected.
    public func accept(_ value: ArgValue) -> Result<ArgValue, Diagnostic> {
        func fail(_ what: String) -> Result<ArgValue, Diagnostic> {
            .failure(.error("expected \(description), got \(what)"))
        }
        switch (self, value) {
        case (.int, _), (.optionalInt, _):
            if case .none = value, self == .optionalInt { return .success(.none) }
            switch Self.wholeNumber(value) {
            case .success(let v): return .success(.int(v))
            case .failure(let error): return .failure(error)
            }
        case (.float, .int(let v)): return .success(.float(Double(v)))
        case (.float, .float): return .success(value)
        case (.bool, .bool): return .success(value)
        case (.choice(let words), .string(let word)):
            if words.contains(word) { return .success(value) }
            return .failure(.error("expected one of \(words.joined(separator: ", ")), got '\(word)'\(didYouMean(word, in: words))"))
        case (.ints(let count), .ints(let list)):
            if let count, list.count != count { return fail("a list of \(list.count)") }
            return .success(value)
        case (.ints(let count), _):
            if case .floats(let list) = value {
                var ints: [Int] = []
                for item in list {
                    guard case .success(let v) = Self.wholeNumber(.float(item)) else {
                        return .failure(.error("expected a whole number in the list, got \(formatFloat(item))"))
                    }
                    ints.append(v)
                }
                return ArgKind.ints(count: count).accept(.ints(ints))
            }
            switch Self.wholeNumber(value) {
            case .success(let v): return .success(.ints([Int](repeating: v, count: count ?? 1)))
            case .failure: return fail(value.kindName)
            }
        case (.floats, .floats): return .success(value)
        case (.floats, .ints(let list)): return .success(.floats(list.map(Double.init)))
        case (.floats, .int(let v)): return .success(.floats([Double(v)]))
        case (.floats, .float(let v)): return .success(.floats([v]))
        default:
            return fail(value.kindName)
        }
    }

    /// An int, or a float with no fractional part; anything else is an error that says so.
    static func wholeNumber(_ value: ArgValue) -> Result<Int, Diagnostic> {
        switch value {
        case .int(let v): return .success(v)
        case .float(let v):
            if let exact = exactInteger(v) { return .success(exact) }
            return .failure(.error("expected int, got non-integral value \(formatFloat(v))"))
        default:
            return .failure(.error("expected int, got \(value.kindName)"))
        }
    }
}

extension ArgValue {
    /// How a value is named in messages.
    public var kindName: String {
        switch self {
        case .int(let v): return "int \(v)"
        case .float(let v): return "float \(formatFloat(v))"
        case .bool(let v): return "bool \(v ? "true" : "false")"
        case .string(let v): return "'\(v)'"
        case .ints, .floats: return "list \(description)"
        case .none: return "None"
        }
    }
}

/// The int a float equals exactly (`C * 0.5` with C = 64 is 32), or nil: the one rule for
/// where an int is expected and an expression produced a float.
public func exactInteger(_ v: Double) -> Int? {
    v.isFinite && v.rounded() == v && abs(v) < 9e15 ? Int(v) : nil
}
