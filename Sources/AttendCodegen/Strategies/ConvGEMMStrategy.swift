import AttendBasic
import AttendIR

/// 2-D convolution (any kernel, stride, padding, dilation; groups whose output channels
/// split into whole tiles) as a register-tiled
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
        /// kernel's scratch, or from the input itself when there is no padding to add (1x1
        /// convolutions). A tile reads up to a tile past its plane: into the next plane, or
        /// past the input's end into the arena's spare tail; where the input is not in the
        /// arena (a graph input) and that can happen (`guardEnd`), the last plane's last
        /// tile reads a zero-padded local copy of that tail instead.
        case shifted(copy: Bool, guardEnd: Bool)
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
        /// Each task computes whole planes of its channels (every pixel tile) and finalizes
        /// them at the end, so a fused reduction over whole planes (global pooling) runs in
        /// the epilogue; otherwise tasks are pixel tiles and row segments finalize per tile.
        var wholePlanes: Bool
    }

    func plan(_ node: Node, in graph: Graph, target: Target) -> StrategyPlan? {
        guard let conv = node.op as? ConvOp, conv.spatialRank == 2,
              node.inputs.count == 1, node.outputs.count == 1, node.parameterName("weight") != nil else { return nil }
        let g = ConvGeometry(input: graph.shape(of: node.inputs[0]), output: graph.shape(of: node.outputs[0]), attributes: node.attributes)
        // Maps smaller than one vector (a 1x1 conv on pooled features: a matrix-vector
        // product) would be mostly padding; the direct loops serve them.
        guard g.outHeight * g.outWidth >= target.vectorWidth else { return nil }
        // Grouped: each panel of output channels must lie in one group.
        guard let tile = RegisterTile.choose(rows: g.outChannels, columns: g.gridPixels, target: target,
                                             rowsDividing: g.groups > 1 ? g.outPerGroup : nil) else { return nil }
        // A fused reduction over windows of this node's output grid (global pooling of it or
        // of its epilogue's value).
        let wholePlanes = node.group.map { group in
            graph.nodes.contains { member in
                member.group == group && member.op.reductionWindow(inputs: member.inputs.map(graph.shape(of:)), attributes: member.attributes) != nil
            }
        } ?? false
        let operand: Operand
        if g.isShifted {
            let inPlace = g.kernel == [1, 1] && g.pad == [0, 0] && tile.columns <= ArenaPlan.tail
            let guardEnd = inPlace && g.gridPixels % tile.columns != 0 && !Self.livesInArena(node.inputs[0], graph)
            // The guarded last plane is written for one group; grouped convs copy instead.
            operand = .shifted(copy: !inPlace || (guardEnd && g.groups > 1), guardEnd: guardEnd && g.groups == 1)
        } else {
            let maxBlock = max(16, target.l1Bytes / 2 / (tile.columns * 4))
            let kBlocks = (g.reduction + maxBlock - 1) / maxBlock
            operand = .packed(kBlock: (g.reduction + kBlocks - 1) / kBlocks, kBlocks: kBlocks)
        }
        // Enough tasks to balance a few threads on small maps. Packed tiles are packed once
        // per group, so those split only as far as two or three threads need; partial sums
        // of a group's panels stay within a quarter of L2.
        let panels = (g.outChannels + tile.rows - 1) / tile.rows
        let pixelTasks = wholePlanes ? g.batch : g.batch * ((g.gridPixels + tile.columns - 1) / tile.columns)
        var wanted: Int
        switch operand {
        case .shifted: wanted = (16 + pixelTasks - 1) / pixelTasks
        case .packed(_, let kBlocks):
            wanted = (4 + pixelTasks - 1) / pixelTasks
            if kBlocks > 1 { wanted = max(wanted, (panels * tile.rows * tile.columns * 4 + target.l2Bytes / 4 - 1) / (target.l2Bytes / 4)) }
        }
        wanted = max(1, min(panels, wanted))
        var panelsPerGroup = (panels + wanted - 1) / wanted
        if case .packed = operand, g.groups > 1 {
            // A task packs one convolution group's patches: its panels lie in one group.
            let perConvGroup = g.outPerGroup / tile.rows
            while perConvGroup % panelsPerGroup != 0 { panelsPerGroup -= 1 }
        }
        let tiling = Tiling(tile: tile, operand: operand, panelsPerGroup: panelsPerGroup, groups: (panels + panelsPerGroup - 1) / panelsPerGroup,
                            wholePlanes: wholePlanes)
        var detail = "tile \(tile)"
        switch operand {
        case .shifted(let copy, _): detail += copy ? ", shifted rows of a padded copy" : ", shifted rows in place"
        case .packed(let kBlock, _): detail += ", packed patches, k-block \(kBlock)"
        }
        if tiling.groups > 1 { detail += ", \(tiling.groups) channel groups" }
        if wholePlanes { detail += ", whole planes" }
        let scratch = operand == .shifted(copy: true, guardEnd: false) ? g.batch * g.channels * g.paddedPlane + tile.columns : 0
        return StrategyPlan(
            strategy: name, detail: detail,
            derivations: [.init(slot: "packed_weight", op: PackPanelsOp(), operandSlots: ["weight"],
                                attributes: Attributes([("rows", .int(tile.rows))]))],
            finalizesRegions: true, scratch: scratch,
            lower: { context throws(Diagnostic) in try Self.lower(context, tiling) })
    }

    /// Whether `value`'s elements live in the arena (not a graph input or output, nor a
    /// parameter): reads a little past its end stay inside the arena.
    static func livesInArena(_ value: ValueID, _ graph: Graph) -> Bool {
        guard !graph.inputs.contains(where: { $0.value == value }), !graph.outputs.contains(where: { $0.value == value }),
              let producer = graph.nodes.first(where: { $0.outputs.contains(value) }) else { return false }
        // Views (injective ops) may read a graph input or a parameter in place.
        return producer.op.fusion != .injective && !(producer.op is ParameterOp)
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
        if tiling.operand == .shifted(copy: true, guardEnd: false) {
            guard let scratch = context.scratch else { throw .error("internal: the shifted-rows convolution has no scratch buffer") }
            prologue = g.paddedCopy(from: x, to: scratch, tail: columns)
            source = scratch
        }

        // Task t: image n, output-channel panels [obegin, oend), and a tile of grid pixels
        // [p0, p0 + pcount) (or, for whole planes, every tile in turn).
        let tilesPerTask = tiling.wholePlanes ? 1 : tilesPerImage
        var body: [Stmt] = [
            .letIndex("n", .v("t") / c(tilesPerTask * tiling.groups)),
            .letIndex("obegin", (.v("t") % c(tiling.groups)) * c(tiling.panelsPerGroup)),
            .letIndex("oend", .min(c(panels), .v("obegin") + c(tiling.panelsPerGroup))),
        ]
        // The first input channel of the convolution group of panel `ob`.
        let channelBase = { (ob: IndexExpr) -> IndexExpr in g.groups == 1 ? 0 : (ob * c(rows) / c(g.outPerGroup)) * c(g.inPerGroup) }
        var tileStart: [Stmt] = [
            .letIndex("p0", tiling.wholePlanes ? .v("tile") * c(columns) : ((.v("t") / c(tiling.groups)) % c(tilesPerImage)) * c(columns)),
            .letIndex("pcount", .min(c(columns), c(g.gridPixels) - .v("p0"))),
        ]
        var tileBody: [Stmt] = []
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
        let rowBase = { (i: Int) -> IndexExpr in (.v("n") * c(g.outChannels) + .v("oc") + c(i)) * c(g.outPixels) }
        let slot = { (i: Int, v: Int) -> IndexExpr in slotBase + c(i * columns + v * tile.width) }
        let keep = (0..<rows).flatMap { i in (0..<tile.vectors).map { v in
            Stmt.storeVector(partial, slot(i, v), .register(tile.accumulator(i, v)), width: tile.width, aligned: true)
        } }
        let output = g.storeTile(tile, to: y, through: partial, slot: slot, keep: keep, guarded: guarded, finalizing: !tiling.wholePlanes)
        let aRow = { (k: IndexExpr, i: Int) -> ValueExpr in .load(packedWeight, (.v("ob") * c(g.reduction) + k) * c(rows) + c(i)) }

        switch tiling.operand {
        case .shifted(_, let guardEnd):
            // k = (ci, kh, kw): B row k is the plane of ci shifted by kh rows and kw columns.
            let step = { (ci: IndexExpr) -> [Stmt] in
                tile.step(a: { i in aRow((ci * c(g.kernel[0]) + .v("kh")) * c(g.kernel[1]) + .v("kw"), i) }, b: { v in
                    .load(source, (.v("n") * c(g.channels) + .v("cbase") + ci) * c(g.paddedPlane) + .v("kh") * c(g.dilation[0] * g.paddedWidth)
                          + .v("kw") * c(g.dilation[1]) + .v("p0") + c(v * tile.width), width: tile.width, aligned: false)
                })
            }
            var reduction: [Stmt]
            if guardEnd {
                // 1x1: the last plane of the last image past its end comes from `btail`.
                let tail = BufferRef("btail")
                body.append(.localArray(tail, count: columns))
                tileStart.append(.when(.equal(.v("n"), c(g.batch - 1)), then: [
                    .loop(variable: "j", lower: 0, upper: c(columns), schedule: .vectorized, body: [
                        .store(tail, .v("j"), .select(.less(.v("j"), .v("pcount")),
                                                      .load(x, c((g.batch * g.channels - 1) * g.paddedPlane) + .v("p0") + .v("j")), .constant(0))),
                    ]),
                ], otherwise: []))
                let last = tile.step(a: { i in aRow(c(g.channels - 1), i) }, b: { v in
                    .load(tail, c(v * tile.width), width: tile.width, aligned: true)
                })
                reduction = [.letIndex("kh", 0), .letIndex("kw", 0)] + (g.inPerGroup > 1 ? Loops.counted("ci", g.inPerGroup - 1, step(.v("ci"))) : [])
                    + [.when(.and(.equal(.v("n"), c(g.batch - 1)), .less(.v("pcount"), c(columns))), then: last, otherwise: step(c(g.inPerGroup - 1)))]
            } else {
                reduction = Loops.counted("ci", g.inPerGroup, Loops.counted("kh", g.kernel[0], Loops.counted("kw", g.kernel[1], step(.v("ci")))))
            }
            tileBody.append(.loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body:
                [.letIndex("oc", .v("ob") * c(rows)), .letIndex("cbase", channelBase(.v("ob")))] + initial + reduction + output))
        case .packed(let kBlock, let kBlocks):
            body.append(.localArray(panel, count: kBlock * columns))
            body.append(.letIndex("cbase", channelBase(.v("obegin"))))
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
            tileBody.append(.loop(variable: "kb", lower: 0, upper: c(kBlocks), schedule: .serial, body: [
                .letIndex("k0", .v("kb") * c(kBlock)),
                .letIndex("kn", .min(c(kBlock), c(g.reduction) - .v("k0"))),
                .loop(variable: "kk", lower: 0, upper: .v("kn"), schedule: .serial, body: g.packPatches(from: x, into: panel, columns: columns)),
                .loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: panelBody),
            ]))
        }
        if tiling.wholePlanes {
            // Every tile of the task's planes, then each finished plane (row of channels) finalized.
            body.append(.loop(variable: "tile", lower: 0, upper: c(tilesPerImage), schedule: .serial, body: tileStart + tileBody))
            body.append(.loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body:
                [.letIndex("oc", .v("ob") * c(rows))] + (0..<rows).flatMap { i in
                    guarded(i, [.finalized(y, start: rowBase(i), count: c(g.outPixels), stride: 1, alignment: g.outPixels)])
                }))
        } else {
            body += tileStart + tileBody
        }
        let tasks = g.batch * tilesPerTask * tiling.groups
        // Tile bookkeeping some shapes never read (`pcount` of maps of whole tiles) is dropped.
        return prologue + [.loop(variable: "t", lower: 0, upper: c(tasks), schedule: .parallel, body: GroupB.pruned(body))]
    }
}
