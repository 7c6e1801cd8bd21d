import AttendBasic
import AttendIR

/// A fused attention group the C backend runs as one kernel:
/// `scores = A @ B` (batched matmul), its elementwise epilogue, a softmax over the last
/// axis, `out = softmax @ V`, and that product's elementwise epilogue. The kernel computes
/// one row of scores at a time in a local array, so the score matrix is never stored.
public struct AttentionLayout: Sendable {
    public var scores: Int
    public var scoreEpilogue: [Int]
    public var softmax: Int
    public var output: Int
    public var outputEpilogue: [Int]
    var first: MatmulOp.Plan
    var second: MatmulOp.Plan

    /// `isReady(value)`: the value exists before the group's first node runs; `readers(value)`:
    /// the nodes reading it (the normalized scores must feed only the second product).
    init?(_ nodes: [Int], in graph: Graph, isView: (Node) -> Bool, isReady: (ValueID) -> Bool, readers: (ValueID) -> [Int]) {
        guard let softmax = nodes.firstIndex(where: { graph.nodes[$0].op is SoftmaxOp }), softmax >= 1, softmax + 1 < nodes.count else { return nil }
        let product = graph.nodes[nodes[0]], normalizer = graph.nodes[nodes[softmax]], second = graph.nodes[nodes[softmax + 1]]
        // The products, the normalization and the epilogues by the rules the fuse pass forms
        // attention groups by (`FusionRules`).
        guard !isView(product), let (firstPlan, secondPlan) = FusionRules.attentionPlans(product, second, in: graph) else { return nil }
        let grid = graph.shape(of: product.outputs[0])
        var chain = product.outputs[0]
        for index in nodes[1..<softmax] {
            let node = graph.nodes[index]
            guard FusionRules.joinsEpilogue(node, grid: grid, in: graph), node.inputs.contains(chain) else { return nil }
            chain = node.outputs[0]
        }
        guard FusionRules.normalizesAttentionRows(normalizer, of: chain, in: graph), second.inputs[0] == normalizer.outputs[0],
              readers(normalizer.outputs[0]) == [nodes[softmax + 1]], !graph.outputs.contains(where: { $0.value == normalizer.outputs[0] })
        else { return nil }
        // Everything read from outside the group must exist when the kernel runs.
        let inside = Set(nodes.flatMap { graph.nodes[$0].outputs })
        guard nodes.allSatisfy({ graph.nodes[$0].inputs.allSatisfy { inside.contains($0) || isReady($0) } }) else { return nil }
        let outputGrid = graph.shape(of: second.outputs[0])
        for index in nodes[(softmax + 2)...] {
            let node = graph.nodes[index]
            guard FusionRules.joinsEpilogue(node, grid: outputGrid, in: graph) else { return nil }
        }
        scores = nodes[0]
        scoreEpilogue = Array(nodes[1..<softmax])
        self.softmax = nodes[softmax]
        output = nodes[softmax + 1]
        outputEpilogue = Array(nodes[(softmax + 2)...])
        first = firstPlan
        self.second = secondPlan
    }
}

