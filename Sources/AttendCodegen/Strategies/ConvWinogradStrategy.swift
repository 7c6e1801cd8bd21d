import AttendBasic
import AttendIR

/// 3x3 stride-1 convolutions by Winograd's F(2x2, 3x3) (`WinogradTransform`): 16
/// multiplies per 2x2 output tile and input channel instead of 36, as 16 independent
/// register-tiled matrix products `M[p] = U[p] · V[p]` over transformed filters `U`
/// (`winograd_filter`, derived once at load) and transformed input tiles `V`.
///
/// - A parallel prologue copies the input zero-padded (to whole tiles) and split by column
///   phase, so that a vector of consecutive tiles is one contiguous load.
/// - Tasks are (image, run of `tile.columns` tiles, group of output-channel panels). A task
///   transforms its tiles of every input channel (`Bᵀ d B`, on vectors of tiles) into a
///   local buffer that stays in L2, and its output tiles start as the bias in another.
///   Per position and panel, the product over every input channel runs with the
///   accumulators in registers (the position's transformed tiles stay in L1 across panels)
///   and is added into the output tiles with the output transform `Aᵀ M A`'s coefficients.
///   Each output pixel is then stored once, so elementwise epilogues fuse at the store.
/// - Where a reduction over the output's planes is fused (global pooling), a task covers
///   every run of its image for its panels and finalizes whole planes at the end.
///
/// The transforms reassociate each output's sum; F(2x2, 3x3) stays within about twice the
/// direct rounding error (see `WinogradTransform`).
struct ConvWinogradStrategy: KernelStrategy {
    var name: String { "winograd" }
    /// Only where the padded work is estimated well below the direct product's (tests turn
    /// this off to pin the strategy on small shapes).
    var onlyWhenCheaper = true

    struct Tiling: Sendable {
        var transform: WinogradTransform
        var tile: RegisterTile
        /// Tiles per side, and tiles per image rounded up to whole column tiles.
        var tilesHigh, tilesWide, paddedTiles: Int
        /// Output-channel panels per task and the number of panel groups (a convolution
        /// group's panels split into groups of their own, the last one partial).
        var panelsPerGroup, groups: Int
        /// Tasks cover every run of tiles and finalize whole planes (a fused reduction).
        var wholePlanes: Bool
        /// Floats per channel row of a task's transformed tiles: its columns, and room for a
        /// vector of tiles to overrun them.
        var transformedPitch: Int { tile.columns + tile.width }
        /// The padded input, split by column phase (`m` planes per channel, see `phaseCopy`):
        /// rows and columns per plane.
        var planeHeight: Int { tilesHigh * transform.m + 2 }
        var phaseWidth: Int { tilesWide + 1 }
        /// Zeros after the padded copy: a vector's overrun past the last tile row.
        var copyTail: Int { RegisterTile.roundUp(tilesWide, tile.width) + tile.width }
        /// Floats of the padded copy and its zero tail.
        func copyFloats(_ g: ConvGeometry) -> Int { g.batch * g.channels * transform.m * planeHeight * phaseWidth + copyTail }
    }

    /// Floats from one position's transformed tiles to the next: `channelRows`, a cache line
    /// more where that would start them a multiple of 4 KiB apart (the transform of a vector
    /// of tiles stores one vector per position, and 16 stores 4 KiB apart all fall in one set
    /// of L1, 12 ways, evicting each other: measured on 64x56x56, the input transform took a
    /// third of the kernel's time).
    static func positionPitch(channelRows: Int) -> Int { channelRows % 1024 == 0 ? channelRows + 16 : channelRows }

    /// Fewer input or output channels than this leave little to win (the transforms' share
    /// grows as channels shrink), and on deep narrow networks the reassociated sums drift
    /// from the direct order by more than the backends' 1e-5 tolerance (measured: 3e-5 on
    /// ecaresnet26t at base width 4 with 16-channel layers, 4-lane target, when this was 16).
    /// At 32, ResNeSt's deep stem (3x3 32->32 and 32->64 at 112x112) and SK-ResNet's first
    /// 3x3 paths take 0.56-0.66x the time of `direct-channels` in their networks' profiles,
    /// and every fixture stays within its tolerance (at 64 they were left to direct loops).
    static let minimumChannels = 32

