import AttendBasic
import AttendIR

/// 2-D convolution (groups 1, any kernel, stride, padding, dilation) as a register-tiled
/// matrix product over NCHW maps: `Y[oc, p] = bias[oc] + sum_k W[oc, k] * B[k, p]`, where `p`
/// runs over output pixels (contiguous in NCHW) and `k` over (input channel, kernel row,
/// kernel column) in PyTorch's weight order, so every output sums its terms in the
/// interpreter's order (with fused multiply-adds).
///
/// - Weights are packed once at load into panels of `tile.rows` output channels
///   (`pack_panels`, a derived parameter), read as broadcasts.
/// - The B operand (input patches) comes from one of two places (`Operand`): for stride 1,
///   shifted runs of a zero-padded copy of the input, read in place (no packing); for other
///   strides, a per-tile panel packed block by block of the reduction (im2col of one tile).
/// - The parallel loop runs over tiles of `tile.columns` consecutive pixels of one image
///   (and, for small maps, groups of output-channel panels).
/// - Each output row segment is finalized (`Stmt.finalized`) once complete, so fused
///   epilogues run on it while it is in cache; tiles that do not map to whole vectors of the
///   output go through a small local buffer, so nothing is read or written outside the
///   tensors.
struct ConvGEMMStrategy: KernelStrategy {
    var name: String { "gemm" }

    /// Where rows of B come from.
    enum Operand: Sendable, Equatable {
        /// Stride 1: row `k = (ci, kh, kw)` of B is the padded input plane `ci` shifted by
        /// `(kh, kw)`, read over a grid as wide as the padded row (the few grid columns past
        /// the output width are computed and dropped). From a zero-padded copy in the
        /// kernel's scratch, or from the input itself when there is no padding to add and
        /// no tile reads past its end (1x1 convolutions on maps of whole tiles).
        case shifted(copy: Bool)
        /// Any stride: each tile's patches are packed into a local panel, `kBlock` rows of
        /// B at a time (sized to stay in L1); partial sums wait in a local buffer.
        case packed(kBlock: Int, kBlocks: Int)
    }

    /// The tiling of one node.
    struct Tiling: Sendable {
        var tile: RegisterTile
        var operand: Operand
        /// Output-channel panels per parallel task, and tasks per pixel tile.
        var panelsPerGroup: Int
        var groups: Int
    }

