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

struct RemoveIdentityPattern: RewritePattern {
    func rewrite(at index: Int, in graph: inout Graph, uses: UseInfo) throws(Diagnostic) -> Bool {
        let node = graph.nodes[index]
        guard node.inputs.count == 1, node.outputs.count == 1, node.parameters.isEmpty,
              graph.shape(of: node.inputs[0]) == graph.shape(of: node.outputs[0]),
              Self.returnsInput(node, inputShape: graph.shape(of: node.inputs[0])) else { return false }
        graph.replaceUses(of: node.outputs[0], with: node.inputs[0])
        return true
    }

    /// Whether `node` (one input, output of the input's shape) returns its input unchanged.
    static func returnsInput(_ node: Node, inputShape: [Int]) -> Bool {
        let a = node.attributes
        switch node.op.indexMap(inputs: [inputShape], attributes: a, output: 0) {
        case .rowMajor: return true
        case .permute(let dims):
            // Row-major order is kept when the axes of extent > 1 stay in order.
            let moved = dims.filter { inputShape[$0] != 1 }
            return moved == moved.sorted()
        case .strided(_, let start, _): return start == 0  // same shape, so every index is kept in order
        case .select: return false
        case nil: break
        }
        switch node.op.name {
        case "concat", "adaptive_avgpool2d", "adaptive_maxpool2d":
            return true  // one input of the same shape; one-pixel windows
        case "interpolate":
            // Onto the same grid: PyTorch maps by 1 / scale when a scale is given, so only 1 keeps it.
            if case .floats(let scales) = a["scale"] ?? .none { return scales.allSatisfy { $0 == 1 } }
            return true
        case "pad": return a.ints("pads").allSatisfy { $0 == 0 }
        case "avgpool2d", "maxpool2d", "avgpool3d", "maxpool3d":
            return a.ints("kernel").allSatisfy { $0 == 1 }  // with the same shape, also stride 1 and no padding
        default: return false
        }
    }
}
