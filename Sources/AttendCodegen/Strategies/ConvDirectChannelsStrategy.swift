import AttendBasic
import AttendIR

/// 2-D convolution as a register-tiled direct convolution with output channels along the
/// vectors: each step broadcasts the inputs under `tile.rows` consecutive output pixels
/// straight from a zero-padded copy of the input and loads `tile.vectors` vectors of
/// weights packed per panel of `tile.columns` channels (`pack_panels`), so no patch matrix is
/// built.
///
/// `ConvChannelVectorStrategy` copies every patch element (`K` floats per output pixel)
/// before the products; when the input has few channels per output channel, as in a 7x7
/// stride-2 stem (147 patch values per pixel against 64 output channels), that copy, a
/// strided gather, costs as much as the products. Here the only copy is the padded input
/// (each input element once):
///
/// - Tasks are (image, group of panels of output channels, run of output rows); per block of
///   input channels (whose weights fill at most half of L1), each runs every tile of its
///   rows for each of its panels in turn with the accumulators in registers, in the
///   interpreter's order (bias, then input channel, kernel row, kernel column; FMA rounding
///   only), parking partial sums between blocks, and stores each finished tile transposed
///   into the channel planes. Panels share a task, as in `ConvChannelVectorStrategy`, so the
///   block's input rows stay in cache while every panel reads them.
/// - Tiles are runs of consecutive output pixels of a task's rows, across row ends, so
///   narrow maps waste no lanes: a 7x7 map in 5-pixel tiles computes 50 pixels, not the
///   70 of 5-pixel tiles per 7-pixel row (on Zen 3, 3x3 layers on 7x7 maps took 0.8x the
///   time). Each tile finds its pixels' rows and columns once; lanes past the task's
///   last pixel read that pixel again and are never stored.
/// - Each task finalizes its rows of the panel's planes for the fused epilogue (a vectorized
///   pass while they are in cache: applied at the transposed, element-by-element store it
///   measured 1.15x slower on the stem); where a reduction over whole planes (global
///   pooling) is fused, a task covers whole images, so it finalizes whole planes.
/// - Grouped convolutions (ResNeSt's radix groups) run each panel over its group's input
///   channels; panels then lie within a group.
struct ConvDirectChannelsStrategy: KernelStrategy {
    var name: String { "direct-channels" }
    /// Only where it is estimated cheaper than the other strategies (tests turn this off to
    /// pin the strategy on small shapes).
    var onlyWhenCheaper = true

    struct Tiling: Sendable {
        var tile: RegisterTile
        /// Output rows per task, and tasks per plane.
        var rowsPerTask: Int
        var rowRuns: Int
        /// Input channels per block of the reduction, and blocks.
        var channelBlock: Int
        var channelBlocks: Int
        /// Output-channel panels per task, which run each block in turn.
        var panelsPerTask: Int

        /// Tiles over `rows` output rows of `width` pixels (the last may run past their end).
        func tiles(rows: Int, width: Int) -> Int { (rows * width + tile.rows - 1) / tile.rows }
        /// Tiles in the shortest pass over a block: the last run of rows, which may be shorter.
        func fewestTiles(_ g: ConvGeometry) -> Int { tiles(rows: g.outHeight - (rowRuns - 1) * rowsPerTask, width: g.outWidth) }
    }

    func plan(_ node: Node, in index: GraphIndex, target: Target) -> StrategyPlan? {
        guard let g = ConvGeometry(strategyNode: node, in: index.graph) else { return nil }
        // Whole vectors of channels per group; with several groups, panels within a group.
        guard g.outPerGroup % target.vectorWidth == 0, g.outPerGroup >= 2 * target.vectorWidth,
              let tile = RegisterTile.choose(rows: g.outPixels, columns: g.outPerGroup, target: target, fewerRows: true,
                                               fillingRegisters: true),
              g.groups == 1 || g.outPerGroup % tile.columns == 0 else { return nil }
        // Where the patch matrix would cost much: many patch values per output channel
        // (the stem's 147 against 64 channels).
        let taps = g.kernel[0] * g.kernel[1]
        guard !onlyWhenCheaper || (taps > 1 && g.reduction >= 2 * g.outPerGroup) else { return nil }
        // Maps of fewer pixels than about a tile would compute mostly lanes that are never
        // stored; the other strategies or the direct loops serve them.
        guard !onlyWhenCheaper || 2 * RegisterTile.roundUp(g.outPixels, tile.rows) <= 3 * g.outPixels else { return nil }
        // Input channels whose weight panel fills at most half of L1, in balanced blocks.
        let most = max(1, target.l1Bytes / 2 / (taps * tile.columns * 4))
        let channelBlocks = (g.inPerGroup + most - 1) / most
        let channelBlock = (g.inPerGroup + channelBlocks - 1) / channelBlocks
        let panels = (g.outChannels + tile.columns - 1) / tile.columns
        guard let split = Self.split(g, tile: tile, panels: panels, channelBlocks: channelBlocks, wholePlanes: index.fusesWindowReduction(node),
                                     target: target) else { return nil }
        let (panelsPerTask, rowsPerTask) = split
        let rowRuns = (g.outHeight + rowsPerTask - 1) / rowsPerTask
        let tiling = Tiling(tile: tile, rowsPerTask: rowsPerTask, rowRuns: rowRuns, channelBlock: channelBlock, channelBlocks: channelBlocks,
                            panelsPerTask: panelsPerTask)
        return StrategyPlan(
            strategy: name, detail: "tile \(tile.rows) pixels x \(tile.columns) channels"
                + (channelBlocks > 1 ? ", \(channelBlock) input channels per block" : "")
                + (panelsPerTask > 1 ? ", \(panelsPerTask) panels per task" : "")
                + (rowRuns > 1 ? ", \(rowsPerTask) rows per task" : ", whole planes"),
            derivations: [.init(slot: "packed_weight", op: PackPanelsOp(), operandSlots: ["weight"],
                                attributes: Attributes([("rows", .int(tile.columns))]))],
            finalizesRegions: true, scratch: g.batch * g.channels * g.paddedPlane,
            lower: { context throws(Diagnostic) in try Self.lower(context, tiling) })
    }

