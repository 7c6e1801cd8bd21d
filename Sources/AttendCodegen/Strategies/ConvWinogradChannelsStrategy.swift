import AttendBasic
import AttendIR

/// 3x3 stride-1 convolutions on small maps by Winograd's F(2x2, 3x3) with output channels
/// along the vectors: the 16 matrix products `M[p] = V[p] · U[p]` (tiles x input channels
/// times input channels x output channels) broadcast transformed input tiles and load
/// vectors of transformed filters, so a map of a few tiles (49 on a 14x14 map, 16 on 7x7)
/// fills register tiles as well as a large one.
///
/// `ConvWinogradStrategy` puts tiles along the vectors, so small maps pad to whole vectors of
/// tiles and every panel group transforms the input again (at 256x14x14 it took 1.2x the
/// time of `direct-channels` in se_resnet's profile). Here the three steps run once each,
/// as parallel loops of one kernel, through the kernel's scratch:
///
/// 1. The input, zero-padded and split by column phase (`ConvWinogradStrategy.phaseCopy`),
///    is transformed per (image, input channel) on vectors of consecutive tiles
///    (`ConvWinogradStrategy.inputTransform`) into `V[n, p, ci, tile]`.
/// 2. Per (image, position, panel of output channels), each block of `tile.rows` tiles
///    accumulates over every input channel in registers (in the interpreter's channel
///    order, FMA rounding only) and is stored into `M[n, p, tile, oc]`.
/// 3. Per (image, vector of output channels), each tile's 16 vectors of `M` are combined by
///    the output transform `Aᵀ M A`, the bias added, and its 2x2 pixels stored into the
///    channel planes; the planes are then finalized, so fused epilogues and global pooling
///    run on whole planes.
///
/// The transforms reassociate each output's sum as `ConvWinogradStrategy`'s do (within
/// about twice the direct rounding error, see `WinogradTransform`).
struct ConvWinogradChannelsStrategy: KernelStrategy {
    var name: String { "winograd-channels" }
    /// Only where it is estimated cheaper than the direct product (tests turn this off to pin
    /// the strategy on small shapes).
    var onlyWhenCheaper = true

    struct Tiling: Sendable {
        /// The input transform's geometry: one run covering every tile of the image.
        var input: ConvWinogradStrategy.Tiling
        /// Tiles (rows, broadcast) by output channels (vectors).
        var tile: RegisterTile
        /// Tiles per image, and rounded up to whole register tiles (rows of `M`).
        var tiles: Int
        var productTiles: Int
        /// Output channels rounded up to whole panels (columns of `M`).
        var paddedChannels: Int
        /// Floats from one position's `V` to the next (a channel's row pitch times the
        /// channels, a cache line more where that is a multiple of 4 KiB).
        var positionPitch: Int
        /// Where `V` and `M` start in the scratch, after the padded copy.
        var transformedStart: Int
        var productsStart: Int
    }

    func plan(_ node: Node, in index: GraphIndex, target: Target) -> StrategyPlan? {
        guard let g = ConvGeometry(strategyNode: node, in: index.graph) else { return nil }
        guard g.kernel == [3, 3], g.stride == [1, 1], g.dilation == [1, 1],
              let transform = WinogradTransform(m: 2) else { return nil }
        let m = transform.m, positions = transform.alpha * transform.alpha, width = target.vectorWidth
        // Whole vectors of output channels, as the output transform reads them.
        guard g.outChannels % width == 0 else { return nil }
        let tilesHigh = (g.outHeight + m - 1) / m, tilesWide = (g.outWidth + m - 1) / m
        let tiles = tilesHigh * tilesWide
        // Grouped: each panel of output channels lies in one group (so its products sum only
        // that group's input channels), the panels dividing the group's channels.
        guard let tile = RegisterTile.choose(rows: tiles, columns: g.outPerGroup, target: target, fewerRows: true,
                                             fillingRegisters: true),
              g.groups == 1 || g.outPerGroup % tile.columns == 0 else { return nil }
        let productTiles = RegisterTile.roundUp(tiles, tile.rows)
        let panels = (g.outChannels + tile.columns - 1) / tile.columns
        // Chosen where the products over whole register tiles plus the transforms (a few
        // vector operations per element and tile against `channels` FMAs) are well under the
        // direct product's 9 terms per output pixel, with enough channels that each tile's
        // transforms are shared by many products, and enough tiles that each transformed
        // weight (16/9 as many as the direct product's, streamed from memory at batch 1)
        // feeds many products.
        let narrowest = min(g.inPerGroup, g.outPerGroup)
        let work = Double(positions * productTiles * panels * tile.columns) * (1 + Double(width) / Double(narrowest))
        guard !onlyWhenCheaper || (work < 0.7 * Double(9 * g.outPixels * g.outChannels) && narrowest >= Self.minimumChannels
                                   && tiles >= Self.minimumTilesPerLane * width) else { return nil }
        // One run of every tile, transformed on vectors as narrow as a row of tiles allows (a
        // 14x14 map's rows of 7 tiles in 8 lanes, not 16). They run up to a vector past the
        // product's last tile, within the row pitch.
        let inputWidth = [4, 8, 16].first { $0 >= tilesWide && $0 <= width } ?? width
        let run = RegisterTile.roundUp(productTiles, inputWidth)
        let input = ConvWinogradStrategy.Tiling(
            transform: transform, tile: RegisterTile(rows: 1, vectors: run / inputWidth, width: inputWidth), tilesHigh: tilesHigh, tilesWide: tilesWide,
            paddedTiles: run, panelsPerGroup: 1, groups: 1, wholePlanes: false)
        let copy = input.copyFloats(g)
        let positionPitch = ConvWinogradStrategy.positionPitch(channelRows: g.channels * input.transformedPitch)
        let transformed = g.batch * positions * positionPitch
        let paddedChannels = panels * tile.columns
        let tiling = Tiling(input: input, tile: tile, tiles: tiles, productTiles: productTiles, paddedChannels: paddedChannels,
                            positionPitch: positionPitch, transformedStart: copy, productsStart: copy + transformed)
        let products = g.batch * positions * productTiles * paddedChannels
        return StrategyPlan(
            strategy: name, detail: "F(\(m)x\(m), 3x3), tile \(tile.rows) tiles x \(tile.columns) channels",
            derivations: [.init(slot: "winograd_weight", op: WinogradFilterOp(), operandSlots: ["weight"],
                                attributes: Attributes([("tile", .int(m)), ("rows", .int(tile.columns)), ("groups", .int(g.groups))]))],
            finalizesRegions: true, scratch: copy + transformed + products,
            lower: { context throws(Diagnostic) in try Self.lower(context, tiling) })
    }

