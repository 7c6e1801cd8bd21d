import AttendBasic

/// The type of an op argument, as declared by the op's schema. Spec scalars are read by
/// these types from their raw text (never by YAML 1.1 guessing).
public enum ArgKind: Hashable, Sendable {
    case int
    case float
    case bool
    /// One of a fixed set of words (`gelu`'s `approximate: none|tanh`).
    case choice([String])
    /// A list of ints. With `count`, a single int is repeated to that length
    /// (`kernel: 3` means `[3, 3]` for conv2d, as in PyTorch).
    case ints(count: Int?)
    /// An int, or `None` (Python's spelling; `null`/`~` are accepted too).
    case optionalInt
    /// A list of floats, or a single float.
    case floats

    public var description: String {
        switch self {
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        case .choice(let words): return words.joined(separator: "|")
        case .ints(let count?): return "int or list of \(count) ints"
        case .ints(nil): return "list of ints"
        case .optionalInt: return "int or None"
        case .floats: return "float or list of floats"
        }
    }
}

/// A typed argument value.
public enum ArgValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case float(Double)
    case bool(Bool)
    case string(String)
    case ints([Int])
    case floats([Double])
    case none

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return formatFloat(v)
        case .bool(let v): return v ? "true" : "false"
        case .string(let v): return v
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .floats(let v): return "[" + v.map(formatFloat).joined(separator: ", ") + "]"
        case .none: return "None"
        }
    }
}

/// Shortest round-trip text for a double, always with a decimal point or exponent.
public func formatFloat(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    let text = "\(v)"
    return text.contains(".") || text.contains("e") ? text : text + ".0"
}

/// One argument of an op: name, type, and default (`nil` default means required).
public struct ArgSpec: Sendable {
    public var name: String
    public var kind: ArgKind
    public var defaultValue: ArgValue?
    public var doc: String

    public init(_ name: String, _ kind: ArgKind, default defaultValue: ArgValue? = nil, _ doc: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.doc = doc
    }

    public var isRequired: Bool { defaultValue == nil }
}

/// Typed, complete arguments of one node: every schema argument present, defaults filled in,
/// in schema order. Accessors assume the schema's types, which typing guarantees.
public struct Attributes: Hashable, Sendable {
    public private(set) var entries: [(name: String, value: ArgValue)]

    public init(_ entries: [(name: String, value: ArgValue)] = []) { self.entries = entries }

    public subscript(name: String) -> ArgValue? {
        get { entries.first { $0.name == name }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.name == name }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((name, newValue))
            }
        }
    }

    public func int(_ name: String) -> Int {
        switch self[name] {
        case .int(let v): return v
        case .float(let v): return Int(v)
        case .bool(let v): return v ? 1 : 0
        default: fatalError("attribute '\(name)' is not an int") // internal invariant: typed by schema
        }
    }

    public func optionalInt(_ name: String) -> Int? {
        if case .int(let v) = self[name] { return v }
        return nil
    }

    public func float(_ name: String) -> Double {
        switch self[name] {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: fatalError("attribute '\(name)' is not a float") // internal invariant: typed by schema
        }
    }

    public func optionalFloat(_ name: String) -> Double? {
        switch self[name] {
        case .float(let v): return v
        case .int(let v): return Double(v)
        default: return nil
        }
    }

    public func bool(_ name: String) -> Bool {
        guard case .bool(let v) = self[name] else {
            fatalError("attribute '\(name)' is not a bool") // internal invariant: typed by schema
        }
        return v
    }

    public func string(_ name: String) -> String {
        guard case .string(let v) = self[name] else {
            fatalError("attribute '\(name)' is not a word") // internal invariant: typed by schema
        }
        return v
    }

    public func ints(_ name: String) -> [Int] {
        switch self[name] {
        case .ints(let v): return v
        case .int(let v): return [v]
        default: fatalError("attribute '\(name)' is not a list of ints") // internal invariant: typed by schema
        }
    }

    public func optionalInts(_ name: String) -> [Int]? {
        switch self[name] {
        case .ints(let v): return v
        case .int(let v): return [v]
        default: return nil
        }
    }

    public func floats(_ name: String) -> [Double] {
        switch self[name] {
        case .floats(let v): return v
        case .float(let v): return [v]
        case .int(let v): return [Double(v)]
        default: fatalError("attribute '\(name)' is not a list of floats") // internal invariant: typed by schema
        }
    }

    public static func == (lhs: Attributes, rhs: Attributes) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.name)
            hasher.combine(entry.value)
        }
    }
}