    /// The most tiles per image that `winograd-channels` takes first on targets of 16 vector
    /// registers (AVX2). Measured on Zen 3 in se_resnet's profile (8 interleaved rounds, at
    /// one thread): its 3x3 layers took 0.55x the time there on 14x14 maps (49 tiles), 0.75x
    /// on 28x28 (196), and the same on 56x56 (784). 28x28 maps stay here for now: the other
    /// strategy's scratch (every tile's transforms and products at once, about 3.8 MB on
    /// ResNet-50's 128-channel layers) left cbam_resnet's and eca_resnet's arenas 11% over
    /// their peak live bytes, past what `ArenaPlanner`'s greedy orders pack. (On AVX-512 it
    /// takes maps of 128 tiles and more, as measured there.)
    static let channelVectorTilesOn16Registers = 64

    /// Floats of a task's transformed tiles at most (positions x channels x pitch): within
    /// L2 beside the filters, and on the stack.
    static let transformedLimit = 16 * 8192

    func plan(_ node: Node, in index: GraphIndex, target: Target) -> StrategyPlan? {
        guard let g = ConvGeometry(strategyNode: node, in: index.graph).flatMap(Self.undilated) else { return nil }
        guard g.kernel == [3, 3], g.stride == [1, 1], g.dilation == [1, 1],
              let transform = WinogradTransform(m: 2), Self.shiftingRuns(transform.at) != nil else { return nil }
        let m = transform.m, positions = transform.alpha * transform.alpha, width = target.vectorWidth
        let tilesHigh = (g.outHeight + m - 1) / m, tilesWide = (g.outWidth + m - 1) / m
        let tiles = tilesHigh * tilesWide
        // Columns such that the task's transformed tiles (of one convolution group's input
        // channels) fit the local buffer. Grouped: each panel of output channels lies in one
        // group (each group's last panel padded, `WinogradPanels`), and so does each task's
        // run of panels. (Tile rows that divide the groups' channels left ResNeSt's 2 groups
        // of 64-512 channels 4x16 tiles, 8 accumulators, on AVX2.)
        let maxVectors = Self.transformedLimit / (positions * g.inPerGroup * width) - 1
        guard maxVectors >= 1,
              let tile = RegisterTile.choose(rows: g.outChannels, columns: tiles, target: target, rowGroups: g.groups,
                                             maxVectors: maxVectors) else { return nil }
        let paddedTiles = RegisterTile.roundUp(tiles, tile.columns)
        // Chosen where the padded products plus the transforms (about `width / channels` of
        // the products: a few vector operations per element and tile, against `channels`
        // FMAs) are clearly less work than the direct product's 9 terms per output pixel
        // (measured on ResNet layers: 0.66x the GEMM strategy's time at 64x56x56, 0.77x at
        // 128x28x28); and only with at least 8 vectors of tiles per image: each transformed
        // weight is read once per image and run, and on small maps the 16/9 larger weights
        // stream from memory slower than the products use them, with every panel group
        // transforming the tiles again (at 256x14x14, 64 padded tiles in 4 groups, it took
        // 1.14x the time of `ConvChannelVectorStrategy`; on 7x7, 16 tiles, longer still).
        let narrowest = min(g.inPerGroup, g.outPerGroup)
        let work = Double(positions * paddedTiles) * (1 + Double(width) / Double(narrowest))
        guard !onlyWhenCheaper || (work < 0.8 * Double(9 * g.outPixels) && paddedTiles >= 8 * width
                                   && narrowest >= Self.minimumChannels) else { return nil }
        // On 16 vector registers, maps of a few dozen tiles are left to `winograd-channels`
        // where it takes them: the products there fill their register tiles with the map's
        // tiles (no run padded to 16 tiles) and transform each tile once, where each group
        // of panels here transforms it again.
        guard !onlyWhenCheaper || target.vectorRegisters >= 32 || tiles > Self.channelVectorTilesOn16Registers
              || ConvWinogradChannelsStrategy().plan(node, in: index, target: target) == nil else { return nil }
        // A task's output tiles (every panel) within 64 KiB of local buffer; enough tasks to
        // balance two threads (each group of panels transforms the tiles again); a task's
        // transformed filters within half of L2, so its runs reuse them from there.
        let layout = WinogradPanels(outChannels: g.outChannels, groups: g.groups, rows: tile.rows)
        let panels = layout.count, panelsPerConvGroup = layout.perGroupPanels
        func groupsWanted(columnTasks: Int) -> Int {
            let outputBytes = m * m * tile.rows * tile.columns * 4
            let panelBytes = positions * tile.rows * g.inPerGroup * 4
            let wanted = max(g.groups, (4 + columnTasks - 1) / columnTasks, (panels * outputBytes + 65535) / 65536,
                             (panels * panelBytes + target.l2Bytes / 2 - 1) / (target.l2Bytes / 2))
            return min(panels, wanted)
        }
        // Panels per task for `wanted` tasks per run: in one convolution group when grouped
        // (a group's last task takes the rest, where panels that divide it could leave one
        // panel per task: ResNeSt's groups of 86 padded panels, each task transforming the
        // tiles again for one panel), balanced over the group's tasks.
        func panelsPerTask(_ wanted: Int) -> Int {
            let count = min(panelsPerConvGroup, (panels + wanted - 1) / wanted)
            guard g.groups > 1 else { return count }
            let tasks = (panelsPerConvGroup + count - 1) / count
            return (panelsPerConvGroup + tasks - 1) / tasks
        }
        // A fused reduction over windows of the output (global pooling of it or of its
        // epilogue's value) needs whole planes finalized: tasks then cover whole images, and
        // only when that needs no more panel groups than runs of tiles would. Else the
        // reduction runs as a kernel of its own (one pass over the output, while each group
        // would transform every tile again: 4 groups made layer1 of se_resnet 1.8x slower).
        let runTasks = g.batch * paddedTiles / tile.columns
        let wholePlanes = index.fusesWindowReduction(node) && g.phases == [1, 1]
            && panelsPerTask(groupsWanted(columnTasks: g.batch)) >= panelsPerTask(groupsWanted(columnTasks: runTasks))
        let panelsPerGroup = panelsPerTask(groupsWanted(columnTasks: wholePlanes ? g.batch : runTasks))
        let tiling = Tiling(transform: transform, tile: tile, tilesHigh: tilesHigh, tilesWide: tilesWide, paddedTiles: paddedTiles,
                            panelsPerGroup: panelsPerGroup, groups: g.groups * ((panelsPerConvGroup + panelsPerGroup - 1) / panelsPerGroup),
                            wholePlanes: wholePlanes)
        var detail = "F(\(m)x\(m), 3x3), tile \(tile.rows) channels x \(tile.columns) tiles"
        if tiling.groups > 1 { detail += ", \(tiling.groups) channel groups" }
        if wholePlanes { detail += ", whole planes" }
        if g.phases != [1, 1] { detail += ", dilation \(g.phases.map(String.init).joined(separator: "x")) as \(g.phases[0] * g.phases[1]) phases" }
        let scratch = tiling.copyFloats(g)
        return StrategyPlan(
            strategy: name, detail: detail,
            derivations: [.init(slot: "winograd_weight", op: WinogradFilterOp(), operandSlots: ["weight"],
                                attributes: Attributes([("tile", .int(m)), ("rows", .int(tile.rows)), ("groups", .int(g.groups))]))],
            finalizesRegions: wholePlanes, scratch: scratch,
            lower: { context throws(Diagnostic) in try Self.lower(context, tiling) })
    }

