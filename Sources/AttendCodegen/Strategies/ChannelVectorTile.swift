import AttendIR

/// The accumulators of a register tile with output channels along the vectors (pixels
/// along its rows), as the channel-vector convolutions use them: started at the bias,
/// parked between blocks of the reduction, and stored transposed into the channel planes.
///
/// The lowering around it defines `oc` (the panel's first channel), `jn` (its channels
/// that exist), `n` (the image), and per tile `p0` (its first pixel), `pcount` (its pixels
/// that exist); with several blocks of the reduction, the block loop's variable is `blockVariable`.
struct ChannelVectorTile {
    var tile: RegisterTile
    var output: BufferRef
    var bias: BufferRef?
    var outChannels: Int
    /// Pixels per channel plane of the output.
    var pixels: Int
    var blockVariable = "kb"

    static let channelRuns = BufferRef("ctile"), partials = BufferRef("partial")

    private func c(_ v: Int) -> IndexExpr { .constant(v) }

    /// The task's local buffers: the transposed tile's channels, and with several blocks the
    /// partial sums of `slots` tiles.
    func locals(slots: Int, blocks: Int) -> [Stmt] {
        [.localArray(Self.channelRuns, count: tile.width * tile.width)]
            + (blocks > 1 ? [.localArray(Self.partials, count: slots * tile.rows * tile.columns)] : [])
    }

    /// Accumulators at the bias (vectors past the last channel, of a zero-padded last panel,
    /// at zero and never stored), or after the first block at the tile's parked sums.
    func start(slot: IndexExpr, blocks: Int) -> [Stmt] {
        let width = tile.width
        let edge = outChannels % tile.columns != 0
        var stmts: [Stmt] = (0..<tile.rows).flatMap { i in (0..<tile.vectors).map { v -> Stmt in
            guard let bias else { return .declareVector(tile.accumulator(i, v), width: width, .broadcast(.constant(0), width: width)) }
            let load = VectorExpr.load(bias, .v("oc") + c(v * width), width: width, aligned: false)
            guard edge, v > 0 else { return .declareVector(tile.accumulator(i, v), width: width, load) }
            return .declareVector(tile.accumulator(i, v), width: width, .broadcast(.constant(0), width: width))
        } }
        if edge, let bias {
            stmts += (1..<tile.vectors).map { v in
                .when(.less(.v("oc") + c(v * width), c(outChannels)), then: (0..<tile.rows).map { i in
                    .assignVector(tile.accumulator(i, v), .load(bias, .v("oc") + c(v * width), width: width, aligned: false))
                }, otherwise: [])
            }
        }
        if blocks > 1 {
            stmts.append(.when(.less(c(0), .v(blockVariable)), then: tile.assignAccumulators { i, v in
                .load(Self.partials, partialSlot(slot, i, v), width: width, aligned: true)
            }, otherwise: []))
        }
        return stmts
    }

    /// After a block: the sums parked, or after the last block the finished tile stored
    /// transposed: channel j of the panel gets pixels p0 ..< p0 + pcount.
    func finish(slot: IndexExpr, blocks: Int) -> [Stmt] {
        let store = transposedStore()
        guard blocks > 1 else { return store }
        let park = tile.storeAccumulators(to: Self.partials) { i, v in partialSlot(slot, i, v) }
        return [.when(.equal(.v(blockVariable), c(blocks - 1)), then: store, otherwise: park)]
    }

    /// The finished tile into the channel planes. Per vector of channels and per `width`
    /// pixels, the accumulators are transposed in registers into one run of pixels per
    /// channel (`Stmt.transpose`, into a local array), each stored into its plane with one
    /// masked store. Storing lane by lane from a local copy of the tile was about 30% of a
    /// 7x7 stem's time in perf (3 input channels make its products short); the stem took
    /// 0.73-0.88x the time with the transpose (se_resnet's and eca_resnet's profiles).
    private func transposedStore() -> [Stmt] {
        let width = tile.width, edge = outChannels % tile.columns != 0
        return (0..<tile.vectors).flatMap { v in
            stride(from: 0, to: tile.rows, by: width).flatMap { first -> [Stmt] in
                let rows = (first..<first + width).map { i -> VectorExpr in
                    i < tile.rows ? .register(tile.accumulator(i, v)) : .broadcast(.constant(0), width: width)
                }
                // The pixels of these rows that exist (pcount <= tile.rows), and the channels.
                let count = tile.rows <= width ? IndexExpr.v("pcount") : .min(.v("pcount") - c(first), c(width))
                let channels = edge ? IndexExpr.min(c(width), .v("jn") - c(v * width)) : c(width)
                let block: [Stmt] = [
                    .transpose(Self.channelRuns, c(0), rows: rows, width: width),
                    .loop(variable: "j", lower: 0, upper: channels, schedule: .serial, body: [
                        .storeVectorLanes(output, (.v("n") * c(outChannels) + .v("oc") + c(v * width) + .v("j")) * c(pixels) + .v("p0") + c(first),
                                          .load(Self.channelRuns, .v("j") * c(width), width: width, aligned: true), width: width, count: count),
                    ]),
                ]
                return first == 0 ? block : [.when(.less(c(first), .v("pcount")), then: block, otherwise: [])]
            }
        }
    }