extension UnitLowering {
    /// The attention kernel: parallel over score rows (batch x M); per row, the scores in a
    /// local array (dot products, then the score epilogue), the softmax as the unfused
    /// kernel computes it, then the output row accumulated over the rows of V (as the matmul
    /// lowering does), followed by the output epilogue.
    func lowerAttention(_ unit: KernelSchedule.Unit, layout: AttentionLayout, position: Int) throws(Diagnostic) -> (kernel: Kernel, arguments: [BufferLocation]) {
        var buffers = Buffers()
        let graph = self.graph
        let scores = graph.nodes[layout.scores], second = graph.nodes[layout.output]
        let (m, k, n) = (layout.first.m, layout.first.k, layout.first.n)
        let d = layout.second.n
        let batch = layout.first.batch
        let row = IndexExpr.v("row"), matrix = row / .constant(m), i = row % .constant(m)
        let local = BufferRef("srow")
        // Operands are read by coordinates (batch, row, column), so views of them (the heads
        // of a qkv projection, a transposed key) are read at affine indices.
        let batchCoordinates = Loops.coordinates(matrix, batch)
        func operand(_ value: ValueID, _ operandBatch: [Int], _ rowIndex: IndexExpr, _ column: IndexExpr) -> ValueExpr {
            let leading = batch.count - operandBatch.count
            let coordinates = operandBatch.indices.map { operandBatch[$0] == 1 ? IndexExpr.constant(0) : batchCoordinates[$0 + leading] }
            return load(value, coordinates: coordinates + [rowIndex, column], buffers: &buffers)
        }

        // Scores row: s[j] = epilogue(sum_p A[i, p] B[p, j]).
        var site = 0
        let dot = Accumulation.accumulate(into: "acc", count: k, prefix: "p") { p, target in
            [Accumulation.add(target, operand(scores.inputs[0], layout.first.leftBatch, i, p) * operand(scores.inputs[1], layout.first.rightBatch, p, .v("j")))]
        }
        var scalars: [ValueID: ValueExpr] = [:]
        var scoreStmts = epilogue(members: layout.scoreEpilogue, output: scores.outputs[0], index: row * .constant(n) + .v("j"),
                                  value: .scalar("acc"), site: &site, buffers: &buffers, storeAnchor: true, scalars: &scalars)
        let softmaxInput = graph.nodes[layout.softmax].inputs[0]
        scoreStmts.append(.store(local, .v("j"), scalars[softmaxInput] ?? .scalar("acc")))
        let scoreLoop = Stmt.loop(variable: "j", lower: 0, upper: .constant(n), schedule: .serial, body: [.declare("acc", .constant(0))] + dot + scoreStmts)

        // Softmax of the row, as the softmax lowering computes it.
        let softmax: [Stmt] = [
            .declare("largest", .constant(-.infinity)),
            .loop(variable: "e", lower: 0, upper: .constant(n), schedule: .serial, body: [
                .assign("largest", .binary(.max, .scalar("largest"), .load(local, .v("e")))),
            ]),
            .declare("total", .constant(0)),
        ] + Accumulation.accumulate(into: "total", count: n, prefix: "f") { f, target in
            [
                .declare("power", .unary(.exp, .load(local, f) - .scalar("largest"))),
                .store(local, f, .scalar("power")),
                Accumulation.add(target, .scalar("power")),
            ]
        } + [
            .loop(variable: "g", lower: 0, upper: .constant(n), schedule: .vectorized, body: [
                .store(local, .v("g"), .load(local, .v("g")) / .scalar("total")),
            ]),
        ]

        // Output row: out[i, c] = epilogue(sum_j s[j] V[j, c]), accumulated row by row of V
        // (contiguous in c, as the matmul lowering orders it) in a second local array.
        let accumulated = BufferRef("orow")
        let weighted: [Stmt] = [
            .loop(variable: "c", lower: 0, upper: .constant(d), schedule: .vectorized, body: [.store(accumulated, .v("c"), .constant(0))]),
            .loop(variable: "q", lower: 0, upper: .constant(n), schedule: .serial, body: [
                .declare("weight", .load(local, .v("q"))),
                .loop(variable: "c", lower: 0, upper: .constant(d), schedule: .vectorized, body: [
                    .store(accumulated, .v("c"), .load(accumulated, .v("c")) + .scalar("weight") * operand(second.inputs[1], layout.second.rightBatch, .v("q"), .v("c"))),
                ]),
            ]),
        ]
        var outputScalars: [ValueID: ValueExpr] = [:]
        let outputStmts = epilogue(members: layout.outputEpilogue, output: second.outputs[0], index: row * .constant(d) + .v("c"),
                                   value: .load(accumulated, .v("c")), site: &site, buffers: &buffers, storeAnchor: true, scalars: &outputScalars)
        let outputLoop = Stmt.loop(variable: "c", lower: 0, upper: .constant(d), schedule: .vectorized, body: outputStmts)

        let body: [Stmt] = [
            .localArray(local, count: n),
            .localArray(accumulated, count: d),
            scoreLoop,
        ] + softmax + weighted + [outputLoop]
        let rows = ShapeRules.elementCount(batch) * m
        let names = unit.nodes.map { graph.nodes[$0] }.map { $0.layer.isEmpty ? $0.op.name : $0.layer }
        let kernel = Kernel(name: "k\(position)_" + Naming.readable(names[0]),
                            comment: "attention " + unit.nodes.map { graph.nodes[$0].op.name }.joined(separator: " + ") + " '\(names.joined(separator: "', '"))'",
                            parameters: buffers.parameters,
                            body: [.loop(variable: "row", lower: 0, upper: .constant(rows), schedule: .parallel, body: body)])
        return (kernel, buffers.arguments)
    }
}
