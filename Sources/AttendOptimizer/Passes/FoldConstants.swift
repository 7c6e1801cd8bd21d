import AttendBasic
import AttendIR

/// `fold-constants`: computation that depends on parameters only moves to load time —
/// - a node whose inputs are all parameter nodes (or that has no inputs and is not one, as a
///   position embedding of a fixed size) becomes a derived parameter;
/// - a scalar multiplication or division of a conv or linear output (read by nothing else)
///   folds into that layer's weight and bias.
public struct FoldConstantsPass: Pass {
    public init() {}
    public var name: String { "fold-constants" }
    public var summary: String { "evaluate parameter-only nodes at load time; fold scalar scales into conv/linear weights" }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        try PatternPass(name: name, summary: summary, patterns: [ConstantNodePattern(), ScaleIntoWeightsPattern()]).run(on: &graph)
    }
}

/// `f(parameter nodes)` (or `f()`) → a parameter node bound to the derived parameter `f(...)`.
struct ConstantNodePattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        // A parameter is row-major: a node storing its result in another layout stays.
        guard !(node.op is ParameterOp), node.outputs.count == 1, node.parameters.isEmpty,
              rewriter.graph.layout(of: node.outputs[0]) == .rowMajor else { return false }
        var operands: [String] = []
        for input in node.inputs {
            guard let producer = rewriter.producerNode(of: input), producer.op is ParameterOp,
                  let name = producer.parameterName("") else { return false }
            operands.append(name)
        }
        let base = node.layer.isEmpty ? node.op.name : node.layer
        let derived = try rewriter.graph.deriveParameter("\(base).folded", op: node.op, operands: operands, attributes: node.attributes)
        let shape = rewriter.graph.shape(of: node.outputs[0])
        let constant = try rewriter.graph.makeNode(ParameterOp(), inputs: [], attributes: try Graph.typed(ParameterOp(), [("shape", .ints(shape))]),
                                          parameters: [("", derived)], layer: node.layer, location: node.location)
        rewriter.replace(node: index, with: constant)
        return true
    }
}

/// `conv(x) * c` → `conv'(x)` with `W' = W * c`, `b' = b * c` (and `/ c` alike).
struct ScaleIntoWeightsPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard node.isScalar(.mul) || node.isScalar(.div), let scalar = node.scalarOperand, scalar.isFinite,
              rewriter.hasSingleUser(node.inputs[0]), let producer = rewriter.producerNode(of: node.inputs[0]),
              WeightedProducer.channelAxis(producer, in: rewriter.graph) != nil, let weight = producer.parameterName("weight") else { return false }
        let how: [(name: String, value: ArgValue)] = [("other", .float(scalar))]
        let newWeight = try rewriter.graph.derive("\(weight).scaled", node.op, [weight], how)
        let newBias = try producer.parameterName("bias").map { bias throws(Diagnostic) in
            try rewriter.graph.derive("\(bias).scaled", node.op, [bias], how)
        }
        let scaled = try WeightedProducer.rebind(producer, weight: newWeight, bias: newBias, in: &rewriter.graph)
        rewriter.replace(node: index, with: scaled)
        return true
    }
}