    /// Fewer channels leave the transforms a large share of the work (and the reassociated
    /// sums drift further from the direct order, see `ConvWinogradStrategy.minimumChannels`).
    static let minimumChannels = 64

    /// Tiles per vector lane at least: each transformed weight (streamed from memory at batch
    /// 1) feeds a product per tile, and the wider the vectors, the faster the products use
    /// them. With 16 lanes (AVX-512) a 7x7 map's 16 tiles are too few: the weights stream
    /// slower than the products use them, 1.36-1.42x the time of `direct-channels` on
    /// se_resnet's 512-channel layers in its profile, where 14x14 maps (49 tiles) took
    /// 0.87-0.92x. With 8 (AVX2, Zen 3) 16 tiles are enough: eight 3x3 512->512 layers on
    /// 7x7 took 0.73x the time of `direct-channels` at best, 0.5x in medians.
    static let minimumTilesPerLane = 2

    /// How many reduction steps ahead the weights are fetched (measured on se_resnet's 14x14
    /// layers: 0.92-0.97x the time without).
    static let prefetchSteps = 8

    static func lower(_ context: LoweringContext, _ tiling: Tiling) throws(Diagnostic) -> [Stmt] {
        let operands = try ConvWinogradStrategy.Operands(context)
        let g = operands.g, y = operands.y, filters = operands.filters, bias = operands.bias, scratch = operands.scratch
        let t = tiling.input.transform, m = t.m, alpha = t.alpha, positions = alpha * alpha
        let tile = tiling.tile, width = tile.width, columns = tile.columns
        let panels = tiling.paddedChannels / columns, pitch = tiling.input.transformedPitch
        func c(_ v: Int) -> IndexExpr { .constant(v) }
        /// V[n, p, channel, tile]
        func transformed(_ p: IndexExpr, _ channel: IndexExpr, _ lane: IndexExpr) -> IndexExpr {
            c(tiling.transformedStart) + (.v("n") * c(positions) + p) * c(tiling.positionPitch) + channel * c(pitch) + lane
        }
        /// M[n, p, tile, channel]
        func product(_ p: IndexExpr, _ tileIndex: IndexExpr, _ channel: IndexExpr) -> IndexExpr {
            c(tiling.productsStart) + ((.v("n") * c(positions) + p) * c(tiling.productTiles) + tileIndex) * c(tiling.paddedChannels) + channel
        }

        // 1. Every tile of one input channel per task.
        let transform: Stmt = .loop(variable: "wt", lower: 0, upper: c(g.batch * g.channels), schedule: .parallel, body: [
            .letIndex("n", .v("wt") / c(g.channels)),
            .letIndex("ci0", .v("wt") % c(g.channels)),
            .letIndex("t0", 0),
        ] + ConvWinogradStrategy.inputTransform(tiling.input, g, scratch, into: scratch, channelBase: .v("ci0"), channels: 1) { p, ch, lane in
            transformed(p, .v("ci0") + ch, lane)
        })

        // 2. The products, a register tile of tiles by a panel's channels at a time, over the
        // input channels of the panel's group (from `cbase`). The panel's transformed weights
        // come from memory on the first block of tiles: each step fetches a step's weights a
        // few steps ahead.
        let reduction = g.inPerGroup
        let channel: IndexExpr = g.groups == 1 ? .v("ci") : .v("cbase") + .v("ci")
        let ahead = IndexExpr.min(.v("ci") + c(Self.prefetchSteps), c(reduction - 1))
        let prefetch = stride(from: 0, to: columns, by: 16).map { offset in
            Stmt.prefetch(filters, ((.v("p") * c(panels) + .v("ob")) * c(reduction) + ahead) * c(columns) + c(offset))
        }
        let step = prefetch + tile.step(a: { i in .load(scratch, transformed(.v("p"), channel, .v("tb") + c(i))) },
                             b: { v in .load(filters, ((.v("p") * c(panels) + .v("ob")) * c(reduction) + .v("ci")) * c(columns) + c(v * width),
                                             width: width, aligned: false) })
        let products: Stmt = .loop(variable: "task", lower: 0, upper: c(g.batch * positions * panels), schedule: .parallel, body: [
            .letIndex("n", .v("task") / c(positions * panels)),
            .letIndex("p", (.v("task") / c(panels)) % c(positions)),
            .letIndex("ob", .v("task") % c(panels)),
        ] + (g.groups == 1 ? [] : [.letIndex("cbase", .v("ob") * c(columns) / c(g.outPerGroup) * c(g.inPerGroup))]) + [
            .loop(variable: "tblock", lower: 0, upper: c(tiling.productTiles / tile.rows), schedule: .serial, body:
                [.letIndex("tb", .v("tblock") * c(tile.rows))]
                + tile.declareAccumulators { _, _ in .broadcast(.constant(0), width: width) }
                + [.loop(variable: "ci", lower: 0, upper: c(reduction), schedule: .serial, body: step)]
                + (0..<tile.rows).flatMap { i in (0..<tile.vectors).map { v in
                    Stmt.storeVector(scratch, product(.v("p"), .v("tb") + c(i), .v("ob") * c(columns) + c(v * width)),
                                     .register(tile.accumulator(i, v)), width: width, aligned: false)
                } }),
        ])

        // 3. The output transform per tile on a vector of channels, then its pixels stored.
        let outputs = BufferRef("wpixels")
        var perTile: [Stmt] = [
            .letIndex("ty", .v("tt") / c(tiling.input.tilesWide)),
            .letIndex("tx", .v("tt") % c(tiling.input.tilesWide)),
        ]
        for p in 0..<positions {
            perTile.append(.declareVector("m\(p)", width: width, .load(scratch, product(c(p), .v("tt"), .v("oc")), width: width, aligned: false)))
        }
        for a in 0..<m {
            for q in 0..<alpha {
                perTile.append(.declareVector("s\(a)_\(q)", width: width, ConvWinogradStrategy.vectorCombination(
                    t.at[a], (0..<alpha).map { .register("m\($0 * alpha + q)") }, width: width)))
            }
        }
        let biasVector: VectorExpr = bias.map { .load($0, .v("oc"), width: width, aligned: false) } ?? .broadcast(.constant(0), width: width)
        for a in 0..<m {
            for b in 0..<m {
                let value = ConvWinogradStrategy.vectorCombination(t.at[b], (0..<alpha).map { .register("s\(a)_\($0)") }, width: width)
                perTile.append(.storeVector(outputs, c((a * m + b) * width), value + biasVector, width: width, aligned: true))
            }
        }
        var pixels: [Stmt] = []
        for a in 0..<m {
            for b in 0..<m {
                let oy = IndexExpr.v("ty") * c(m) + c(a), ox = IndexExpr.v("tx") * c(m) + c(b)
                let store = Stmt.store(y, ((.v("n") * c(g.outChannels) + .v("oc") + .v("j")) * c(g.outHeight) + oy) * c(g.outWidth) + ox,
                                       .load(outputs, c((a * m + b) * width) + .v("j")))
                var inside: [Condition] = []
                if a > 0 && g.outHeight % m != 0 { inside.append(.less(oy, c(g.outHeight))) }
                if b > 0 && g.outWidth % m != 0 { inside.append(.less(ox, c(g.outWidth))) }
                pixels.append(inside.isEmpty ? store : .when(inside.dropFirst().reduce(inside[0]) { .and($0, $1) }, then: [store], otherwise: []))
            }
        }
        perTile.append(.loop(variable: "j", lower: 0, upper: c(width), schedule: .serial, body: pixels))
        let vectorsPerImage = g.outChannels / width
        let store: Stmt = .loop(variable: "ov", lower: 0, upper: c(g.batch * vectorsPerImage), schedule: .parallel, body: [
            .letIndex("n", .v("ov") / c(vectorsPerImage)),
            .letIndex("oc", (.v("ov") % c(vectorsPerImage)) * c(width)),
            .localArray(outputs, count: m * m * width),
            .loop(variable: "tt", lower: 0, upper: c(tiling.tiles), schedule: .serial, body: perTile),
            // The vector's planes are complete.
            .loop(variable: "j", lower: 0, upper: c(width), schedule: .serial, body: [
                .finalized(y, start: (.v("n") * c(g.outChannels) + .v("oc") + .v("j")) * c(g.outPixels), count: c(g.outPixels), stride: 1,
                           alignment: g.outPixels),
            ]),
        ])
        return ConvWinogradStrategy.phaseCopy(context, g, tiling.input) + [transform, products, store]
    }
}
