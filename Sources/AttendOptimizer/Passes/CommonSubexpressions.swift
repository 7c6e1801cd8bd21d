import AttendBasic
import AttendIR

/// `cse`: two nodes applying the same op with the same attributes to the same inputs and
/// parameters compute the same values (every op is pure), so the later one reads the
/// earlier one's results. Derived parameters with the same definition are merged too.
public struct CommonSubexpressionPass: Pass {
    public init() {}
    public var name: String { "cse" }
    public var summary: String { "merge nodes (and derived parameters) that compute the same thing" }

    struct Key: Hashable {
        var op: OpIdentity
        var attributes: Attributes
        var inputs: [ValueID]
        var parameters: [String]
        /// The results' storage layouts: the same values stored differently are not interchangeable.
        var layouts: [Layout]
    }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        var changed = mergeDerivedParameters(&graph)
        var seen: [Key: [ValueID]] = [:]
        // Readers of a merged node's outputs read the earlier node's instead. Applied while
        // walking in order (a node's inputs are renamed before its own key is formed, so
        // chains of duplicates merge in one walk), in one pass over the graph.
        var renamed: [ValueID: ValueID] = [:]
        for index in graph.nodes.indices {
            if !renamed.isEmpty { graph.nodes[index].inputs = graph.nodes[index].inputs.map { renamed[$0] ?? $0 } }
            let node = graph.nodes[index]
            let key = Key(op: node.op.identity, attributes: node.attributes, inputs: node.inputs,
                          parameters: node.parameters.map { $0.slot + "=" + $0.name }, layouts: node.outputs.map(graph.layout(of:)))
            if let earlier = seen[key] {
                for (from, to) in zip(node.outputs, earlier) { renamed[from] = to }
                changed = true
            } else {
                seen[key] = node.outputs
            }
        }
        for index in graph.outputs.indices { graph.outputs[index].value = renamed[graph.outputs[index].value] ?? graph.outputs[index].value }
        if changed { graph.removeDeadCode() }
        return changed
    }

    private func mergeDerivedParameters(_ graph: inout Graph) -> Bool {
        var canonical: [ParameterDefinition: String] = [:]
        var renamed: [String: String] = [:]
        for index in graph.parameters.indices {
            guard var definition = graph.parameters[index].definition else { continue }
            definition.operands = definition.operands.map { renamed[$0] ?? $0 }
            graph.parameters[index].definition = definition
            if let earlier = canonical[definition] {
                renamed[graph.parameters[index].name] = earlier
            } else {
                canonical[definition] = graph.parameters[index].name
            }
        }
        guard !renamed.isEmpty else { return false }
        for index in graph.nodes.indices {
            graph.nodes[index].parameters = graph.nodes[index].parameters.map { ($0.slot, renamed[$0.name] ?? $0.name) }
        }
        graph.parameters.removeAll { renamed[$0.name] != nil }
        return true
    }
}
