import AttendBasic
import AttendIR

/// 2-D convolution on small maps as a register-tiled matrix product with output channels
/// along the vectors: `Y[p, oc] = bias[oc] + sum_k P[k, p] * W[oc, k]`, each step broadcasting
/// `tile.rows` pixels of the patch matrix and loading `tile.vectors` vectors of weights
/// packed per panel of `tile.columns` channels (`pack_panels`).
///
/// `ConvGEMMStrategy` puts pixels along the vectors; on a 7x7 map (49 pixels, and a grid of
/// 61 for the shifted rows of a 3x3 convolution) a whole vector count of pixels wastes a
/// quarter of the work, and repacking the input per channel group costs as much again. Here
/// pixels go in tiles of any row count (7 divides 49 and 196), channel counts of ResNet
/// layers split into whole vectors, and the patch matrix is built once per image:
///
/// - The patch matrix (im2col) goes into the kernel's scratch in a parallel prologue, tile
///   by tile (`[N, tiles, K, rows]`, zeros past the last pixel), so the product reads it as
///   one stream (1x1 convolutions too: reading the input in place, a plane apart per step,
///   measured 1.1x slower than the copy at 14x14 and 7x7).
/// - Tasks are (image, group of panels of output channels); per k-block of the reduction,
///   each runs every pixel tile of each of its panels with the accumulators in registers, in
///   the interpreter's order (bias, then input channel, kernel row, kernel column; FMA
///   rounding only), parking partial sums between blocks, stores each finished tile
///   transposed into the channel planes through a small local buffer, and finalizes its
///   planes at the end, so fused epilogues, global pooling included, run on whole planes.
/// - Panels share a task so that the patch matrix's block stays in cache while they use
///   it: with a task per panel, each panel read the whole patch matrix (400 KiB for a 1x1
///   2048->512 at 7x7) between two reads of a block, while its weights streamed through L2
///   beside it, so the matrix came from L3 for every panel.
struct ConvChannelVectorStrategy: KernelStrategy {
    var name: String { "gemm-channels" }
    /// Only where it is estimated cheaper than `ConvGEMMStrategy` (tests turn this off to
    /// pin the strategy on small shapes).
    var onlyWhenCheaper = true

    struct Tiling: Sendable {
        var tile: RegisterTile
        /// Pixels per patch-matrix row (the pixel count rounded up to whole tiles).
        var rowLength: Int
        /// Stride 1 without dilation, tiles within output rows: each tile's patch row is one
        /// run of a zero-padded copy of the input (else im2col with bounds per row).
        var fromPaddedCopy: Bool
        /// The reduction in blocks whose weight panel stays in L1 while every pixel tile of
        /// the task uses it; partial sums wait in a local buffer between blocks.
        var kBlock: Int
        var kBlocks: Int
        /// Output-channel panels per task, which run each k-block in turn.
        var panelsPerTask: Int
    }

