import AttendBasic
import AttendIR

/// Helpers for passes that fold work into derived parameters (computed once at load time).
extension Graph {
    /// Adds a derived parameter `op(operands) {given}`, attributes typed by the op's schema.
    mutating func derive(_ name: String, _ op: any Op, _ operands: [String],
                         _ given: [(name: String, value: ArgValue)] = []) throws(Diagnostic) -> String {
        try deriveParameter(name, op: op, operands: operands, attributes: try Self.typed(op, given))
    }

    static func typed(_ op: any Op, _ given: [(name: String, value: ArgValue)]) throws(Diagnostic) -> Attributes {
        do { return try op.typeArguments(given) } catch { throw error.diagnostic }
    }
}

/// Ops that declare an output-channel axis (`Op.outputChannelAxis`: weight row `i` and
/// `bias[i]` make channel `i`): the producers a batchnorm or a scale folds into.
enum WeightedProducer {
    /// The producer's output-channel axis, when a per-channel factor can fold into it.
    static func channelAxis(_ node: Node, in graph: Graph) -> Int? {
        guard node.outputs.count == 1, node.parameterName("weight") != nil else { return nil }
        return node.op.outputChannelAxis(inputs: node.inputs.map(graph.shape(of:)), attributes: node.attributes)
    }

    /// A copy of `node` bound to new weight and (when given) bias parameters.
    static func rebind(_ node: Node, weight: String, bias: String?, in graph: inout Graph) throws(Diagnostic) -> Node {
        var attributes = node.attributes
        attributes["bias"] = .bool(bias != nil)
        let parameters = [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
        return try graph.makeNode(node.op, inputs: node.inputs, attributes: attributes,
                                  parameters: parameters, layer: node.layer, location: node.location)
    }
}
