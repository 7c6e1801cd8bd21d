import AttendBasic
import CYaml

/// A streaming pass over a spec's YAML events (libyaml's parser, which keeps its own stacks
/// and never recurses) that runs before Yams composes a tree. Composing expands aliases —
/// a few hundred bytes of nested `&a [*b, *b, ...]` become billions of nodes, and Yams hashes
/// an aliased mapping key by walking every copy — and recurses once per nesting level. So
/// aliases are refused where they are written, and node count and depth are bounded
/// (`Limits.yamlNodes`, `Limits.yamlDepth`) before any tree exists.
enum YAMLBudget {
    /// Throws at the first alias, the node past `Limits.yamlNodes`, or the collection nested
    /// past `Limits.yamlDepth`. Syntax errors are left for Yams to report.
    static func check(_ text: String, file: String) throws(Diagnostic) {
        var bytes = Array(text.utf8)
        bytes.append(0)
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        var nodes = 0, depth = 0
        try bytes.withUnsafeBufferPointer { (buffer) throws(Diagnostic) in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count - 1)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                let type = event.type
                if type == YAML_STREAM_END_EVENT { return }
                let at = SourceLocation(file: file, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                switch type {
                case YAML_ALIAS_EVENT:
                    throw .error("YAML aliases are not supported in specs (write the value out, or make it a block or a param)", at: at)
                case YAML_SCALAR_EVENT, YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    nodes += 1
                    guard nodes <= Limits.yamlNodes else {
                        throw .error("the file has more than \(Limits.yamlNodes) YAML nodes (the limit)", at: at)
                    }
                    if type != YAML_SCALAR_EVENT {
                        depth += 1
                        guard depth <= Limits.yamlDepth else {
                            throw .error("lists and mappings are nested more than \(Limits.yamlDepth) deep (the limit)", at: at)
                        }
                    }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    depth -= 1
                default:
                    break
                }
            }
        }
    }
}