    func plan(_ node: Node, in index: GraphIndex, target: Target) -> StrategyPlan? {
        guard let g = ConvGeometry(strategyNode: node, in: index.graph) else { return nil }
        // Whole vectors of channels; enough channels that building the patch matrix (one
        // copy per element) costs little against the products (outChannels / width FMAs each).
        guard g.groups == 1, g.outChannels % target.vectorWidth == 0, g.outChannels >= 8 * target.vectorWidth,
              let tile = RegisterTile.choose(rows: g.outPixels, columns: g.outChannels, target: target, fewerRows: true),
              let pixelTile = RegisterTile.choose(rows: g.outChannels, columns: g.gridPixels, target: target, edgeTiles: true) else { return nil }
        // Chosen where the padded work (pixels to whole tiles, channels to whole panels, plus
        // the patch copy) is less than that of pixels along the vectors (channels to whole
        // panels, the grid to whole vectors) by a margin the estimate misses, from
        // interleaved single-layer timings against `gemm` (conv + batchnorm + relu, one
        // thread): windowed or strided convolutions on maps of at most 256 pixels need no
        // margin (3x3 at 14x14: estimated 0.95x, took 0.94x; 3x3 at 7x7: 0.79x; 3x3 stride 2
        // to 14x14: 0.85x); elsewhere `gemm` reads its input in place and keeps the larger
        // tile (1x1 at 14x14, estimated 0.9x, took 1.2x and 1.34x; 1x1 at 28x28: 1.34x;
        // 1x1 stride 2 to 28x28: 1.25x), so this must be estimated under 0.8x; except on
        // maps of at most 64 pixels, where `gemm` pays for a mostly empty last tile with a
        // full pass over the weights (1x1 2048->512 at 7x7 in eca_resnet, estimated 0.81x,
        // took 0.80-0.87x in the network's own profile, `--bench 20 --profile`).
        let copyCost = 2.0 * Double(target.vectorWidth) / Double(g.outChannels)
        let work = Double(RegisterTile.roundUp(g.outPixels, tile.rows) * RegisterTile.roundUp(g.outChannels, tile.columns)) * (1 + copyCost)
        let pixelWork = Double(RegisterTile.roundUp(g.outChannels, pixelTile.rows) * pixelTile.paddedColumns(g.gridPixels))
        let windowed = g.kernel != [1, 1] || g.stride != [1, 1]
        let margin = (windowed && g.outPixels <= 256) || g.outPixels <= 64 ? 1.0 : 0.8
        guard work < margin * pixelWork || !onlyWhenCheaper else { return nil }
        let fromPaddedCopy = g.stride == [1, 1] && g.dilation == [1, 1] && g.outWidth % tile.rows == 0
        let rowLength = RegisterTile.roundUp(g.outPixels, tile.rows)
        // A weight block of at most half the L1 cache, in balanced blocks, when the task's
        // partial sums (every pixel of a panel, on the task's stack) fit in a quarter of L2
        // and 256 KiB; else one block, each tile streaming the whole panel.
        let partialLimit = min(target.l2Bytes / 4, 256 << 10), panelPartials = rowLength * tile.columns * 4
        let fitsPartials = panelPartials <= partialLimit
        let (kBlock, kBlocks) = fitsPartials ? RegisterTile.reductionBlocks(g.reduction, columns: tile.columns, target: target) : (g.reduction, 1)
        // Panels per task: as many as leave `tasksPerImage` tasks and keep their partial sums
        // within the limit (with one block, nothing is shared between panels).
        let panels = (g.outChannels + tile.columns - 1) / tile.columns
        let panelsPerTask = kBlocks > 1 ? max(1, min(panels / ChannelVectorTile.tasksPerImage, partialLimit / panelPartials)) : 1
        let tiling = Tiling(tile: tile, rowLength: rowLength, fromPaddedCopy: fromPaddedCopy,
                            kBlock: kBlock, kBlocks: kBlocks, panelsPerTask: panelsPerTask)
        let scratch = g.batch * g.reduction * tiling.rowLength + (fromPaddedCopy ? g.batch * g.channels * g.paddedPlane : 0)
        return StrategyPlan(
            strategy: name, detail: "tile \(tile.rows) pixels x \(tile.columns) channels, "
                + (kBlocks > 1 ? "k-block \(kBlock), " : "") + (panelsPerTask > 1 ? "\(panelsPerTask) panels per task, " : "") + "patch matrix",
            derivations: [.init(slot: "packed_weight", op: PackPanelsOp(), operandSlots: ["weight"],
                                attributes: Attributes([("rows", .int(tile.columns))]))],
            finalizesRegions: true, scratch: scratch,
            lower: { context throws(Diagnostic) in try Self.lower(context, tiling) })
    }