    func plan(_ node: Node, in graph: Graph, target: Target) -> StrategyPlan? {
        guard let conv = node.op as? ConvOp, conv.spatialRank == 2, node.attributes.int("groups") == 1,
              node.inputs.count == 1, node.outputs.count == 1, node.parameterName("weight") != nil else { return nil }
        let g = ConvGeometry(input: graph.shape(of: node.inputs[0]), output: graph.shape(of: node.outputs[0]), attributes: node.attributes)
        // Maps smaller than one vector (a 1x1 conv on pooled features: a matrix-vector
        // product) would be mostly padding; the direct loops serve them.
        guard g.outHeight * g.outWidth >= target.vectorWidth else { return nil }
        let tile = RegisterTile.choose(rows: g.outChannels, columns: g.gridPixels, target: target)
        let operand: Operand
        if g.isShifted {
            let inPlace = g.kernel == [1, 1] && g.pad == [0, 0] && g.gridPixels % tile.columns == 0
            operand = .shifted(copy: !inPlace)
        } else {
            let maxBlock = max(16, target.l1Bytes / 2 / (tile.columns * 4))
            let kBlocks = (g.reduction + maxBlock - 1) / maxBlock
            operand = .packed(kBlock: (g.reduction + kBlocks - 1) / kBlocks, kBlocks: kBlocks)
        }
        // Enough tasks to balance a few threads on small maps. Packed tiles are packed once
        // per group, so those split only as far as two or three threads need; partial sums
        // of a group's panels stay within a quarter of L2.
        let panels = (g.outChannels + tile.rows - 1) / tile.rows
        let pixelTasks = g.batch * ((g.gridPixels + tile.columns - 1) / tile.columns)
        var wanted: Int
        switch operand {
        case .shifted: wanted = (16 + pixelTasks - 1) / pixelTasks
        case .packed(_, let kBlocks):
            wanted = (4 + pixelTasks - 1) / pixelTasks
            if kBlocks > 1 { wanted = max(wanted, (panels * tile.rows * tile.columns * 4 + target.l2Bytes / 4 - 1) / (target.l2Bytes / 4)) }
        }
        wanted = max(1, min(panels, wanted))
        let panelsPerGroup = (panels + wanted - 1) / wanted
        let tiling = Tiling(tile: tile, operand: operand, panelsPerGroup: panelsPerGroup, groups: (panels + panelsPerGroup - 1) / panelsPerGroup)
        var detail = "tile \(tile)"
        switch operand {
        case .shifted(let copy): detail += copy ? ", shifted rows of a padded copy" : ", shifted rows in place"
        case .packed(let kBlock, _): detail += ", packed patches, k-block \(kBlock)"
        }
        if tiling.groups > 1 { detail += ", \(tiling.groups) channel groups" }
        let scratch = operand == .shifted(copy: true) ? g.batch * g.channels * g.paddedPlane + tile.columns : 0
        return StrategyPlan(
            strategy: name, detail: detail,
            derivations: [.init(slot: "packed_weight", op: PackPanelsOp(), operandSlots: ["weight"],
                                attributes: Attributes([("rows", .int(tile.rows))]))],
            finalizesRegions: true, scratch: scratch,
            lower: { context throws(Diagnostic) in try Self.lower(context, tiling) })
    }

