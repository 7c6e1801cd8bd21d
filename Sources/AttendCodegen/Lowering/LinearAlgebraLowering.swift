import AttendBasic
import AttendIR

/// linear and matmul. Products are accumulated in float (the interpreter uses Double);
/// long dot products are summed blockwise to stay close to it.
enum LinearAlgebraLowering {
    /// Output columns one matmul task updates: a block of B's rows stays in cache while a
    /// row of A streams over it.
    static let columnBlock = 256

    /// Output features of one linear task: their dot products share each load of the input
    /// row and stream that many weight rows at once, so a matrix-vector product (a
    /// classifier at batch 1) keeps several memory streams in flight rather than one
    /// (measured on a 2048->1000 classifier at batch 1: 0.64x the time of one row per task).
    static let linearRows = 4

    /// y = x W^T + b: parallel over groups of `linearRows` output features of one row of x,
    /// each a dot product of that row with a row of W (weight is [out, in], so both run
    /// contiguously over k), summed as alone. A short last group repeats the last feature's
    /// row and does not store it.
    static func linear(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        let weight = try context.weight("weight")
        let bias = context.weights["bias"]
        let inShape = context.inputShapes[0]
        let features = inShape.last ?? 1
        let out = context.outputShapes[0].last ?? 1
        let rows = ShapeRules.elementCount(Array(inShape.dropLast()))
        let width = min(linearRows, out), groups = Accumulation.ceilDiv(out, width)
        let sums = (0..<width).map { "acc\($0)" }
        let column = { (i: Int) -> IndexExpr in .v("j0") + .constant(i) }
        let dot = Accumulation.accumulate(into: sums, count: features, prefix: "k") { k, targets in
            let input = ValueExpr.load(x, .v("xrow") + k)
            return targets.indices.map { i in Accumulation.add(targets[i], input * .load(weight, .v("wrow\(i)") + k)) }
        }
        var body: [Stmt] = [
            .letIndex("xrow", .v("rg") / .constant(groups) * .constant(features)),
            .letIndex("j0", .v("rg") % .constant(groups) * .constant(width)),
        ]
        for i in 0..<width {
            let feature = out % width == 0 || i == 0 ? column(i) : .min(column(i), .constant(out - 1))
            body += [.letIndex("wrow\(i)", feature * .constant(features)), .declare(sums[i], .constant(0))]
        }
        body += dot
        let yrow = .v("rg") / .constant(groups) * .constant(out)
        for i in 0..<width {
            // The bias is added after the products, as the interpreter does.
            let result: ValueExpr = bias.map { .scalar(sums[i]) + .load($0, column(i)) } ?? .scalar(sums[i])
            let store = Stmt.store(y, yrow + column(i), result)
            body.append(out % width == 0 || i == 0 ? store : .when(.less(column(i), .constant(out)), then: [store], otherwise: []))
        }
        return [.loop(variable: "rg", lower: 0, upper: .constant(rows * groups), schedule: .parallel, body: body)]
    }

    /// torch.matmul with broadcast batch dims. Parallel over (batch, row, column block);
    /// i-k-j order: the output row block is zeroed, then for each k a scaled row of B is
    /// added to it, the innermost loop contiguous in both. A single output column
    /// (matrix-vector) is a dot product instead.
    static func matmul(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let a = context.inputs[0], b = context.inputs[1], c = context.outputs[0]
        let plan = try MatmulOp.plan(context.inputShapes[0], context.inputShapes[1])
        let m = plan.m, k = plan.k, n = plan.n
        let batchCount = ShapeRules.elementCount(plan.batch)
        let row = IndexExpr.v("row")
        let batch = row / .constant(m)
        let aBase = matrix(batch, of: plan.leftBatch, in: plan.batch) * .constant(m * k) + (row % .constant(m)) * .constant(k)
        let bBase = matrix(batch, of: plan.rightBatch, in: plan.batch) * .constant(k * n)
        let bases: [Stmt] = [.letIndex("abase", aBase), .letIndex("bbase", bBase)]

        if isDotProduct(plan) {
            let dot = Accumulation.accumulate(into: "acc", count: k, prefix: "p") { p, target in
                [Accumulation.add(target, .load(a, .v("abase") + p) * .load(b, .v("bbase") + p))]
            }
            return [.loop(variable: "row", lower: 0, upper: .constant(batchCount * m), schedule: .parallel, body: bases + [
                .declare("acc", .constant(0)),
            ] + dot + [
                .store(c, row, .scalar("acc")),
            ])]
        }

        let blocks = Accumulation.ceilDiv(n, columnBlock)
        let (lower, upper) = Accumulation.blockRange(.v("jb"), size: columnBlock, extent: n)
        let target = IndexExpr.v("cbase") + .v("j")
        let update = Stmt.store(c, target, .load(c, target) + .scalar("scale") * .load(b, .v("bbase") + .v("p") * .constant(n) + .v("j")))
        var body: [Stmt] = []
        let index: String
        if blocks == 1 {
            index = "row"
        } else {
            index = "rowblock"
            body += [.letIndex("row", .v("rowblock") / .constant(blocks)), .letIndex("jb", .v("rowblock") % .constant(blocks))]
        }
        body += bases + [
            .letIndex("cbase", row * .constant(n)),
            .loop(variable: "j", lower: lower, upper: upper, schedule: .vectorized, body: [.store(c, target, .constant(0))]),
            .loop(variable: "p", lower: 0, upper: .constant(k), schedule: .serial, body: [
                .declare("scale", .load(a, .v("abase") + .v("p"))),
                .loop(variable: "j", lower: lower, upper: upper, schedule: .vectorized, body: [update]),
            ]),
            .finalized(c, start: .v("cbase") + lower, count: upper - lower, stride: 1, alignment: blocks == 1 ? n : 1),
        ]
        return [.loop(variable: index, lower: 0, upper: .constant(batchCount * m * blocks), schedule: .parallel, body: body)]
    }

    /// Whether a product has a single output column (matrix-vector): then each output is one
    /// dot product, summed in a scalar.
    static func isDotProduct(_ plan: MatmulOp.Plan) -> Bool { plan.n == 1 }

    /// Which matrix of an operand with batch dims `operandBatch` (broadcast to `batch`)
    /// the flat batch index `index` reads.
    static func matrix(_ index: IndexExpr, of operandBatch: [Int], in batch: [Int]) -> IndexExpr {
        if ShapeRules.elementCount(batch) == 1 { return 0 }
        let padded = [Int](repeating: 1, count: batch.count - operandBatch.count) + operandBatch
        if padded == batch { return index }
        return Accumulation.remap(index, shape: batch, strides: Loops.broadcastStrides(operandBatch, to: batch))
    }
}

extension LinearOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try LinearAlgebraLowering.linear(context) }
}

extension MatmulOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try LinearAlgebraLowering.matmul(context) }
    /// Row blocks of the output are summed over k in place; a single output column is a dot
    /// product kept in a scalar instead.
    public func finalizesRegions(inputs: [[Int]], attributes: Attributes) -> Bool {
        guard inputs.count == 2, let plan = try? MatmulOp.plan(inputs[0], inputs[1]) else { return false }
        return !LinearAlgebraLowering.isDotProduct(plan)
    }
}