    static func lower(_ context: LoweringContext, _ tiling: Tiling) throws(Diagnostic) -> [Stmt] {
        let g = ConvGeometry(input: context.inputShapes[0], output: context.outputShapes[0], attributes: context.attributes)
        let x = context.inputs[0], y = context.outputs[0]
        let packed = try context.weight("packed_weight")
        let tile = tiling.tile, width = tile.width, columns = tile.columns
        let pixels = g.outPixels, reduction = g.reduction, rowLength = tiling.rowLength
        let panels = (g.outChannels + columns - 1) / columns
        let tiles = rowLength / tile.rows
        func c(_ v: Int) -> IndexExpr { .constant(v) }

        var stmts: [Stmt] = []
        var patchBase = 0
        guard let patches = context.scratch else { throw .error("internal: the channel-vector convolution has no scratch buffer") }
        // The patch matrix tile by tile, each tile's pixels contiguous per reduction index
        // (`[N, tiles, K, rows]`, after the padded copy if any), so the product reads it
        // as one sequential stream.
        if tiling.fromPaddedCopy {
            patchBase = g.batch * g.channels * g.paddedPlane
            stmts += g.paddedCopy(from: x, to: patches, tail: 0)
            stmts.append(.loop(variable: "nt", lower: 0, upper: c(g.batch * tiles), schedule: .parallel, body: [
                .letIndex("n", .v("nt") / c(tiles)),
                .letIndex("p0", (.v("nt") % c(tiles)) * c(tile.rows)),
                .letIndex("oh", .v("p0") / c(g.outWidth)),
                .letIndex("ow", .v("p0") % c(g.outWidth)),
                .loop(variable: "ci", lower: 0, upper: c(g.channels), schedule: .serial, body: [
                    .loop(variable: "kh", lower: 0, upper: c(g.kernel[0]), schedule: .serial, body: [
                        .loop(variable: "kw", lower: 0, upper: c(g.kernel[1]), schedule: .serial, body: [
                            .letIndex("to", c(patchBase) + (.v("nt") * c(reduction) + (.v("ci") * c(g.kernel[0]) + .v("kh")) * c(g.kernel[1]) + .v("kw")) * c(tile.rows)),
                            .letIndex("from", ((.v("n") * c(g.channels) + .v("ci")) * c(g.paddedHeight) + .v("oh") + .v("kh")) * c(g.paddedWidth) + .v("ow") + .v("kw")),
                            .loop(variable: "i", lower: 0, upper: c(tile.rows), schedule: .vectorized, body: [
                                .store(patches, .v("to") + .v("i"), .load(patches, .v("from") + .v("i"))),
                            ]),
                        ]),
                    ]),
                ]),
            ]))
        } else {
            stmts.append(.loop(variable: "nt", lower: 0, upper: c(g.batch * tiles), schedule: .parallel, body: [
                .letIndex("n", .v("nt") / c(tiles)),
                .letIndex("cbase", 0), .letIndex("k0", 0),
                .letIndex("p0", (.v("nt") % c(tiles)) * c(tile.rows)),
                .letIndex("pcount", .min(c(tile.rows), c(pixels) - .v("p0"))),
                .loop(variable: "kk", lower: 0, upper: c(reduction), schedule: .serial,
                      body: g.packPatches(from: x, into: patches, columns: tile.rows, rowBase: .v("nt") * c(reduction * tile.rows),
                                          zeroTail: pixels % tile.rows != 0)),
            ]))
        }

        let sums = ChannelVectorTile(tile: tile, output: y, bias: context.weights["bias"], outChannels: g.outChannels, pixels: pixels)
        // Pixel i of the tile for reduction index k.
        let step = tile.step(a: { i in .load(patches, .v("abase") + .v("k") * c(tile.rows) + c(i)) },
                             b: { v in .load(packed, (.v("ob") * c(reduction) + .v("k")) * c(columns) + c(v * width), width: width, aligned: false) })
        let abase: IndexExpr = c(patchBase) + (.v("n") * c(tiles) + .v("tile")) * c(reduction * tile.rows)
        let kBlocks = tiling.kBlocks, panelsPerTask = tiling.panelsPerTask
        let groups = (panels + panelsPerTask - 1) / panelsPerTask
        let prefetch = kBlocks > 1 ? sums.prefetchNextBlock(packed, reduction: reduction, blockSteps: tiling.kBlock,
                                                            tileIndex: .v("tile"), fewestTiles: tiles, sharedPanels: panelsPerTask > 1) : []
        // Partial sums of tile `tile` of the task's panel `ob`.
        let slot = (IndexExpr.v("ob") - .v("obegin")) * c(tiles) + .v("tile")
        let tileLoop = Stmt.loop(variable: "tile", lower: 0, upper: c(tiles), schedule: .serial, body: [
            .letIndex("p0", .v("tile") * c(tile.rows)),
            .letIndex("pcount", .min(c(tile.rows), c(pixels) - .v("p0"))),
            .letIndex("abase", abase),
        ] + sums.start(slot: slot, blocks: kBlocks) + [
            .loop(variable: "kk", lower: 0, upper: .v("kn"), schedule: .serial, body: [.letIndex("k", .v("k0") + .v("kk"))] + prefetch + step),
        ] + sums.finish(slot: slot, blocks: kBlocks))
        let panel = sums.panelStart(columns: columns)
        let lastPanel: [Stmt] = panelsPerTask == 1 ? [] : [ChannelVectorTile.lastPanel]
        stmts.append(.loop(variable: "t", lower: 0, upper: c(g.batch * groups), schedule: .parallel, body: [
            .letIndex("n", .v("t") / c(groups)),
        ] + ChannelVectorTile.panelsOfTask(.v("t"), perTask: panelsPerTask, groups: groups, panels: panels) + sums.locals(slots: tiles * panelsPerTask, blocks: kBlocks) + [
            .loop(variable: "kb", lower: 0, upper: c(kBlocks), schedule: .serial, body: [
                .letIndex("k0", .v("kb") * c(tiling.kBlock)),
                .letIndex("kn", .min(c(tiling.kBlock), c(reduction) - .v("k0"))),
                .loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: panel + lastPanel + [tileLoop]),
            ]),
            sums.finalizePanels(columns: columns, offset: 0, count: c(pixels), alignment: pixels),
        ]))
        return stmts
    }
}
