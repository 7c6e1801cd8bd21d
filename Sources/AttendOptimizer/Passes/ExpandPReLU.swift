import AttendBasic
import AttendIR

/// `expand-prelu`: a PReLU becomes `relu(x) + slope * (x - relu(x))` of elementwise ops, its
/// slope a parameter node (the weight, reshaped to `[C, 1, ...]` as a derived parameter when
/// there is one per channel), so it joins its producer's epilogue instead of running as a
/// kernel of its own. `x - relu(x)` is `min(x, 0)` exactly, so the result is torch's
/// `x > 0 ? x : slope * x` for every x when the slope is finite (NaN stays NaN).
public struct ExpandPReLUPass: Pass {
    public init() {}
    public var name: String { "expand-prelu" }
    public var summary: String { "rewrite prelu as elementwise ops on a slope parameter, so it fuses into its producer" }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        try PatternPass(name: name, summary: summary, patterns: [ExpandPReLUPattern()]).run(on: &graph)
    }
}

struct ExpandPReLUPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard node.op is PReLUOp, let weight = node.parameterName("weight"),
              let weightShape = rewriter.graph.parameter(named: weight)?.shape else { return false }
        let x = node.inputs[0]
        let shape = rewriter.graph.shape(of: x)
        let count = node.attributes.int("num_parameters")
        let prefix = node.layer.isEmpty ? "prelu" : node.layer
        // One slope broadcasts as [1]; per-channel slopes stand on axis 1 of [N, C, ...].
        var slopeShape = weightShape, slope = weight
        if count > 1, shape.count > 2 {
            slopeShape = [count] + Array(repeating: 1, count: shape.count - 2)
            slope = try rewriter.graph.derive("\(prefix).slope_column", ReshapeOp(), [weight], [("shape", .ints(slopeShape))])
        }
        func make(_ op: any Op, _ inputs: [ValueID], _ given: [(name: String, value: ArgValue)] = [],
                  parameters: [(slot: String, name: String)] = []) throws(Diagnostic) -> Node {
            return try rewriter.graph.makeNode(op, inputs: inputs, attributes: try Graph.typed(op, given),
                                               parameters: parameters, layer: node.layer, location: node.location)
        }
        let slopeNode = try make(ParameterOp(), [], [("shape", .ints(slopeShape))], parameters: [("", slope)])
        rewriter.insert(slopeNode, before: index)
        let positive = try make(ElementwiseOp.declared(.relu), [x])
        rewriter.insert(positive, before: index)
        let negative = try make(ElementwiseOp.declared(.sub), [x, positive.outputs[0]])
        rewriter.insert(negative, before: index)
        let scaled = try make(ElementwiseOp.declared(.mul), [slopeNode.outputs[0], negative.outputs[0]])
        rewriter.insert(scaled, before: index)
        rewriter.replace(node: index, with: try make(ElementwiseOp.declared(.add), [positive.outputs[0], scaled.outputs[0]]))
        return true
    }
}
