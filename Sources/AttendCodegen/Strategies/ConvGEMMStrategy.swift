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
/// - The B operand (input patches) is copied per tile into an aligned L1 panel, a block of
///   the reduction at a time, from one of two sources (`Operand`): for stride 1, shifted
///   runs of a zero-padded copy of the input (or of the input itself for 1x1), copied as
///   whole vectors; for other strides, im2col of the tile.
/// - The parallel loop runs over tiles of `tile.columns` consecutive pixels of one image
///   (and, for small maps, groups of output-channel panels).
/// - Each output row segment is finalized (`Stmt.finalized`) once complete, so fused
///   epilogues run on it while it is in cache; tiles that do not map to whole vectors of the
///   output go through a small local buffer, so nothing is read or written outside the
///   tensors.
struct ConvGEMMStrategy: KernelStrategy {
    var name: String { "gemm" }

    /// Where rows of B come from. Either way each tile's rows are copied, a block of the
    /// reduction at a time (sized to stay in L1), into an aligned local panel that every
    /// output-channel panel then reads in order; partial sums between blocks wait in a
    /// local buffer.
    enum Operand: Sendable, Equatable {
        /// Stride 1: row `k = (ci, kh, kw)` of B is the padded input plane `ci` shifted by
        /// `(kh, kw)`, read over a grid as wide as the padded row (the few grid columns past
        /// the output width are computed and dropped): whole-vector copies. From a
        /// zero-padded copy in the kernel's scratch, or from the input itself when there is
        /// no padding to add (1x1 convolutions). A tile reads up to a tile past its plane:
        /// into the next plane, or past the input's end into the arena's spare tail; where
        /// the input is not in the arena (a graph input) and that can happen (`guardEnd`),
        /// the last plane's last tile is copied element by element.
        case shifted(copy: Bool, guardEnd: Bool)
        /// A 1x1 convolution without padding at a larger stride (`subsamplesInput`): the
        /// pixels it reads, copied once into a compact scratch (a copy of an eighth to a
        /// quarter of the input per image), then shifted rows of that, as at stride 1.
        /// Im2col of a 1x1 kernel is the same gather, but per tile and per channel group:
        /// on Zen 3 that took ResNet-50's downsampling convolutions 1.2-1.4x the time.
        case subsampled
        /// Any stride: im2col of the tile, per output row between computed bounds.
        case patches
    }

    /// The tiling of one node.
    struct Tiling: Sendable {
        var tile: RegisterTile
        var operand: Operand
        /// Reduction elements per block and the number of blocks.
        var kBlock: Int
        var kBlocks: Int
        /// Output-channel panels per parallel task, and tasks per pixel tile.
        var panelsPerGroup: Int
        var groups: Int
        /// Each task computes whole planes of its channels (every pixel tile) and finalizes
        /// them at the end, so a fused reduction over whole planes (global pooling) runs in
        /// the epilogue; otherwise tasks are pixel tiles and row segments finalize per tile.
        var wholePlanes: Bool
        /// Each step also fetches the next panel's weights for that step into L2. Packed
        /// weights beyond a quarter of L2 come from L3 at batch 1, and a panel's block is a few
        /// KiB in a 4 KiB page of its own, which the hardware prefetchers do not cross, so
        /// each panel began with misses (measured in eca_resnet's profile, interleaved: 1x1
        /// layers with 1-2 MiB of weights 0.90-0.96x the time on a quiet host, 0.85-0.92x on a
        /// busy one; with 64 KiB, which stay in L2, 1.05x, so those go without).
        var prefetchesWeights: Bool
    }