    /// The geometry the kernel runs: the convolution's own, or for a dilated one, its
    /// undilated convolutions over the dilation's phases (`ConvGeometry.overDilationPhases`:
    /// sizes and padding that split evenly; else nil). The phases' images are a quarter of
    /// the size at dilation 2, so the same rules (enough tiles per image) decide.
    static func undilated(_ g: ConvGeometry) -> ConvGeometry? {
        g.dilation == [1, 1] ? g : g.overDilationPhases
    }

    /// Where every row's nonzeros are one run of the same length starting `shift` further
    /// along per row (`first + row * shift`), that run; else nil.
    static func shiftingRuns(_ rows: [[Double]]) -> (first: Int, length: Int, shift: Int)? {
        let runs = rows.map { row -> (Int, Int)? in
            let positions = row.indices.filter { row[$0] != 0 }
            guard let first = positions.first, let last = positions.last, last - first + 1 == positions.count else { return nil }
            return (first, positions.count)
        }
        guard rows.count >= 2, let first = runs[0], let second = runs[1] else { return nil }
        let shift = second.0 - first.0
        for (k, run) in runs.enumerated() {
            guard let run, run.1 == first.1, run.0 == first.0 + k * shift else { return nil }
        }
        return (first.0, first.1, shift)
    }

    /// `sum over j of coefficients[j] * terms[j]` on vectors, with coefficients of ±1 as
    /// additions and subtractions and zeros skipped (the transforms of F(2x2, 3x3) are
    /// mostly such).
    static func vectorCombination(_ coefficients: [Double], _ terms: [VectorExpr], width: Int) -> VectorExpr {
        var sum: VectorExpr?
        for (coefficient, term) in zip(coefficients, terms) where coefficient != 0 {
            switch (sum, coefficient) {
            case (nil, 1): sum = term
            case (nil, _): sum = .broadcast(.constant(coefficient), width: width) * term
            case (let s?, 1): sum = s + term
            case (let s?, -1): sum = .arithmetic(.sub, s, term)
            case (let s?, _): sum = .fma(.broadcast(.constant(coefficient), width: width), term, s)
            }
        }
        return sum ?? .broadcast(.constant(0), width: width)
    }

