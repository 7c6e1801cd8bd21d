import AttendBasic

extension Graph {
    /// The graph in GraphViz DOT: inputs and outputs as ellipses, nodes as boxes labelled with
    /// op, layer path, output shapes and a parameter summary; edges labelled with the shape
    /// that flows along them. `groups` (lists of node indices, e.g. fusion groups) are drawn
    /// as filled clusters of distinct colors; a node listed in several groups is drawn in the
    /// first, and indices out of range are ignored. The output is deterministic.
    public func dot(groups: [[Int]]? = nil) -> String {
        var lines = ["digraph \(DotSyntax.quote(name)) {"]
        lines.append("  rankdir=TB;")
        lines.append("  node [fontname=\"Helvetica\", fontsize=10];")
        lines.append("  edge [fontname=\"Helvetica\", fontsize=9];")

        // Who produces each value: a dot node id and, for multi-output nodes, the output index.
        var producers: [Int: (id: String, output: Int?)] = [:]
        for (index, input) in inputs.enumerated() where producers[input.value.index] == nil {
            producers[input.value.index] = ("in\(index)", nil)
        }
        for (index, node) in nodes.enumerated() {
            for (position, value) in node.outputs.enumerated() where producers[value.index] == nil {
                producers[value.index] = ("n\(index)", node.outputs.count > 1 ? position : nil)
            }
        }
        let parameterShapes = Dictionary(parameters.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })

        for (index, input) in inputs.enumerated() {
            let label = "\(input.name)\n\(shapeText(input.value))"
            lines.append("  in\(index) [shape=ellipse, style=filled, fillcolor=\"#e8e8e8\", label=\(DotSyntax.quote(label))];")
        }

        var clusterOf: [Int: Int] = [:]
        for (group, members) in (groups ?? []).enumerated() {
            for member in members where nodes.indices.contains(member) && clusterOf[member] == nil {
                clusterOf[member] = group
            }
        }
        var nodeLines: [Int: [String]] = [:]
        for (index, node) in nodes.enumerated() {
            var label = node.op.name
            if !node.layer.isEmpty { label += "\n" + node.layer }
            if !node.outputs.isEmpty { label += "\n" + node.outputs.map(shapeText).joined(separator: ", ") }
            if !node.parameters.isEmpty {
                // Wrapping arithmetic: a corrupted graph still prints.
                let total = node.parameters.reduce(0) { sum, binding in
                    sum &+ (parameterShapes[binding.name].map { $0.reduce(1, &*) } ?? 0)
                }
                label += "\nparams: " + node.parameters.map(\.slot).map { $0.isEmpty ? "(self)" : $0 }.joined(separator: ", ")
                label += " (\(total))"
            }
            let line = "n\(index) [shape=box, label=\(DotSyntax.quote(label))];"
            nodeLines[clusterOf[index] ?? -1, default: []].append(line)
        }
        for line in nodeLines[-1] ?? [] { lines.append("  " + line) }
        for (group, _) in (groups ?? []).enumerated() {
            guard let members = nodeLines[group] else { continue }
            let color = DotSyntax.palette[group % DotSyntax.palette.count]
            lines.append("  subgraph cluster_\(group) {")
            lines.append("    style=filled; color=\"#888888\"; fillcolor=\"\(color)\"; label=\"group \(group)\";")
            for line in members { lines.append("    " + line) }
            lines.append("  }")
        }

        for (index, output) in outputs.enumerated() {
            lines.append("  out\(index) [shape=ellipse, style=filled, fillcolor=\"#e8e8e8\", label=\(DotSyntax.quote(output.name))];")
        }

        func edge(from value: ValueID, to target: String) {
            guard let producer = producers[value.index] else { return }
            let label = (producer.output.map { "#\($0) " } ?? "") + shapeText(value)
            lines.append("  \(producer.id) -> \(target) [label=\(DotSyntax.quote(label))];")
        }
        for (index, node) in nodes.enumerated() {
            for value in node.inputs { edge(from: value, to: "n\(index)") }
        }
        for (index, output) in outputs.enumerated() { edge(from: output.value, to: "out\(index)") }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private func shapeText(_ id: ValueID) -> String {
        values.indices.contains(id.index) ? formatShape(values[id.index].shape) : "[?]"
    }
}

enum DotSyntax {
    /// Pastel fills, distinct from each other and from the grey of inputs and outputs.
    static let palette = ["#cfe2f3", "#d9ead3", "#fff2cc", "#f4cccc", "#d9d2e9", "#fce5cd",
                          "#d0e0e3", "#ead1dc", "#c9daf8", "#b6d7a8", "#ffe599", "#ea9999"]

    /// A DOT double-quoted string. Newlines become centered line breaks (`\n`); quotes and
    /// backslashes are escaped so no name can end the string or start a DOT escape; other
    /// control characters print as `\u{..}` text.
    static func quote(_ text: String) -> String {
        escaping(text, quote: "\"") { scalar in
            switch scalar {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            default: return IRSyntax.isLineBreakingOrControl(scalar) ? "\\\\u{" + String(scalar.value, radix: 16) + "}" : nil
            }
        }
    }
}

extension Graph {
    /// Node indices of each fusion group (`Node.group`), in order of first appearance: what
    /// `dot(groups:)` colors after `fuse`.
    public var fusionGroups: [[Int]] {
        var order: [Int] = []
        var members: [Int: [Int]] = [:]
        for (index, node) in nodes.enumerated() {
            guard let group = node.group else { continue }
            if members[group] == nil { order.append(group) }
            members[group, default: []].append(index)
        }
        return order.map { members[$0]! }
    }
}