    /// How a task's work is cut: panels per task and output rows per task. Every group of
    /// panels reads the input (its run's rows and their window's overlap, per run of rows),
    /// and every run of rows reads every panel's weights, so the cut is the one reading the
    /// least: weights again where they are small (a stride-2 layer at 56x56: 64 input
    /// channels, 861 KiB padded, against 295 KiB of weights), the input again where the
    /// weights are large (3x3 512->512 at 7x7: 166 KiB against 9.4 MiB). It leaves at
    /// least `ChannelVectorTile.tasksPerImage` tasks per image to balance threads
    /// (where there are that many panels and rows), whole planes where a fused reduction
    /// needs them, and with several channel blocks, parked partial sums within 64 KiB where
    /// possible (a quarter of L2 at most). Nil when no cut fits.
    static func split(_ g: ConvGeometry, tile: RegisterTile, panels: Int, channelBlocks: Int, wholePlanes: Bool,
                      target: Target) -> (panelsPerTask: Int, rowsPerTask: Int)? {
        let inputRowBytes = Double(g.inPerGroup * g.paddedWidth * 4), weightBytes = Double(g.outChannels * g.reduction * 4)
        let windowRows = (g.kernel[0] - 1) * g.dilation[0] + 1
        let fewestTasks = min(ChannelVectorTile.tasksPerImage, panels * (wholePlanes ? 1 : g.outHeight))
        func best(partialLimit: Int) -> (cost: Double, tasks: Int, panelsPerTask: Int, rowsPerTask: Int)? {
            var best: (cost: Double, tasks: Int, panelsPerTask: Int, rowsPerTask: Int)?
            for perTask in 1...panels {
                let groups = (panels + perTask - 1) / perTask
                for rows in (wholePlanes ? g.outHeight...g.outHeight : 1...g.outHeight) {
                    let runs = (g.outHeight + rows - 1) / rows
                    let partialBytes = RegisterTile.roundUp(rows * g.outWidth, tile.rows) * tile.columns * 4 * perTask
                    guard groups * runs >= fewestTasks, channelBlocks == 1 || partialBytes <= partialLimit else { continue }
                    let readRows = min(g.paddedHeight, (rows - 1) * g.stride[0] + windowRows)
                    let cost = Double(groups * runs * readRows) * inputRowBytes + Double(runs) * weightBytes
                    // Ties go to fewer tasks (less per-task work repeated).
                    if best.map({ cost < $0.cost || (cost == $0.cost && groups * runs < $0.tasks) }) ?? true {
                        best = (cost, groups * runs, perTask, rows)
                    }
                }
            }
            return best
        }
        let limit = min(target.l2Bytes / 4, 256 << 10)
        return (best(partialLimit: min(64 << 10, limit)) ?? best(partialLimit: limit)).map { ($0.panelsPerTask, $0.rowsPerTask) }
    }

