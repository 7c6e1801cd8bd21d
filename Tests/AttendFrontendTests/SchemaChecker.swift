import AttendSpec
import Foundation

/// A YAML value as an editor's YAML language server sees it (YAML 1.2 core schema): plain
/// scalars typed as null, bool, integer or float, everything else a string.
indirect enum YAMLValue {
    case null, bool(Bool), integer(Int), number(Double), string(String)
    case array([YAMLValue])
    case object([(String, YAMLValue)])

    init(_ node: SpecNode) {
        switch node {
        case .scalar(let scalar): self = scalar.isQuoted ? .string(scalar.text) : YAMLValue.plain(scalar.text)
        case .sequence(let items, _): self = .array(items.map(YAMLValue.init))
        case .mapping(let entries, _): self = .object(entries.map { ($0.key.text, YAMLValue($0.value)) })
        }
    }

    /// The core schema's tag resolution for a plain scalar.
    static func plain(_ text: String) -> YAMLValue {
        func matches(_ pattern: String) -> Bool { text.range(of: pattern, options: .regularExpression) != nil }
        if matches("^(null|Null|NULL|~)?$") { return .null }
        if matches("^(true|True|TRUE)$") { return .bool(true) }
        if matches("^(false|False|FALSE)$") { return .bool(false) }
        if matches("^[-+]?[0-9]+$"), let value = Int(text.hasPrefix("+") ? String(text.dropFirst()) : text) { return .integer(value) }
        if matches("^0o[0-7]+$"), let value = Int(text.dropFirst(2), radix: 8) { return .integer(value) }
        if matches("^0x[0-9a-fA-F]+$"), let value = Int(text.dropFirst(2), radix: 16) { return .integer(value) }
        if matches("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$"), let value = Double(text) { return .number(value) }
        if matches("^[-+]?\\.(inf|Inf|INF)$") { return .number(text.hasPrefix("-") ? -.infinity : .infinity) }
        if matches("^\\.(nan|NaN|NAN)$") { return .number(.nan) }
        return .string(text)
    }
}

/// Checks a value against a JSON Schema (draft-07) document: the keywords `attend schema`
/// emits, each with the standard's meaning. A keyword it does not know is itself reported,
/// so a generator that starts emitting a new one cannot pass unchecked. Sendable because the
/// parsed document is never mutated after init (tests share one checker).
struct SchemaChecker: @unchecked Sendable {
    let root: [String: Any]

    init(json: Data) throws {
        guard let object = try JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw CocoaError(.coderReadCorrupt)
        }
        root = object
    }

    /// Keywords that only annotate, and `definitions`, read through `$ref`.
    private static let annotations: Set<String> = ["$schema", "$id", "title", "description", "default", "examples", "definitions"]

    /// The problems of `value` at `path`, empty when it validates.
    func problems(_ value: YAMLValue, _ schema: Any? = nil, path: String = "") -> [String] {
        let schema = schema ?? root
        if let flag = schema as? Bool { return flag ? [] : ["\(path): not allowed here"] }
        guard let keywords = schema as? [String: Any] else { return ["\(path): the schema is not an object"] }
        var found: [String] = []
        for (keyword, argument) in keywords.sorted(by: { $0.key < $1.key }) {
            switch keyword {
            case _ where Self.annotations.contains(keyword): continue
            case "$ref": found += problems(value, resolve(argument), path: path)
            case "type": if !types(argument).contains(where: { Self.has(value, type: $0) }) { found.append("\(path): not of type \(types(argument))") }
            case "enum": if !((argument as? [Any]) ?? []).contains(where: { Self.equal(value, $0) }) { found.append("\(path): not one of the enum") }
            case "const": if !Self.equal(value, argument) { found.append("\(path): not \(argument)") }
            case "pattern":
                if case .string(let text) = value, text.range(of: argument as? String ?? "", options: .regularExpression) == nil {
                    found.append("\(path): '\(text)' does not match \(argument)")
                }
            case "anyOf":
                let branches = (argument as? [Any]) ?? []
                let each = branches.map { problems(value, $0, path: path) }
                if !each.contains(where: \.isEmpty) { found.append("\(path): no anyOf branch matches (\(each.compactMap(\.first).joined(separator: "; ")))") }
            case "allOf": for branch in (argument as? [Any]) ?? [] { found += problems(value, branch, path: path) }
            case "if":
                let branch = problems(value, argument, path: path).isEmpty ? keywords["then"] : keywords["else"]
                if let branch { found += problems(value, branch, path: path) }
            case "then", "else": continue  // read with "if"
            case "required":
                if case .object(let entries) = value {
                    for name in (argument as? [String]) ?? [] where !entries.contains(where: { $0.0 == name }) { found.append("\(path): lacks '\(name)'") }
                }
            case "minProperties": if case .object(let entries) = value, entries.count < (argument as? Int ?? 0) { found.append("\(path): too few keys") }
            case "maxProperties": if case .object(let entries) = value, entries.count > (argument as? Int ?? .max) { found.append("\(path): too many keys") }
            case "properties", "additionalProperties":
                if keyword == "additionalProperties" && keywords["properties"] != nil { continue }  // read with "properties"
                if case .object(let entries) = value {
                    let declared = (keywords["properties"] as? [String: Any]) ?? [:]
                    for (key, item) in entries {
                        if let property = declared[key] {
                            found += problems(item, property, path: path + "/" + key)
                        } else if let additional = keywords["additionalProperties"] {
                            found += problems(item, additional, path: path + "/" + key)
                        }
                    }
                }
            case "items":
                if case .array(let items) = value {
                    for (index, item) in items.enumerated() { found += problems(item, argument, path: path + "/\(index)") }
                }
            default: found.append("\(path): the checker does not know the keyword '\(keyword)'")
            }
        }
        return found
    }

    private func resolve(_ reference: Any) -> Any? {
        guard let text = reference as? String, text.hasPrefix("#/definitions/") else { return false }
        return (root["definitions"] as? [String: Any])?[String(text.dropFirst("#/definitions/".count))] ?? false
    }

    private func types(_ argument: Any) -> [String] { (argument as? [String]) ?? [(argument as? String) ?? ""] }

    private static func has(_ value: YAMLValue, type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"): return true
        case (.integer, "integer"), (.integer, "number"), (.number, "number"): return true
        case (.number(let v), "integer"): return v.rounded() == v
        default: return false
        }
    }

    /// JSON equality between a YAML value and a value of the schema document.
    private static func equal(_ value: YAMLValue, _ json: Any) -> Bool {
        switch value {
        case .null: return json is NSNull
        case .string(let v): return (json as? String) == v
        case .bool(let v): return (json as? NSNumber).map { isBoolean($0) && $0.boolValue == v } ?? false
        case .integer(let v): return (json as? NSNumber).map { !isBoolean($0) && $0.doubleValue == Double(v) } ?? false
        case .number(let v): return (json as? NSNumber).map { !isBoolean($0) && $0.doubleValue == v } ?? false
        case .array, .object: return false  // the generated schema compares scalars only
        }
    }

    /// JSONSerialization reads `true` and `1` both as NSNumber; a boolean's is encoded "c".
    private static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }
}
