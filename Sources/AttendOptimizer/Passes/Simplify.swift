import AttendBasic
import AttendIR

/// `simplify`: algebraic identities, each a small pattern —
/// - `x * 1`, `x / 1`, `x + 0`, `x - 0`, `x ** 1` with a scalar operand are `x` (so is a
///   softmax followed by a multiplication by one);
/// - `(x * a) * b` is `x * (a b)` and `(x / a) / b` is `x / (a b)` for scalar a, b;
/// - `-(-x)` is `x`;
/// - a permute (or transpose) of a permute is one permute, or nothing;
/// - a chain of row-major reshapes (reshape, flatten) is one reshape, or nothing;
/// - a scalar factor of a matmul operand moves to its result, `(a s) @ b` = `(a @ b) s`,
///   where it becomes the matmul's epilogue (attention's `q * scale` before `q @ k^T`).
public struct SimplifyPass: Pass {
    public init() {}
    public var name: String { "simplify" }
    public var summary: String { "algebraic simplification: x*1, x+0, scalar chains, permute and reshape chains" }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        try PatternPass(name: name, summary: summary, patterns: [
            ScalarIdentityPattern(), ScalarChainPattern(), DoubleNegationPattern(),
            PermuteChainPattern(), ReshapeChainPattern(), ScaleThroughMatmulPattern(),
        ]).run(on: &graph)
    }
}

extension Node {
    /// The scalar operand of a one-input binary elementwise node (`mul(%x) {other = 2.0}`).
    var scalarOperand: Double? {
        guard inputs.count == 1, let op = op as? ElementwiseOp, op.isBinary else { return nil }
        return attributes.optionalFloat("other")
    }

    /// The elementwise kind of the node's op, nil for other ops.
    var elementwiseKind: ElementwiseOp.Kind? { (op as? ElementwiseOp)?.kind }

    /// Whether the node is an elementwise `kind` with a scalar operand (`mul(%x) {other = 2.0}`).
    func isScalar(_ kind: ElementwiseOp.Kind) -> Bool { elementwiseKind == kind && scalarOperand != nil }
}

/// `x * 1`, `x / 1`, `x + 0`, `x - 0`, `x ** 1` → `x`.
struct ScalarIdentityPattern: RewritePattern {
    static let neutral: [ElementwiseOp.Kind: Double] = [.mul: 1, .div: 1, .add: 0, .sub: 0, .pow: 1]

    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard let scalar = node.scalarOperand, let kind = node.elementwiseKind, Self.neutral[kind] == scalar else { return false }
        rewriter.replaceUses(of: node.outputs[0], with: node.inputs[0])
        return true
    }
}

/// `(x * a) * b` → `x * (a b)`, `(x / a) / b` → `x / (a b)`. The intermediate must have no
/// other reader (otherwise both products would be computed anyway).
struct ScalarChainPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard let kind = node.elementwiseKind, kind == .mul || kind == .div, let b = node.scalarOperand,
              let inner = rewriter.producerNode(of: node.inputs[0]), inner.elementwiseKind == kind,
              let a = inner.scalarOperand, rewriter.hasSingleUser(node.inputs[0]) else { return false }
        var attributes = node.attributes
        attributes["other"] = .float(a * b)
        let merged = try rewriter.graph.makeNode(node.op, inputs: inner.inputs, attributes: attributes, parameters: [],
                                        layer: node.layer, location: node.location)
        rewriter.replace(node: index, with: merged)
        return true
    }
}

/// `neg(neg(x))` → `x`.
struct DoubleNegationPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard node.elementwiseKind == .neg, let inner = rewriter.producerNode(of: node.inputs[0]),
              inner.elementwiseKind == .neg else { return false }
        rewriter.replaceUses(of: node.outputs[0], with: inner.inputs[0])
        return true
    }
}

/// A permute of a permute (transposes included) → one permute of the original input.
struct PermuteChainPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard node.inputs.count == 1, let inner = rewriter.producerNode(of: node.inputs[0]), inner.outputs.count == 1,
              case .permute(let outer) = node.op.indexMap(inputs: [rewriter.graph.shape(of: node.inputs[0])], attributes: node.attributes, output: 0),
              case .permute(let first) = inner.op.indexMap(inputs: inner.inputs.map(rewriter.graph.shape(of:)), attributes: inner.attributes, output: 0)
        else { return false }
        let source = inner.inputs[0]
        // Output axis k of the outer is its input axis outer[k], which is source axis first[outer[k]].
        let dims = outer.map { first[$0] }
        if dims == Array(dims.indices) {
            rewriter.replaceUses(of: node.outputs[0], with: source)
            return true
        }
        let permute = try rewriter.graph.makeNode(PermuteOp(), inputs: [source], attributes: Attributes([("dims", .ints(dims))]),
                                         parameters: [], layer: node.layer, location: node.location)
        rewriter.replace(node: index, with: permute)
        return true
    }
}

/// Row-major reshapes (reshape, flatten, and identity-like views) of a row-major reshape →
/// one reshape of the original input (or the input itself when the shapes agree).
struct ReshapeChainPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard node.inputs.count == 1, node.outputs.count == 1, let inner = rewriter.producerNode(of: node.inputs[0]),
              inner.inputs.count == 1, inner.outputs.count == 1,
              node.op.indexMap(inputs: [rewriter.graph.shape(of: node.inputs[0])], attributes: node.attributes, output: 0) == .rowMajor,
              inner.op.indexMap(inputs: [rewriter.graph.shape(of: inner.inputs[0])], attributes: inner.attributes, output: 0) == .rowMajor
        else { return false }
        let source = inner.inputs[0], shape = rewriter.graph.shape(of: node.outputs[0])
        if rewriter.graph.shape(of: source) == shape {
            rewriter.replaceUses(of: node.outputs[0], with: source)
            return true
        }
        let reshape = try rewriter.graph.makeNode(ReshapeOp(), inputs: [source], attributes: Attributes([("shape", .ints(shape))]),
                                         parameters: [], layer: node.layer, location: node.location)
        rewriter.replace(node: index, with: reshape)
        return true
    }
}

/// `matmul(a * s, b)` → `matmul(a, b) * s` (either operand; matmul is linear in each).
struct ScaleThroughMatmulPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard node.op is MatmulOp, node.outputs.count == 1 else { return false }
        for (position, input) in node.inputs.enumerated() {
            guard let scaled = rewriter.producerNode(of: input), scaled.isScalar(.mul),
                  rewriter.hasSingleUser(input) else { continue }
            var inputs = node.inputs
            inputs[position] = scaled.inputs[0]
            let product = try rewriter.graph.makeNode(node.op, inputs: inputs, attributes: node.attributes, parameters: [],
                                             layer: node.layer, location: node.location)
            let scale = try rewriter.graph.makeNode(scaled.op, inputs: product.outputs, attributes: scaled.attributes, parameters: [],
                                           layer: scaled.layer, location: scaled.location)
            rewriter.insert(product, before: index)
            rewriter.replace(node: index, with: scale)
            return true
        }
        return false
    }
}