    static func lower(_ context: LoweringContext, _ tiling: Tiling) throws(Diagnostic) -> [Stmt] {
        let g = ConvGeometry(input: context.inputShapes[0], output: context.outputShapes[0], attributes: context.attributes)
        let x = context.inputs[0], y = context.outputs[0]
        let packedWeight = try context.weight("packed_weight")
        let bias = context.weights["bias"]
        let tile = tiling.tile, columns = tile.columns, rows = tile.rows
        let tilesPerImage = (g.gridPixels + columns - 1) / columns
        let panels = (g.outChannels + rows - 1) / rows
        let hasEdgePanel = g.outChannels % rows != 0
        let partial = BufferRef("partial"), panel = BufferRef("bpanel")
        func c(_ v: Int) -> IndexExpr { .constant(v) }

        var prologue: [Stmt] = []
        var source = x
        if tiling.operand == .shifted(copy: true) {
            guard let scratch = context.scratch else { throw .error("internal: the shifted-rows convolution has no scratch buffer") }
            prologue = g.paddedCopy(from: x, to: scratch, tail: columns)
            source = scratch
        }

        // Task t: image n, tile of grid pixels [p0, p0 + pcount), output-channel panels [obegin, oend).
        var body: [Stmt] = [
            .letIndex("n", .v("t") / c(tilesPerImage * tiling.groups)),
            .letIndex("p0", ((.v("t") / c(tiling.groups)) % c(tilesPerImage)) * c(columns)),
            .letIndex("pcount", .min(c(columns), c(g.gridPixels) - .v("p0"))),
            .letIndex("obegin", (.v("t") % c(tiling.groups)) * c(tiling.panelsPerGroup)),
            .letIndex("oend", .min(c(panels), .v("obegin") + c(tiling.panelsPerGroup))),
        ]
        let validRow = { (i: Int) -> Condition in .less(.v("oc") + c(i), c(g.outChannels)) }
        func guarded(_ i: Int, _ stmts: [Stmt]) -> [Stmt] {
            hasEdgePanel && i > 0 ? [.when(validRow(i), then: stmts, otherwise: [])] : stmts
        }
        let initial = tile.declareAccumulators { i, _ in
            guard let bias else { return .broadcast(.constant(0), width: tile.width) }
            let value = ValueExpr.load(bias, .v("oc") + c(i))
            return .broadcast(hasEdgePanel && i > 0 ? .select(validRow(i), value, .constant(0)) : value, width: tile.width)
        }
        // Partial sums (and tiles stored through a buffer): one slot per panel when several
        // reduction blocks keep them, else one slot.
        var slotBase = IndexExpr.constant(0)
        if case .packed(_, let kBlocks) = tiling.operand, kBlocks > 1 { slotBase = (.v("ob") - .v("obegin")) * c(rows * columns) }
        var slots = g.storesThroughBuffer(columns: columns) ? 1 : 0
        if case .packed(_, let kBlocks) = tiling.operand, kBlocks > 1 { slots = tiling.panelsPerGroup }
        if slots > 0 { body.append(.localArray(partial, count: slots * rows * columns)) }
        let slot = { (i: Int, v: Int) -> IndexExpr in slotBase + c(i * columns + v * tile.width) }
        let keep = (0..<rows).flatMap { i in (0..<tile.vectors).map { v in
            Stmt.storeVector(partial, slot(i, v), .register(tile.accumulator(i, v)), width: tile.width, aligned: true)
        } }
        let output = g.storeTile(tile, to: y, through: partial, slot: slot, keep: keep, guarded: guarded)
        let aRow = { (k: IndexExpr, i: Int) -> ValueExpr in .load(packedWeight, (.v("ob") * c(g.reduction) + k) * c(rows) + c(i)) }

        switch tiling.operand {
        case .shifted:
            // k = (ci, kh, kw): B row k is the plane of ci shifted by kh rows and kw columns.
            let step = tile.step(a: { i in aRow((.v("ci") * c(g.kernel[0]) + .v("kh")) * c(g.kernel[1]) + .v("kw"), i) }, b: { v in
                .load(source, (.v("n") * c(g.channels) + .v("ci")) * c(g.paddedPlane) + .v("kh") * c(g.dilation[0] * g.paddedWidth)
                      + .v("kw") * c(g.dilation[1]) + .v("p0") + c(v * tile.width), width: tile.width, aligned: false)
            })
            let reduction = Loops.counted("ci", g.channels, Loops.counted("kh", g.kernel[0], Loops.counted("kw", g.kernel[1], step)))
            body.append(.loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body:
                [.letIndex("oc", .v("ob") * c(rows))] + initial + reduction + output))
        case .packed(let kBlock, let kBlocks):
            body.append(.localArray(panel, count: kBlock * columns))
            let step = tile.step(a: { i in aRow(.v("k0") + .v("kk"), i) }, b: { v in
                .load(panel, .v("kk") * c(columns) + c(v * tile.width), width: tile.width, aligned: true)
            })
            var panelBody: [Stmt] = [.letIndex("oc", .v("ob") * c(rows))] + initial
            if kBlocks > 1 {
                panelBody.append(.when(.less(0, .v("kb")), then: tile.assignAccumulators { i, v in
                    .load(partial, slot(i, v), width: tile.width, aligned: true)
                }, otherwise: []))
            }
            panelBody.append(.loop(variable: "kk", lower: 0, upper: .v("kn"), schedule: .serial, body: step))
            panelBody += kBlocks > 1 ? [.when(.equal(.v("kb"), c(kBlocks - 1)), then: output, otherwise: keep)] : output
            body.append(.loop(variable: "kb", lower: 0, upper: c(kBlocks), schedule: .serial, body: [
                .letIndex("k0", .v("kb") * c(kBlock)),
                .letIndex("kn", .min(c(kBlock), c(g.reduction) - .v("k0"))),
                .loop(variable: "kk", lower: 0, upper: .v("kn"), schedule: .serial, body: g.packPatches(from: x, into: panel, columns: columns)),
                .loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: panelBody),
            ]))
        }
        let tasks = g.batch * tilesPerImage * tiling.groups
        return prologue + [.loop(variable: "t", lower: 0, upper: c(tasks), schedule: .parallel, body: body)]
    }
}