    func plan(_ node: Node, in index: GraphIndex, target: Target) -> StrategyPlan? {
        guard let g = ConvGeometry(strategyNode: node, in: index.graph) else { return nil }
        // Maps smaller than one vector (a 1x1 conv on pooled features: a matrix-vector
        // product) would be mostly padding; the direct loops serve them.
        guard g.outHeight * g.outWidth >= target.vectorWidth else { return nil }
        // Output channels (per group) fewer than a tile's fewest rows (CBAM's 2 -> 1 spatial
        // attention convolution) would compute mostly padding rows in a large register tile
        // and its edge variant (20 KB of C per shape, a sixth of cbam_resnet's kernel C for
        // under 0.1% of its time); the direct loops serve them.
        guard g.outPerGroup >= RegisterTile.minimumRows else { return nil }
        // Grouped: each panel of output channels must lie in one group.
        guard let tile = RegisterTile.choose(rows: g.outChannels, columns: g.gridPixels, target: target,
                                             rowsDividing: g.groups > 1 ? g.outPerGroup : nil, edgeTiles: true) else { return nil }
        // A fused reduction over windows of this node's output grid (global pooling of it or
        // of its epilogue's value).
        let wholePlanes = index.fusesWindowReduction(node)
        let operand: Operand
        if g.subsamplesInput {
            operand = .subsampled
        } else if g.isShifted {
            let inPlace = g.kernel == [1, 1] && g.pad == [0, 0] && tile.columns <= ArenaPlan.tail
            let guardEnd = inPlace && g.gridPixels % tile.columns != 0 && !Self.livesInArena(node.inputs[0], index)
            // The guarded last plane is written for one group; grouped convs copy instead.
            operand = .shifted(copy: !inPlace || (guardEnd && g.groups > 1), guardEnd: guardEnd && g.groups == 1)
        } else {
            operand = .patches
        }
        // A B panel of at most half the L1 cache.
        let (kBlock, kBlocks) = RegisterTile.reductionBlocks(g.reduction, columns: tile.columns, target: target)
        // Enough tasks to balance a few threads on small maps. Each task packs its tiles for
        // its own panels: cheap copies of shifted rows split further than im2col does.
        // Partial sums of a task's panels stay within a quarter of L2.
        let panels = (g.outChannels + tile.rows - 1) / tile.rows
        let pixelTasks = wholePlanes ? g.batch : g.batch * ((g.gridPixels + tile.columns - 1) / tile.columns)
        // Whole-plane tasks repack every tile per group: split them only as far as threads need.
        var wanted = ((operand == .patches || wholePlanes ? 4 : 16) + pixelTasks - 1) / pixelTasks
        if kBlocks > 1 { wanted = max(wanted, (panels * tile.rows * tile.columns * 4 + target.l2Bytes / 4 - 1) / (target.l2Bytes / 4)) }
        // A task's packed weights within half of L2, so a thread's consecutive tasks (the
        // tiles of one channel group) reuse them from L2 rather than streaming all weights
        // from memory for every tile.
        wanted = max(wanted, (panels * tile.rows * g.reduction * 4 + target.l2Bytes / 2 - 1) / (target.l2Bytes / 2))
        wanted = max(1, min(panels, wanted))
        var panelsPerGroup = (panels + wanted - 1) / wanted
        if g.groups > 1 {
            // A task packs one convolution group's rows: its panels lie in one group.
            let perConvGroup = g.outPerGroup / tile.rows
            while perConvGroup % panelsPerGroup != 0 { panelsPerGroup -= 1 }
        }
        let tiling = Tiling(tile: tile, operand: operand, kBlock: kBlock, kBlocks: kBlocks, panelsPerGroup: panelsPerGroup,
                            groups: (panels + panelsPerGroup - 1) / panelsPerGroup, wholePlanes: wholePlanes,
                            prefetchesWeights: panels * tile.rows * g.reduction * 4 > target.l2Bytes / 4)
        var detail = "tile \(tile)" + (tile.edge(forColumns: g.gridPixels).map { ", edge tile \($0)" } ?? "") + ", k-block \(kBlock)"
        switch operand {
        case .shifted(let copy, _): detail += copy ? ", shifted rows of a padded copy" : ", shifted rows in place"
        case .patches: detail += ", packed patches"
        case .subsampled: detail += ", rows of a subsampled copy"
        }
        if tiling.groups > 1 { detail += ", \(tiling.groups) channel groups" }
        if wholePlanes { detail += ", whole planes" }
        if tiling.prefetchesWeights { detail += ", weights prefetched" }
        let scratch = switch operand {
        case .shifted(copy: true, guardEnd: false): g.batch * g.channels * g.paddedPlane + tile.columns
        case .subsampled: g.batch * g.channels * g.outPixels + tile.columns
        default: 0
        }
        return StrategyPlan(
            strategy: name, detail: detail,
            derivations: [.init(slot: "packed_weight", op: PackPanelsOp(), operandSlots: ["weight"],
                                attributes: Attributes([("rows", .int(tile.rows))]))],
            finalizesRegions: true, scratch: scratch,
            lower: { context throws(Diagnostic) in try Self.lower(context, tiling) })
    }

    /// Whether `value`'s elements live in the arena (not a graph input or output, nor a
    /// parameter): reads a little past its end stay inside the arena.
    static func livesInArena(_ value: ValueID, _ index: GraphIndex) -> Bool {
        let graph = index.graph
        guard !graph.outputs.contains(where: { $0.value == value }), let producer = index.producer[value].map({ graph.nodes[$0] }) else {
            return false  // a graph input or output, in the caller's buffer
        }
        // Views (injective ops) may read a graph input or a parameter in place.
        return producer.op.fusion != .injective && !(producer.op is ParameterOp)
    }