    static func lower(_ context: LoweringContext, _ tiling: Tiling) throws(Diagnostic) -> [Stmt] {
        let g = ConvGeometry(input: context.inputShapes[0], output: context.outputShapes[0], attributes: context.attributes)
        let x = context.inputs[0], y = context.outputs[0]
        let packed = try context.weight("packed_weight")
        let tile = tiling.tile, width = tile.width, columns = tile.columns
        let pixels = g.outPixels, reduction = g.reduction
        let panels = (g.outChannels + columns - 1) / columns, panelsPerTask = tiling.panelsPerTask
        let groups = (panels + panelsPerTask - 1) / panelsPerTask
        let tasksPerImage = groups * tiling.rowRuns
        guard let padded = context.scratch else { throw .error("internal: the direct convolution has no scratch buffer") }
        func c(_ v: Int) -> IndexExpr { .constant(v) }

        var stmts = g.paddedCopy(from: x, to: padded, tail: 0)
        let sums = ChannelVectorTile(tile: tile, output: y, bias: context.weights["bias"], outChannels: g.outChannels, pixels: pixels,
                                     blockVariable: "cb")
        // Pixel i of the tile for input channel ci, kernel row kh and column kw: its offset
        // in the padded plane (`poff<i>`, per tile) past the row of (ci, kh).
        let a: (Int) -> ValueExpr = { i in .load(padded, .v("arow") + .v("poff\(i)") + .v("kw") * c(g.dilation[1])) }
        let b: (Int) -> VectorExpr = { v in .load(packed, (.v("ob") * c(reduction) + .v("k")) * c(columns) + c(v * width), width: width, aligned: false) }
        let blocks = tiling.channelBlocks
        let prefetch = blocks > 1 ? sums.prefetchNextBlock(packed, reduction: reduction, blockSteps: tiling.channelBlock * g.kernel[0] * g.kernel[1],
                                                           tileIndex: .v("rt"), fewestTiles: tiling.fewestTiles(g),
                                                           sharedPanels: panelsPerTask > 1) : []
        let taps: [Stmt] = [
            .loop(variable: "ci", lower: .v("c0"), upper: .v("c0") + .v("cn"), schedule: .serial, body: [
                .loop(variable: "kh", lower: 0, upper: c(g.kernel[0]), schedule: .serial, body: [
                    .letIndex("arow", ((.v("n") * c(g.channels) + .v("cbase") + .v("ci")) * c(g.paddedHeight)
                                       + .v("kh") * c(g.dilation[0])) * c(g.paddedWidth)),
                    .loop(variable: "kw", lower: 0, upper: c(g.kernel[1]), schedule: .serial, body: [
                        .letIndex("k", (.v("ci") * c(g.kernel[0]) + .v("kh")) * c(g.kernel[1]) + .v("kw")),
                    ] + prefetch + tile.step(a: a, b: b)),
                ]),
            ]),
        ]
        // Partial sums of tile `rt` of the task's panel `ob`.
        let tilesPerRun = tiling.tiles(rows: tiling.rowsPerTask, width: g.outWidth)
        let slot = (IndexExpr.v("ob") - .v("obegin")) * c(tilesPerRun) + .v("rt")
        // The task's pixels are [pbegin, pend); tile rt starts at pbegin + rt * rows.
        let pixelOffsets: [Stmt] = (0..<tile.rows).flatMap { i -> [Stmt] in
            let p = IndexExpr.min(.v("p0") + c(i), .v("pend") - c(1))
            return [.letIndex("poff\(i)", (p / c(g.outWidth)) * c(g.stride[0] * g.paddedWidth) + (p % c(g.outWidth)) * c(g.stride[1]))]
        }
        let tileLoop = Stmt.loop(variable: "rt", lower: 0, upper: (.v("pend") - .v("pbegin") + c(tile.rows - 1)) / c(tile.rows),
                                 schedule: .serial, body: [
            .letIndex("p0", .v("pbegin") + .v("rt") * c(tile.rows)),
            .letIndex("pcount", .min(c(tile.rows), .v("pend") - .v("p0"))),
        ] + pixelOffsets + sums.start(slot: slot, blocks: blocks) + taps + sums.finish(slot: slot, blocks: blocks))
        // The panel's channels, and its convolution group's first input channel.
        let groupStart = Stmt.letIndex("cbase", (.v("oc") / c(g.outPerGroup)) * c(g.inPerGroup))
        let panel: [Stmt] = sums.panelStart(columns: columns) + [groupStart]
            + (panelsPerTask > 1 && blocks > 1 ? [ChannelVectorTile.lastPanel] : [])
        stmts.append(.loop(variable: "t", lower: 0, upper: c(g.batch * tasksPerImage), schedule: .parallel, body: [
            .letIndex("n", .v("t") / c(tasksPerImage)),
        ] + ChannelVectorTile.panelsOfTask(.v("t") / c(tiling.rowRuns), perTask: panelsPerTask, groups: groups, panels: panels) + [
            .letIndex("r0", (.v("t") % c(tiling.rowRuns)) * c(tiling.rowsPerTask)),
            .letIndex("rn", .min(c(tiling.rowsPerTask), c(g.outHeight) - .v("r0"))),
            .letIndex("pbegin", .v("r0") * c(g.outWidth)),
            .letIndex("pend", (.v("r0") + .v("rn")) * c(g.outWidth)),
        ] + sums.locals(slots: tilesPerRun * panelsPerTask, blocks: blocks) + [
            .loop(variable: "cb", lower: 0, upper: c(blocks), schedule: .serial, body: [
                .letIndex("c0", .v("cb") * c(tiling.channelBlock)),
                .letIndex("cn", .min(c(tiling.channelBlock), c(g.inPerGroup) - .v("c0"))),
                .loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: panel + [tileLoop]),
            ]),
            // The task's rows of its panels' planes are complete.
            sums.finalizePanels(columns: columns, offset: .v("r0") * c(g.outWidth), count: .v("rn") * c(g.outWidth),
                                alignment: tiling.rowRuns > 1 ? g.outWidth : pixels),
        ]))
        return stmts
    }
}