    /// While a task runs a block, the next block's weights are fetched (a cache line per 16
    /// floats of each step's row of the panel): at batch 1 they stream from memory, and the
    /// hardware prefetcher alone left the products waiting (measured on a 7x2 tile with
    /// weights beyond L3: 1.2-1.3x faster with the hint). The fetches are spread over the
    /// block's first `spread` tiles, step `k` fetched by tile `k % spread` (`tileIndex` is
    /// the tile's index in the block's pass, `fewestTiles` the fewest tiles any pass runs).
    /// Issued all during the first tile, a block's fetches came faster than memory serves
    /// them: se_resnet's 7x7 layers (7 tiles a pass) took 1.10-1.16x the time in its profile
    /// (interleaved, best of 12 rounds), though on a host busy enough to slow everything
    /// 1.5x, once 0.9x.
    /// `packed` is the weights packed per panel `ob` of `reduction` steps; `k` is the step.
    /// The next block is the panel's next block of steps; with several panels per task
    /// (`sharedPanels`: panels `obegin..<oend` run each block in turn), the next panel's
    /// block, and after the last panel (`lastPanel`, see `panelsOfTask`) the first
    /// panel's next one.
    func prefetchNextBlock(_ packed: BufferRef, reduction: Int, blockSteps: Int, tileIndex: IndexExpr, fewestTiles: Int,
                           sharedPanels: Bool = false) -> [Stmt] {
        let spread = max(1, min(fewestTiles, Self.prefetchSpread))
        let mine: Condition = spread == 1 ? .equal(tileIndex, c(0)) : .equal(.v("k") % c(spread), tileIndex)
        let row = sharedPanels
            ? (.v("ob") + 1 - .v("lastPanel") * (.v("oend") - .v("obegin"))) * c(reduction)
                + .min(.v("k") + .v("lastPanel") * c(blockSteps), c(reduction - 1))
            : .v("ob") * c(reduction) + .min(.v("k") + c(blockSteps), c(reduction - 1))
        return [.when(mine, then: stride(from: 0, to: tile.columns, by: 16).map { offset in
            .prefetch(packed, row * c(tile.columns) + c(offset))
        }, otherwise: [])]
    }

    /// Task `task`'s panels of output channels: `obegin..<oend`, `perTask` of them (fewer in
    /// the last group of `panels`), with `groups` groups per image (`n`).
    static func panelsOfTask(_ task: IndexExpr, perTask: Int, groups: Int, panels: Int) -> [Stmt] {
        [.letIndex("obegin", (task % .constant(groups)) * .constant(perTask)),
         .letIndex("oend", .min(.v("obegin") + .constant(perTask), .constant(panels)))]
    }

    /// Tasks per image the channel-vector convolutions aim for: enough to balance two
    /// threads (the pool's chunks).
    static let tasksPerImage = 8

    /// Panel `ob`'s first channel (`oc`), and its channels that exist (`jn`) where the
    /// products read them: only for a partial last panel (`transposedStore`).
    func panelStart(columns: Int) -> [Stmt] {
        [.letIndex("oc", .v("ob") * c(columns))] + (outChannels % columns == 0 ? [] : [panelChannels(columns: columns)])
    }

    private func panelChannels(columns: Int) -> Stmt { .letIndex("jn", .min(c(columns), c(outChannels) - .v("oc"))) }

    /// The task's panels' planes are complete from pixel `offset` for `count` pixels: each
    /// channel's run finalized for the fused epilogue.
    func finalizePanels(columns: Int, offset: IndexExpr, count: IndexExpr, alignment: Int) -> Stmt {
        .loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: [
            .letIndex("oc", .v("ob") * c(columns)), panelChannels(columns: columns),
            .loop(variable: "j", lower: 0, upper: .v("jn"), schedule: .serial, body: [
                .finalized(output, start: (.v("n") * c(outChannels) + .v("oc") + .v("j")) * c(pixels) + offset, count: count, stride: 1,
                           alignment: alignment),
            ]),
        ])
    }

    /// Per panel `ob` of a task of several: 1 for its last panel, else 0 (for the prefetch).
    static let lastPanel = Stmt.letIndex("lastPanel", (.v("ob") + 1) / .v("oend"))

    /// The most tiles a block's weight fetches are spread over.
    static let prefetchSpread = 8

    private func partialSlot(_ slot: IndexExpr, _ i: Int, _ v: Int) -> IndexExpr {
        slot * c(tile.rows * tile.columns) + c(i * tile.columns + v * tile.width)
    }
}
