import AttendBasic

/// torch.nn.Linear over the last dim of an input of any rank: y = x W^T + b,
/// weight `[out, in]`, optional bias `[out]`.
public struct LinearOp: Op {
    public init() {}

    public var name: String { "linear" }
    public var summary: String { "y = x W^T + b over the last dim, as torch.nn.Linear; input [..., in], weight [out, in]" }
    public var fusion: FusionKind { .complexOutFusable }
    public func outputChannelAxis(inputs: [[Int]], attributes: Attributes) -> Int? { max(inputs[0].count - 1, 0) }
    public var arity: Arity { .exactly(1) }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("out", .int, "output features (out_features)"),
            ArgSpec("bias", .bool, default: .bool(true), "learn an additive bias"),
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        guard let features = x.last else {
            throw .error("linear expects input [..., in] of rank at least 1, got \(formatShape(x))")
        }
        let out = a.int("out")
        guard out > 0 else { throw .error("linear needs out > 0, got \(out)") }
        guard features > 0 else { throw .error("linear needs at least one input feature, got input \(formatShape(x))") }
        return [x.dropLast() + [out]]
    }

    public func parameters(inputs: [[Int]], attributes a: Attributes) -> [ParameterSlot] {
        let features = inputs[0].last ?? 0, out = a.int("out")
        var slots = [ParameterSlot("weight", [out, features], .uniformFanIn(features))]
        if a.bool("bias") { slots.append(ParameterSlot("bias", [out], .uniformFanIn(features))) }
        return slots
    }

    public func flops(inputs: [[Int]], outputs: [[Int]], attributes a: Attributes) -> Int {
        let x = inputs[0]
        let features = x.last ?? 0
        let rows = ShapeRules.elementCount(Array(x.dropLast()))
        return 2 * features * a.int("out") * rows
    }
}

/// torch.matmul: batched matrix product with NumPy broadcasting of the batch dims.
/// A 1-D left operand is treated as a row `[1, k]` and a 1-D right operand as a column
/// `[k, 1]`; the added dim is removed from the result, so two vectors give a rank-0 dot.
public struct MatmulOp: Op {
    public init() {}

    public var name: String { "matmul" }
    public var summary: String { "matrix product as torch.matmul: batch dims broadcast, 1-D operands as in torch" }
    public var fusion: FusionKind { .complexOutFusable }
    public var arity: Arity { .exactly(2) }
    public var arguments: [ArgSpec] { [] }

    /// The operands as matrices (`[batch..., rows, cols]`), with 1-D operands lifted as torch does.
    public struct Plan: Equatable, Sendable {
        public var leftBatch: [Int]
        public var rightBatch: [Int]
        public var batch: [Int]
        public var m: Int
        public var k: Int
        public var n: Int
    }

    /// Checks two operand shapes and describes the product, or says why they do not multiply.
    public static func plan(_ a: [Int], _ b: [Int]) throws(Diagnostic) -> Plan {
        guard !a.isEmpty, !b.isEmpty else {
            throw .error("matmul needs operands of rank at least 1, got \(formatShape(a)) and \(formatShape(b))")
        }
        let left = a.count == 1 ? [1] + a : a
        let right = b.count == 1 ? b + [1] : b
        let m = left[left.count - 2], k = left[left.count - 1]
        let rightK = right[right.count - 2], n = right[right.count - 1]
        guard k == rightK else {
            throw .error("matmul cannot multiply \(formatShape(a)) by \(formatShape(b)): inner dims \(k) and \(rightK) differ")
        }
        let leftBatch = Array(left.dropLast(2)), rightBatch = Array(right.dropLast(2))
        guard let batch = ShapeRules.broadcast(leftBatch, rightBatch) else {
            throw .error("matmul batch dims \(formatShape(leftBatch)) of \(formatShape(a)) and \(formatShape(rightBatch)) of \(formatShape(b)) do not broadcast")
        }
        return Plan(leftBatch: leftBatch, rightBatch: rightBatch, batch: batch, m: m, k: k, n: n)
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let a = inputs[0], b = inputs[1]
        let plan = try Self.plan(a, b)
        var shape = plan.batch
        if a.count >= 2 { shape.append(plan.m) }
        if b.count >= 2 { shape.append(plan.n) }
        return [shape]
    }

    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        guard let plan = try? Self.plan(inputs[0], inputs[1]) else { return 0 }
        return 2 * plan.k * ShapeRules.elementCount(outputs[0])
    }
}
