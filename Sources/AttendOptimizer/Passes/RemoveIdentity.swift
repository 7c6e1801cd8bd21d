import AttendBasic
import AttendIR

/// `remove-identity`: nodes that return their input unchanged (identity, dropout at
/// inference, a reshape or flatten to the same shape, an identity permutation, a full slice,
/// a one-piece split or concat, an interpolation or pooling that keeps every pixel, zero
/// padding) are removed and their readers read the input.
public struct RemoveIdentityPass: Pass {
    public init() {}
    public var name: String { "remove-identity" }
    public var summary: String { "remove identity, dropout and other ops that return their input unchanged" }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        try PatternPass(name: name, summary: summary, patterns: [RemoveIdentityPattern()]).run(on: &graph)
    }
}

/// Each op declares when it returns its input unchanged (`Op.returnsInputUnchanged`).
struct RemoveIdentityPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard node.inputs.count == 1, node.outputs.count == 1, node.parameters.isEmpty,
              rewriter.graph.shape(of: node.inputs[0]) == rewriter.graph.shape(of: node.outputs[0]),
              node.op.returnsInputUnchanged(inputs: [rewriter.graph.shape(of: node.inputs[0])], attributes: node.attributes) else { return false }
        rewriter.replaceUses(of: node.outputs[0], with: node.inputs[0])
        return true
    }
}
