/// What may run in one kernel, stated once: the `fuse` pass forms groups by these rules and
/// code generation checks groups against them (an IR file may group anything), so every
/// group the pass forms is one code generation runs as one kernel. The rules read op types
/// and declared traits (`Op.fusion`, `Op.reductionWindow`, `Op.normalizesRows`), never names.
/// Code generation alone adds what depends on the kernel chosen for the anchor: a window
/// reduction joins only when that kernel finalizes whole windows.
public enum FusionRules {
    /// The longest score (or output) row a fused attention kernel keeps on the stack (floats).
    public static let maxAttentionRow = 16384

    /// Whether `value` exists before node `anchor` runs: a graph input, a value computed by
    /// an earlier node, or a parameter node's output (a constant that gets no kernel of its
    /// own unless it is a graph output).
    public static func isReady(_ value: ValueID, before anchor: Int, producer: Int?, in graph: Graph) -> Bool {
        guard let producer else { return true }
        if producer < anchor { return true }
        return graph.nodes[producer].op is ParameterOp && !graph.outputs.contains { $0.value == value }
    }

    /// A node a kernel on `grid` computes in its epilogue: elementwise after broadcasting,
    /// declared by a scalar formula, one output on that grid, no parameters of its own.
    public static func joinsEpilogue(_ node: Node, grid: [Int], in graph: Graph) -> Bool {
        (node.op.fusion == .elementwise || node.op.fusion == .broadcast) && node.op is ElementwiseOp
            && node.outputs.count == 1 && node.parameters.isEmpty && graph.shape(of: node.outputs[0]) == grid
    }

    /// A reduction of contiguous trailing windows of `value`, a value on `grid` (global
    /// pooling of a convolution's map): the kernel writing the grid can reduce each window as
    /// it finishes it.
    public static func reducesWindows(_ node: Node, of value: ValueID, grid: [Int], in graph: Graph) -> Bool {
        node.op.fusion == .reduction && node.inputs == [value] && node.outputs.count == 1 && node.parameters.isEmpty
            && graph.shape(of: value) == grid && node.op.reductionWindow(inputs: [grid], attributes: node.attributes) != nil
    }

    /// A product of fused attention (scores, or normalized scores times values): a matrix
    /// product of two activations of rank 2 or more, no parameters of its own.
    public static func isAttentionProduct(_ node: Node, in graph: Graph) -> Bool {
        node.op is MatmulOp && node.inputs.count == 2 && node.outputs.count == 1 && node.parameters.isEmpty
            && node.inputs.allSatisfy { graph.shape(of: $0).count >= 2 }
    }

    /// The row normalization between the products that the attention kernel computes one row
    /// at a time: a softmax of `value` over its last axis.
    public static func normalizesAttentionRows(_ node: Node, of value: ValueID, in graph: Graph) -> Bool {
        node.op is SoftmaxOp && node.inputs == [value] && node.outputs.count == 1
            && node.op.normalizesRows(inputs: [graph.shape(of: value)], attributes: node.attributes)
    }

    /// The two products' matrix plans, when one attention kernel can run them: the same batch,
    /// the second's left operand (the normalized scores) batched as the scores are, and rows
    /// of at most `maxAttentionRow`.
    public static func attentionPlans(_ first: Node, _ second: Node, in graph: Graph) -> (first: MatmulOp.Plan, second: MatmulOp.Plan)? {
        guard isAttentionProduct(first, in: graph), isAttentionProduct(second, in: graph),
              let a = try? MatmulOp.plan(graph.shape(of: first.inputs[0]), graph.shape(of: first.inputs[1])),
              let b = try? MatmulOp.plan(graph.shape(of: second.inputs[0]), graph.shape(of: second.inputs[1])),
              a.batch == b.batch, b.leftBatch == a.batch, a.n >= 1, a.n <= maxAttentionRow, b.n <= maxAttentionRow
        else { return nil }
        return (a, b)
    }
}