    /// What a Winograd lowering reads from its context: the geometry, output, transformed
    /// filters, bias and scratch.
    struct Operands {
        let g: ConvGeometry
        let y: BufferRef, filters: BufferRef, bias: BufferRef?, scratch: BufferRef

        init(_ context: LoweringContext) throws(Diagnostic) {
            let own = ConvGeometry(input: context.inputShapes[0], output: context.outputShapes[0], attributes: context.attributes)
            guard let g = ConvWinogradStrategy.undilated(own) else { throw .error("internal: a Winograd convolution whose dilation does not split into phases") }
            self.g = g
            y = context.outputs[0]
            filters = try context.weight("winograd_weight")
            bias = context.weights["bias"]
            guard let scratch = context.scratch else { throw .error("internal: the Winograd convolution has no scratch buffer") }
            self.scratch = scratch
        }
    }

    static func lower(_ context: LoweringContext, _ tiling: Tiling) throws(Diagnostic) -> [Stmt] {
        let operands = try Operands(context)
        let g = operands.g, y = operands.y, filters = operands.filters, bias = operands.bias, scratch = operands.scratch
        let t = tiling.transform, m = t.m, alpha = t.alpha, positions = alpha * alpha
        let tile = tiling.tile, rows = tile.rows, columns = tile.columns, width = tile.width
        let layout = WinogradPanels(outChannels: g.outChannels, groups: g.groups, rows: rows), panels = layout.count
        func c(_ v: Int) -> IndexExpr { .constant(v) }
        // Panel ob's rows `i` are channels `oc + i` while `offset + i` is under the limit.
        let panelStart: [Stmt] = [.letIndex("oc", layout.channel(ofPanel: .v("ob")))]
            + (layout.padsGroups ? [.letIndex("offset", layout.offset(ofPanel: .v("ob")))] : [])
        let offset: IndexExpr = layout.padsGroups ? .v("offset") : .v("oc")
        let padded = layout.rowLimit % rows != 0
        let transformed = BufferRef("vtiles"), outputs = BufferRef("ytiles")
        let positionPitch = Self.positionPitch(channelRows: g.inPerGroup * tiling.transformedPitch)
        /// transformed[p, channel of the task's convolution group, tile of the run]
        func slot(_ p: IndexExpr, _ channel: IndexExpr, _ lane: IndexExpr) -> IndexExpr {
            p * c(positionPitch) + channel * c(tiling.transformedPitch) + lane
        }
        /// outputs[output tile position, panel of the task, row, column]
        func outputRow(_ position: IndexExpr, _ i: IndexExpr) -> IndexExpr {
            ((position * c(tiling.panelsPerGroup) + .v("ob") - .v("obegin")) * c(rows) + i) * c(columns)
        }

        // Task: image n, panels [obegin, oend), and a run of tiles [t0, t0 + columns) (or,
        // for whole planes, every run in turn).
        let runs = tiling.paddedTiles / columns
        let runsPerTask = tiling.wholePlanes ? 1 : runs
        let perGroup = g.batch * runsPerTask
        var body: [Stmt] = [
            .letIndex("n", (.v("task") % c(perGroup)) / c(runsPerTask)),
        ]
        if g.groups == 1 {
            body += [
                .letIndex("obegin", (.v("task") / c(perGroup)) * c(tiling.panelsPerGroup)),
                .letIndex("oend", .min(c(panels), .v("obegin") + c(tiling.panelsPerGroup))),
            ]
        } else {
            // Panel group `pgroup` of convolution group `pgroup / perConvGroup`, whose last
            // panel group ends at the convolution group's last panel.
            let perConvGroup = tiling.groups / g.groups
            body += [
                .letIndex("pgroup", .v("task") / c(perGroup)),
                .letIndex("obegin", .v("pgroup") / c(perConvGroup) * c(layout.perGroupPanels) + .v("pgroup") % c(perConvGroup) * c(tiling.panelsPerGroup)),
                .letIndex("oend", .min((.v("pgroup") / c(perConvGroup) + 1) * c(layout.perGroupPanels), .v("obegin") + c(tiling.panelsPerGroup))),
            ]
        }
        body += [
            .localArray(transformed, count: positions * positionPitch),
            .localArray(outputs, count: m * m * tiling.panelsPerGroup * rows * columns),
        ]
        // The first input channel of the task's convolution group (its panels lie in one).
        let channelBase: IndexExpr = g.groups == 1 ? c(0) : .v("cbase")
        if g.groups > 1 { body.append(.letIndex("cbase", .v("obegin") / c(layout.perGroupPanels) * c(g.inPerGroup))) }
        var run: [Stmt] = [.letIndex("t0", (tiling.wholePlanes ? .v("run") : .v("task") % c(runs)) * c(columns))]
        run += inputTransform(tiling, g, scratch, into: transformed, channelBase: channelBase, slot: slot)
        // The output tiles start as the bias.
        let rowValid = Condition.less(offset + .v("i"), c(layout.rowLimit))
        let biasValue: ValueExpr = bias.map { b in
            !padded ? .load(b, .v("oc") + .v("i")) : .select(rowValid, .load(b, .v("oc") + .v("i")), .constant(0))
        } ?? .constant(0)
        run.append(.loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: (bias == nil ? [] : panelStart) + [
            .loop(variable: "i", lower: 0, upper: c(rows), schedule: .serial, body: (0..<m * m).flatMap { position in
                (0..<tile.vectors).map { v in
                    Stmt.storeVector(outputs, outputRow(c(position), .v("i")) + c(v * width), .broadcast(biasValue, width: width), width: width, aligned: true)
                }
            }),
        ]))
        // Per position (p1, p2 in loops: one copy of the product's code, where unrolling
        // the 16 positions made Winograd kernels most of a network's C and of its compile
        // time), per panel: the product over every input channel in registers, while the
        // position's transformed tiles stay in L1, then added into the output tiles it
        // contributes to: `Y[a, b] += Aᵀ[a, p1] * Aᵀ[b, p2] * M[p1, p2]`, the factors read
        // from a small table, and a term skipped where either is zero (index conditions).
        let coefficients = BufferRef("atable")
        body.append(.localArray(coefficients, count: m * alpha))
        for a in 0..<m {
            for q in 0..<alpha { body.append(.store(coefficients, c(a * alpha + q), .constant(t.at[a][q]))) }
        }
        let p = IndexExpr.v("p1") * c(alpha) + .v("p2")
        let step = tile.step(a: { i in .load(filters, ((p * c(panels) + .v("ob")) * c(g.inPerGroup) + .v("ci")) * c(rows) + c(i)) },
                             b: { v in .load(transformed, slot(p, .v("ci"), c(v * width)), width: width, aligned: true) })
        var product: [Stmt] = tile.declareAccumulators { _, _ in .broadcast(.constant(0), width: width) }
            + [.loop(variable: "ci", lower: 0, upper: c(g.inPerGroup), schedule: .serial, body: step)]
        // Output tile (a, b) gains each accumulator times Aᵀ[a, p1] Aᵀ[b, p2].
        func terms(_ a: IndexExpr, _ b: IndexExpr) -> [Stmt] {
            let factor = VectorExpr.broadcast(.load(coefficients, .v("p1") + a * c(alpha)) * .load(coefficients, .v("p2") + b * c(alpha)),
                                              width: width)
            return (0..<rows).flatMap { i in (0..<tile.vectors).map { v in
                let position = outputRow(a * c(m) + b, c(i)) + c(v * width)
                let current = VectorExpr.load(outputs, position, width: width, aligned: true)
                return Stmt.storeVector(outputs, position, .fma(factor, .register(tile.accumulator(i, v)), current), width: width, aligned: true)
            } }
        }
        // Each row of Aᵀ is nonzero on a run of positions that shifts with the row (F(2x2,
        // 3x3): [a, a + 3)), so a and b are loops, the runs index conditions that skip the
        // zero terms, and the terms one copy (unrolled, they were half of a Winograd
        // kernel's C).
        guard let nonzero = Self.shiftingRuns(t.at) else { throw .error("internal: a Winograd output transform whose nonzeros do not shift by row") }
        let inRun = { (position: String, row: String) -> Condition in
            .inRange(.v(position), c(nonzero.first) + .v(row) * c(nonzero.shift), c(nonzero.first + nonzero.length) + .v(row) * c(nonzero.shift))
        }
        product.append(.loop(variable: "wa", lower: 0, upper: c(m), schedule: .serial, body: [
            .loop(variable: "wb", lower: 0, upper: c(m), schedule: .serial, body: [
                .when(.and(inRun("p1", "wa"), inRun("p2", "wb")), then: terms(.v("wa"), .v("wb")), otherwise: []),
            ]),
        ]))
        run.append(.loop(variable: "p1", lower: 0, upper: c(alpha), schedule: .serial, body: [
            .loop(variable: "p2", lower: 0, upper: c(alpha), schedule: .serial, body: [
                .loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: product),
            ]),
        ]))
        run.append(.loop(variable: "ob", lower: .v("obegin"), upper: .v("oend"), schedule: .serial, body: panelStart + [
            .loop(variable: "i", lower: 0, upper: !padded ? c(rows) : .min(c(rows), c(layout.rowLimit) - offset),
                  schedule: .serial, body: storePixels(tiling, g, y, outputs)),
        ]))
        if tiling.wholePlanes {
            body.append(.loop(variable: "run", lower: 0, upper: c(runs), schedule: .serial, body: run))
            // Whole planes of the task's channels, one after another (its panels lie in one
            // group, so where groups are padded they end at the group's last channel).
            let first = layout.channel(ofPanel: .v("obegin"))
            let end: IndexExpr = layout.padsGroups
                ? first + .min((.v("oend") - .v("obegin")) * c(rows), c(layout.rowLimit) - layout.offset(ofPanel: .v("obegin")))
                : .min(.v("oend") * c(rows), c(g.outChannels))
            body.append(.loop(variable: "oc", lower: first, upper: end, schedule: .serial, body: [
                .finalized(y, start: (.v("n") * c(g.outChannels) + .v("oc")) * c(g.outPixels), count: c(g.outPixels), stride: 1,
                           alignment: g.outPixels),
            ]))
        } else {
            body += run
        }
        return phaseCopy(context, g, tiling) + [
            .loop(variable: "task", lower: 0, upper: c(perGroup * tiling.groups), schedule: .parallel, body: Pruning.pruned(body)),
        ]
    }

    /// The zero-padded input split by column phase: for each plane and phase `q < m`,
    /// `planeHeight` rows of `phaseWidth` columns, column `k` holding padded column
    /// `k * m + q`. Input tile `tx`'s column `j` is then column `tx + j / m` of phase `j % m`,
    /// so a vector of consecutive tiles is one contiguous load.
    static func phaseCopy(_ context: LoweringContext, _ g: ConvGeometry, _ tiling: Tiling) -> [Stmt] {
        let x = context.inputs[0], scratch = context.scratch ?? BufferRef("scratch")
        let m = tiling.transform.m, phaseWidth = tiling.phaseWidth, pad = g.pad
        func c(_ v: Int) -> IndexExpr { .constant(v) }
        func zeros(_ start: IndexExpr, _ low: Int, _ high: Int) -> [Stmt] {
            low >= high ? [] : [.loop(variable: "k", lower: c(low), upper: c(high), schedule: .vectorized, body: [.store(scratch, start + .v("k"), .constant(0))])]
        }
        var copyRow: [Stmt] = [], zeroRow: [Stmt] = []
        for q in 0..<m {
            let row = ((IndexExpr.v("plane") * c(m) + c(q)) * c(tiling.planeHeight) + .v("r")) * c(phaseWidth)
            // Columns k whose input column k * m + q - pad lies in the image.
            let low = min(phaseWidth, pad[1] - q <= 0 ? 0 : (pad[1] - q + m - 1) / m)
            let high = max(low, min(phaseWidth, (g.width + pad[1] - q + m - 1) / m))
            copyRow += zeros(row, 0, low)
            if low < high {
                copyRow.append(.loop(variable: "k", lower: c(low), upper: c(high), schedule: .vectorized, body: [
                    .store(scratch, row + .v("k"), .load(x, g.inputOffset(plane: .v("plane"), row: .v("ih"), column: .v("k") * c(m) + c(q - pad[1])))),
                ]))
            }
            copyRow += zeros(row, high, phaseWidth)
            zeroRow += zeros(row, 0, phaseWidth)
        }
        let end = g.batch * g.channels * m * tiling.planeHeight * phaseWidth, tail = tiling.copyTail
        return [
            .loop(variable: "plane", lower: 0, upper: c(g.batch * g.channels), schedule: .parallel, body: [
                .loop(variable: "r", lower: 0, upper: c(tiling.planeHeight), schedule: .serial, body: [
                    .letIndex("ih", .v("r") - c(pad[0])),
                    .when(.inRange(.v("ih"), 0, c(g.height)), then: copyRow, otherwise: zeroRow),
                ]),
            ]),
        ] + (tail > 0 ? [.loop(variable: "k", lower: 0, upper: c(tail), schedule: .vectorized, body: [.store(scratch, c(end) + .v("k"), .constant(0))])] : [])
    }

    /// The run's tiles of `channels` input channels from `channelBase` (nil: the task's
    /// convolution group's), `Bᵀ d B` on vectors of consecutive tiles of each tile row the
    /// run touches, into `transformed`. A vector that runs past its tile row
    /// writes the next row's first slots, which that row then overwrites (past the run's end,
    /// the pitch's spare columns); slots past the image's last tile are zeroed.
    static func inputTransform(_ tiling: Tiling, _ g: ConvGeometry, _ scratch: BufferRef, into transformed: BufferRef,
                               channelBase: IndexExpr, channels: Int? = nil, slot: (IndexExpr, IndexExpr, IndexExpr) -> IndexExpr) -> [Stmt] {
        let t = tiling.transform, m = t.m, alpha = t.alpha, positions = alpha * alpha, width = tiling.tile.width
        let tilesWide = tiling.tilesWide, tiles = tiling.tilesHigh * tilesWide, columns = tiling.tile.columns
        func c(_ v: Int) -> IndexExpr { .constant(v) }
        var vector: [Stmt] = [.letIndex("tx", .v("txs") + .v("vx") * c(width))]
        for i in 0..<alpha {
            for j in 0..<alpha {
                let row = (((IndexExpr.v("n") * c(g.channels) + channelBase + .v("ch")) * c(m) + c(j % m)) * c(tiling.planeHeight) + .v("ty") * c(m) + c(i))
                    * c(tiling.phaseWidth)
                vector.append(.declareVector("d\(i)_\(j)", width: width, .load(scratch, row + .v("tx") + c(j / m), width: width, aligned: false)))
            }
        }
        for a in 0..<alpha {
            for j in 0..<alpha {
                vector.append(.declareVector("s\(a)_\(j)", width: width,
                                             vectorCombination(t.bt[a], (0..<alpha).map { .register("d\($0)_\(j)") }, width: width)))
            }
        }
        for a in 0..<alpha {
            for b in 0..<alpha {
                vector.append(.storeVector(transformed, slot(c(a * alpha + b), .v("ch"), .v("ty") * c(tilesWide) + .v("tx") - .v("t0")),
                                           vectorCombination(t.bt[b], (0..<alpha).map { .register("s\(a)_\($0)") }, width: width),
                                           width: width, aligned: false))
            }
        }
        let last = IndexExpr.min(.v("t0") + c(columns), c(tiles))
        var perChannel: [Stmt] = [
            .loop(variable: "ty", lower: .v("t0") / c(tilesWide), upper: (last - 1) / c(tilesWide) + 1, schedule: .serial, body: [
                .letIndex("txs", .max(.v("t0") - .v("ty") * c(tilesWide), 0)),
                .letIndex("txe", .min(last - .v("ty") * c(tilesWide), c(tilesWide))),
                .loop(variable: "vx", lower: 0, upper: (.v("txe") - .v("txs") + c(width - 1)) / c(width), schedule: .serial, body: vector),
            ]),
        ]
        if tiling.paddedTiles > tiles {
            perChannel.append(.loop(variable: "p", lower: 0, upper: c(positions), schedule: .serial, body: [
                .loop(variable: "j", lower: last - .v("t0"), upper: c(columns), schedule: .vectorized, body: [
                    .store(transformed, slot(.v("p"), .v("ch"), .v("j")), .constant(0)),
                ]),
            ]))
        }
        return Loops.counted("ch", channels ?? g.inPerGroup, perChannel)
    }

    /// Row `i` of panel `ob`'s tiles `[t0, t0 + columns)` stored from `outputs` into `y`, each
    /// output pixel once: per tile row the run covers, per row `a` of the tiles, its pixels
    /// left to right.
    static func storePixels(_ tiling: Tiling, _ g: ConvGeometry, _ y: BufferRef, _ outputs: BufferRef) -> [Stmt] {
        let m = tiling.transform.m, tilesWide = tiling.tilesWide, columns = tiling.tile.columns, rows = tiling.tile.rows
        let tiles = tiling.tilesHigh * tilesWide
        func c(_ v: Int) -> IndexExpr { .constant(v) }
        var perRow: [Stmt] = []
        for a in 0..<m {
            var pixels: [Stmt] = []
            for b in 0..<m {
                let ox = IndexExpr.v("tx") * c(m) + c(b)
                let store = Stmt.store(y, g.outputOffset(image: .v("n"), channel: .v("oc") + .v("i"), row: .v("oy\(a)"), column: ox),
                                       .load(outputs, ((c(a * m + b) * c(tiling.panelsPerGroup) + .v("ob") - .v("obegin")) * c(rows) + .v("i")) * c(columns)
                                             + .v("rowStart") + .v("tx")))
                pixels.append(g.outWidth % m != 0 && b > 0 ? .when(.less(ox, c(g.outWidth)), then: [store], otherwise: []) : store)
            }
            let row: [Stmt] = [
                .letIndex("oy\(a)", .v("ty") * c(m) + c(a)),
                .loop(variable: "tx", lower: .v("txs"), upper: .v("txe"), schedule: .vectorized, body: pixels),
            ]
            perRow += g.outHeight % m != 0 && a > 0 ? [.when(.less(.v("ty") * c(m) + c(a), c(g.outHeight)), then: row, otherwise: [])] : row
        }
        // Tile rows the run touches, and each one's tiles within the run.
        let last = IndexExpr.min(.v("t0") + c(columns), c(tiles))
        return [.loop(variable: "ty", lower: .v("t0") / c(tilesWide), upper: (last - 1) / c(tilesWide) + 1, schedule: .serial, body: [
            .letIndex("txs", .max(.v("t0") - .v("ty") * c(tilesWide), 0)),
            .letIndex("txe", .min(last - .v("ty") * c(tilesWide), c(tilesWide))),
            .letIndex("rowStart", .v("ty") * c(tilesWide) - .v("t0")),
        ] + perRow)]
    }
}
