import AttendBasic
import Foundation
import Yams

/// A YAML scalar exactly as written: its raw text (never YAML 1.1's guess at a type) and
/// where it starts. Ops read it by their schema; names are taken as the text.
public struct SpecScalar: Hashable, Sendable, CustomStringConvertible {
    public var text: String
    /// Quoted scalars (`"width"`) start one column before their text.
    public var isQuoted: Bool
    public var location: SourceLocation

    public init(text: String, isQuoted: Bool = false, location: SourceLocation) {
        self.text = text
        self.isQuoted = isQuoted
        self.location = location
    }

    /// Where the scalar's text (not its opening quote) starts.
    public var textLocation: SourceLocation { isQuoted ? location.advanced(by: 1) : location }
    public var description: String { text }
}

/// A located YAML tree: the only form of the spec the later stages see.
public indirect enum SpecNode: Sendable {
    case scalar(SpecScalar)
    case sequence([SpecNode], SourceLocation)
    case mapping([SpecEntry], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .scalar(let s): return s.location
        case .sequence(_, let l), .mapping(_, let l): return l
        }
    }

    public var scalar: SpecScalar? {
        if case .scalar(let s) = self { return s }
        return nil
    }

    /// What a node is, for messages ("expected a list, got a mapping").
    public var kindName: String {
        switch self {
        case .scalar(let s): return "'\(s.text)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// One `key: value` pair of a mapping, in file order.
public struct SpecEntry: Sendable {
    public var key: SpecScalar
    public var value: SpecNode
}

extension String {
    /// The first line of a message (libyaml's problems can carry context lines).
    var firstLine: String { String(split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }
}

public enum YAMLReader {
    /// Reads and parses a YAML file into a located tree. Unreadable files, bad YAML, non-scalar
    /// keys and duplicate keys are diagnostics at the offending position.
    public static func read(path: String) throws(Diagnostic) -> SpecNode {
        try parse(SourceText.read(path: path), file: path)
    }

    public static func parse(_ text: String, file: String) throws(Diagnostic) -> SpecNode {
        try YAMLBudget.check(text, file: file)
        let root: Node?
        do {
            let parser = try Parser(yaml: text, resolver: .basic, constructor: .default, encoding: .utf8)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            throw diagnostic(for: error, file: file, text: text)
        } catch {
            throw .error("bad YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
        guard let root else { throw .error("the file is empty", at: SourceLocation(file: file, line: 1, column: 1)) }
        return try convert(root, file: file)
    }

    private static func location(_ mark: Mark?, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func convert(_ node: Node, file: String) throws(Diagnostic) -> SpecNode {
        switch node {
        case .scalar(let scalar):
            return .scalar(SpecScalar(text: scalar.string, isQuoted: scalar.style != .plain && scalar.style != .any,
                                      location: location(scalar.mark, file)))
        case .sequence(let sequence):
            var items: [SpecNode] = []
            for item in sequence { items.append(try convert(item, file: file)) }
            return .sequence(items, location(sequence.mark, file))
        case .mapping(let mapping):
            var entries: [SpecEntry] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw .error("mapping keys must be plain names", at: location(key.mark, file))
                }
                let keyLocation = location(keyScalar.mark, file)
                if let earlier = entries.first(where: { $0.key.text == keyScalar.string }) {
                    throw .error("duplicate key '\(keyScalar.string)'", at: keyLocation,
                                 notes: [.note("first defined here", at: earlier.key.location)])
                }
                let keyQuoted = keyScalar.style != .plain && keyScalar.style != .any
                entries.append(SpecEntry(key: SpecScalar(text: keyScalar.string, isQuoted: keyQuoted, location: keyLocation),
                                         value: try convert(value, file: file)))
            }
            return .mapping(entries, location(mapping.mark, file))
        case .alias:
            throw .error("YAML aliases are not supported in specs", at: location(node.mark, file))
        }
    }

    private static func diagnostic(for error: YamlError, file: String, text: String) -> Diagnostic {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.sorted().first ?? ""
            return .error("duplicate key '\(key)'", at: secondKeyLocation(key, in: text, from: context.mark, file: file))
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return .error("bad YAML: \(prefix)\(problem)".firstLine, at: location(mark, file))
        case .reader(let problem, _, _, _):
            return .error("bad YAML: \(problem)", at: SourceLocation(file: file, line: 1, column: 1))
        default:
            return .error("bad YAML: \(error)".firstLine, at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    /// libyaml reports a duplicate key at its mapping; point at the key's second spelling.
    private static func secondKeyLocation(_ key: String, in text: String, from mark: Mark, file: String) -> SourceLocation {
        var seen = 0
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where offset + 1 >= mark.line {
            for prefix in ["", "- "] {
                let trimmed = line.drop { $0 == " " }
                let indent = line.count - trimmed.count
                for spelling in [key, "\"\(key)\"", "'\(key)'"] where trimmed.hasPrefix(prefix + spelling + ":") {
                    seen += 1
                    if seen == 2 { return SourceLocation(file: file, line: offset + 1, column: indent + prefix.count + 1) }
                }
            }
        }
        return location(mark, file)
    }
}