    static func lower(_ context: LoweringContext, _ tiling: Tiling) throws(Diagnostic) -> [Stmt] {
        var g = ConvGeometry(input: context.inputShapes[0], output: context.outputShapes[0], attributes: context.attributes)
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
        switch tiling.operand {
        case .shifted(copy: true, guardEnd: false):
            guard let scratch = context.scratch else { throw .error("internal: the shifted-rows convolution has no scratch buffer") }
            prologue = g.paddedCopy(from: x, to: scratch, tail: columns)
            source = scratch
        case .subsampled:
            guard let scratch = context.scratch else { throw .error("internal: the subsampled convolution has no scratch buffer") }
            prologue = g.subsampledCopy(from: x, to: scratch, tail: columns)
            source = scratch
            // From here on, the stride-1 convolution of the copy: the same output grid.
            g = g.overSubsampledInput
        default:
            break
        }

        // Task t: image n, output-channel panels [obegin, oend), and a tile of grid pixels
        // [p0, p0 + pcount) (or, for whole planes, every tile in turn).
        // Channel groups vary slowest, so the contiguous chunk of tasks a thread runs mostly
        // shares one group's weights.
        let tilesPerTask = tiling.wholePlanes ? 1 : tilesPerImage
        let perGroup = g.batch * tilesPerTask
        var body: [Stmt] = [
            .letIndex("n", (.v("t") % c(perGroup)) / c(tilesPerTask)),
            .letIndex("obegin", (.v("t") / c(perGroup)) * c(tiling.panelsPerGroup)),
            .letIndex("oend", .min(c(panels), .v("obegin") + c(tiling.panelsPerGroup))),
        ]
        // The first input channel of the convolution group of panel `ob`.
        let channelBase = { (ob: IndexExpr) -> IndexExpr in g.groups == 1 ? 0 : (ob * c(rows) / c(g.outPerGroup)) * c(g.inPerGroup) }
        let tileStart: [Stmt] = [
            .letIndex("p0", (tiling.wholePlanes ? .v("tile") : .v("t") % c(tilesPerImage)) * c(columns)),
            .letIndex("pcount", .min(c(columns), c(g.gridPixels) - .v("p0"))),
        ]
        var tileBody: [Stmt] = []
        let validRow = { (i: Int) -> Condition in .less(.v("oc") + c(i), c(g.outChannels)) }
        func guarded(_ i: Int, _ stmts: [Stmt]) -> [Stmt] {
            hasEdgePanel && i > 0 ? [.when(validRow(i), then: stmts, otherwise: [])] : stmts
        }
        // Partial sums (and tiles stored through a buffer): one slot per panel when several
        // reduction blocks keep them, else one slot.
        let kBlocks = tiling.kBlocks
        let slotBase = kBlocks > 1 ? (.v("ob") - .v("obegin")) * c(rows * columns) : IndexExpr.constant(0)
        let slots = kBlocks > 1 ? tiling.panelsPerGroup : (g.storesThroughBuffer(columns: columns, finalizing: !tiling.wholePlanes) ? 1 : 0)
        if slots > 0 { body.append(.localArray(partial, count: slots * rows * columns)) }
        let slot = { (i: Int, v: Int) -> IndexExpr in slotBase + c(i * columns + v * tile.width) }
        let keep = tile.storeAccumulators(to: partial, at: slot)
        let aRow = { (k: IndexExpr, i: Int) -> ValueExpr in .load(packedWeight, (.v("ob") * c(g.reduction) + k) * c(rows) + c(i)) }

        body.append(.localArray(panel, count: tiling.kBlock * columns))
        body.append(.letIndex("cbase", channelBase(.v("obegin"))))
        let packing: [Stmt]
        switch tiling.operand {
        case .shifted(_, let guardEnd):
            packing = g.copyShiftedRows(from: source, into: panel, tile: tile, lastPlaneFrom: guardEnd ? x : nil)
        case .subsampled:
            packing = g.copyShiftedRows(from: source, into: panel, tile: tile, lastPlaneFrom: nil)
        case .patches:
            packing = g.packPatches(from: x, into: panel, columns: columns)
        }
        // The products of one tile shape over this block of the reduction: accumulators start
        // from the bias (or, after the first block, from the parked partial sums).
        func products(_ t: RegisterTile) -> [Stmt] {
            var stmts = t.declareAccumulators { i, _ in
                guard let bias else { return .broadcast(.constant(0), width: t.width) }
                let value = ValueExpr.load(bias, .v("oc") + c(i))
                return .broadcast(hasEdgePanel && i > 0 ? .select(validRow(i), value, .constant(0)) : value, width: t.width)
            }
            if kBlocks > 1 {
                stmts.append(.when(.less(0, .v("kb")), then: t.assignAccumulators { i, v in
                    .load(partial, slot(i, v), width: t.width, aligned: true)
                }, otherwise: []))
            }
            let step = t.step(a: { i in aRow(.v("k0") + .v("kk"), i) }, b: { v in
                .load(panel, .v("kk") * c(columns) + c(v * t.width), width: t.width, aligned: true)
            })
            guard tiling.prefetchesWeights else {
                return stmts + [.loop(variable: "kk", lower: 0, upper: .v("kn"), schedule: .serial, body: step)]
            }
            // The next panel's weights for this step, into L2 while this panel runs.
            let nextPanel = IndexExpr.min(.v("ob") + c(1), c(panels - 1))
            let prefetch = Stmt.prefetch(packedWeight, (nextPanel * c(g.reduction) + .v("k0") + .v("kk")) * c(rows))
            return stmts + [.loop(variable: "kk", lower: 0, upper: .v("kn"), schedule: .serial, body: [prefetch] + step)]
        }
        var panelBody: [Stmt] = [.letIndex("oc", .v("ob") * c(rows))]
        if let edge = tile.edge(forColumns: g.gridPixels) {
            // The last tile of each map, narrower than a tile, runs on just the vectors it
            // needs. Both shapes park their sums in the partial buffer (in the same slots), and
            // one store (and fused epilogue) serves both; except where whole tiles are stored
            // straight from their registers (one reduction block, no epilogue per tile).
            let flush = g.storeTile(tile, to: y, through: partial, slot: slot, keep: [], guarded: guarded,
                                    finalizing: !tiling.wholePlanes, throughBuffer: true)
            let edgeProducts = products(edge) + edge.storeAccumulators(to: partial, at: slot)
            if kBlocks == 1 && tiling.wholePlanes {
                panelBody.append(.when(.less(c(edge.columns), .v("pcount")),
                                       then: products(tile) + g.storeTile(tile, to: y, through: partial, slot: slot, keep: keep,
                                                                          guarded: guarded, finalizing: false),
                                       otherwise: edgeProducts + flush))
            } else {
                panelBody.append(.when(.less(c(edge.columns), .v("pcount")), then: products(tile) + keep, otherwise: edgeProducts))
                panelBody += kBlocks > 1 ? [.when(.equal(.v("kb"), c(kBlocks - 1)), then: flush, otherwise: [])] : flush
            }
        } else if kBlocks > 1 {
            // The partial sums are parked after every block; after the last, the tile is
            // stored from there (one copy of the store code instead of a register path too).
            let flush = g.storeTile(tile, to: y, through: partial, slot: slot, keep: [], guarded: guarded,
                                    finalizing: !tiling.wholePlanes, throughBuffer: true)
            panelBody += products(tile) + keep + [.when(.equal(.v("kb"), c(kBlocks - 1)), then: flush, otherwise: [])]
        } else {
            panelBody += products(tile)
            panelBody += g.storeTile(tile, to: y, through: partial, slot: slot, keep: keep, guarded: guarded, finalizing: !tiling.wholePlanes)
        }
        tileBody.append(.loop(variable: "kb", lower: 0, upper: c(kBlocks), schedule: .serial, body: [
            .letIndex("k0", .v("kb") * c(tiling.kBlock)),
            .letIndex("kn", .min(c(tiling.kBlock), c(g.reduction) - .v("k0"))),
            .loop(variable: "kk", lower: 0, upper: .v("kn"), schedule: .serial, body: packing),
            .loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: panelBody),
        ]))
        if tiling.wholePlanes {
            // Every tile of the task's planes, then each finished plane (row of channels) finalized.
            body.append(.loop(variable: "tile", lower: 0, upper: c(tilesPerImage), schedule: .serial, body: tileStart + tileBody))
            // Whole planes of the task's channels, one after another.
            body.append(.loop(variable: "oc", lower: .v("obegin") * c(rows), upper: .min(.v("oend") * c(rows), c(g.outChannels)),
                              schedule: .serial, body: [
                .finalized(y, start: (.v("n") * c(g.outChannels) + .v("oc")) * c(g.outPixels), count: c(g.outPixels), stride: 1, alignment: g.outPixels),
            ]))
        } else {
            body += tileStart + tileBody
        }
        let tasks = g.batch * tilesPerTask * tiling.groups
        // Tile bookkeeping some shapes never read (`pcount` of maps of whole tiles) is dropped.
        return prologue + [.loop(variable: "t", lower: 0, upper: c(tasks), schedule: .parallel, body: Pruning.pruned(body))]
    }
}
