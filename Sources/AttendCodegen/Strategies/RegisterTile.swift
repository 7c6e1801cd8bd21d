import AttendIR

/// The register tile of a matrix product `C[rows x columns] += A[rows x K] * B[K x columns]`:
/// `rows` rows of C by `vectors` vectors of `width` columns, all held in vector registers for
/// the whole reduction. Each step of the reduction loads `vectors` vectors of B, broadcasts
/// `rows` values of a packed A panel (`pack_panels`), and issues `rows * vectors` fused
/// multiply-adds, so there are enough independent accumulators to cover the FMA latency and
/// few loads per FMA.
struct RegisterTile: Hashable, Sendable, CustomStringConvertible {
    var rows: Int
    var vectors: Int
    var width: Int

    var columns: Int { vectors * width }
    var description: String { "\(rows)x\(columns)" }

    /// How tiles are sized on a target's register file, decided in one place for the two
    /// register files the kernels are measured on (32 registers: AVX-512; 16: AVX2 and the
    /// portable target).
    struct RegisterFileRules {
        /// Accumulators a target can hold while keeping registers for the B vectors and a
        /// broadcast operand.
        var accumulatorBudget: Int
        /// The fewest accumulators a tile needs to keep both FMA pipes busy. Latency 4 on two
        /// pipes asks for 8, but on 16 registers 8 leave the pipes waiting on the broadcasts
        /// and loads besides: on Zen 3 (AVX2) the 7x7 stride-2 stem took 0.68x the time in
        /// 6x16 tiles (12) as in 4x16 (8), the stride-2 3x3 layers 0.69-0.78x in 6x16 and
        /// 5x16. Ten keeps 5x16 tiles, which fit 7-pixel rows and 49-pixel maps with little
        /// waste (1x1 layers on 7x7 maps ran at 83% of peak in them). The AVX-512 figure is
        /// the one its tiles were measured at.
        var minimumAccumulators: Int
        /// What a step costs besides its FMAs and loads (the loop's count and branch, address
        /// arithmetic, a prefetch test), in cycles: it weighs smaller tiles down where the
        /// work is about even (the stem's rows in 5x16 tiles compute a pixel fewer than in
        /// 6x16, but on Zen 3 took 1.05-1.14x the time, as did the 28x28 stride-2 layers).
        /// Counted on 16 registers, where tiles are small enough for it to matter; the
        /// AVX-512 tiles (twice the accumulators) were chosen and measured without it.
        var stepOverheadCycles: Double

        init(_ target: Target) {
            if target.vectorRegisters >= 32 {
                (accumulatorBudget, minimumAccumulators, stepOverheadCycles) = (24, 8, 0)
            } else {
                (accumulatorBudget, minimumAccumulators, stepOverheadCycles) = (12, 10, 1)
            }
        }
    }

    /// The tile for a `rows x columns` product on `target`, by estimated time: the work
    /// including padding (rows and columns rounded up to whole tiles) and each step's
    /// overhead (`RegisterFileRules`), slowed where the
    /// operand traffic per FMA (`4 / vectors` bytes of A broadcasts plus `4 * width / rows`
    /// of B vectors) exceeds what L2 feeds two FMA pipes (about 16 bytes per FMA), or where
    /// the step's loads (`rows` broadcasts and `vectors` vectors) take longer to issue than
    /// its FMAs (measured: a 24x1 tile, 25 loads per 24 FMAs, runs the 1024x784x1024 product
    /// about 20% slower than 8x3 or 12x2); ties go to less traffic.
    /// With `rowsDividing`, only tiles whose rows divide it (nil when none does). With
    /// `rowGroups`, the rows are that many groups, each rounded up to whole tiles on its own
    /// (panels padded within each group, as `winograd_filter` packs them). With
    /// `fewerRows`, tiles with down to half the rows that fit are candidates too (rows that
    /// divide a small count, such as 7 of a 7x7 map's 49 pixels, waste nothing). With
    /// `maxVectors`, only tiles of at most that many vectors of columns. With
    /// `fillingRegisters`, as many accumulators as leave a register for each B vector and
    /// one for the broadcast (28 of 32 in 2 vectors), for steps whose A operand is read in
    /// place and gains most from fewer loads per FMA. With `edgeTiles`, the product runs its
    /// last columns on an `edge` tile, and the estimate counts that.
    static func choose(rows: Int, columns: Int, target: Target, rowsDividing: Int? = nil, rowGroups: Int = 1, fewerRows: Bool = false,
                       maxVectors: Int? = nil, fillingRegisters: Bool = false, edgeTiles: Bool = false) -> RegisterTile? {
        let rules = RegisterFileRules(target), budget = rules.accumulatorBudget, width = target.vectorWidth
        // Tiles of at least `fewestAccumulators`, by estimated cost.
        func best(fewestAccumulators: Int) -> RegisterTile? {
            var candidates: [(tile: RegisterTile, cost: Double, traffic: Double)] = []
            // At least 3 rows: each B vector loaded feeds several FMAs.
            for vectors in 1...max(1, min(budget / minimumRows, maxVectors ?? budget)) {
                // The most rows that fit; under a divisibility constraint, the most that divide.
                let most = fillingRegisters ? max(1, (target.vectorRegisters - vectors - 1) / vectors) : budget / vectors
                guard let largest = rowsDividing.map({ d in (minimumRows...max(minimumRows, most)).reversed().first { $0 <= most && d % $0 == 0 } }) ?? most
                else { continue }
                let fewest = fewerRows ? min(largest, max(minimumRows, most / 2)) : largest
                for tileRows in fewest...largest {
                    if let d = rowsDividing, d % tileRows != 0 { continue }
                    guard tileRows * vectors >= fewestAccumulators else { continue }
                    // The accumulators, the step's B vectors and its broadcast all in registers,
                    // with one to spare: where they take all 16 of AVX2's, gcc reads B from memory
                    // at every FMA and clang spills accumulators (Zen 3: 1x1 layers and the
                    // 1024x784x1024 GEMM took 0.74-0.78x the time in 6x16 tiles as in 4x24).
                    guard tileRows * vectors + vectors + 1 < target.vectorRegisters else { continue }
                    let tile = RegisterTile(rows: tileRows, vectors: vectors, width: width)
                    let traffic = 4.0 / Double(vectors) + 4.0 * Double(width) / Double(tileRows)
                    let work = Double(rowGroups * roundUp(rows / rowGroups, tileRows) * (edgeTiles ? tile.paddedColumns(columns) : roundUp(columns, tile.columns)))
                    let fmaCycles = Double(tileRows * vectors) / fmaPipes
                    let loadBound = Double(tileRows + vectors) / loadsPerCycle / fmaCycles
                    let overhead = 1 + rules.stepOverheadCycles / fmaCycles
                    candidates.append((tile, work * max(1, traffic / 16, loadBound) * overhead, traffic))
                }
            }
            return candidates.min { a, b in a.cost != b.cost ? a.cost < b.cost : a.traffic < b.traffic }?.tile
        }
        // Where divisibility leaves no tile that large (16 output channels per group on AVX2:
        // 8x8 or 4x16), the latency's bare 8 rather than no tile at all.
        return best(fewestAccumulators: rules.minimumAccumulators) ?? best(fewestAccumulators: min(8, budget))
    }

    /// The fewest rows a tile has: each B vector loaded feeds at least this many FMAs.
    static let minimumRows = 3

    /// Two FMA pipes; loads (broadcasts included) issue at somewhat under two per cycle
    /// beside them.
    static let fmaPipes = 2.0, loadsPerCycle = 1.7

    static func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }

    /// The tile for the last `columns % self.columns` columns when they fit in fewer vectors:
    /// the same rows over just enough vectors (a 196-pixel map in 12x32 tiles computes 208
    /// columns rather than 224). Nil when the columns split into whole tiles or the rest
    /// needs every vector.
    func edge(forColumns columns: Int) -> RegisterTile? {
        let rest = columns % self.columns
        let vectors = (rest + width - 1) / width
        guard rest > 0, vectors < self.vectors else { return nil }
        return RegisterTile(rows: rows, vectors: vectors, width: width)
    }

    /// Columns computed for `columns` of output: whole tiles, then the edge tile if any.
    func paddedColumns(_ columns: Int) -> Int {
        edge(forColumns: columns).map { columns / self.columns * self.columns + $0.columns } ?? Self.roundUp(columns, self.columns)
    }

    /// The accumulator vector of row `i`, vector `v`.
    func accumulator(_ i: Int, _ v: Int) -> String { "acc\(i)_\(v)" }

    /// `acc[i][v] = value(i, v)` for every accumulator, declaring them.
    func declareAccumulators(_ value: (Int, Int) -> VectorExpr) -> [Stmt] {
        (0..<rows).flatMap { i in (0..<vectors).map { v in Stmt.declareVector(accumulator(i, v), width: width, value(i, v)) } }
    }

    /// `acc[i][v] = value(i, v)` for every accumulator.
    func assignAccumulators(_ value: (Int, Int) -> VectorExpr) -> [Stmt] {
        (0..<rows).flatMap { i in (0..<vectors).map { v in Stmt.assignVector(accumulator(i, v), value(i, v)) } }
    }

    /// `buffer[at(i, v)] = acc[i][v]` for every accumulator (aligned vector stores).
    func storeAccumulators(to buffer: BufferRef, at: (Int, Int) -> IndexExpr) -> [Stmt] {
        (0..<rows).flatMap { i in (0..<vectors).map { v in
            Stmt.storeVector(buffer, at(i, v), .register(accumulator(i, v)), width: width, aligned: true)
        } }
    }

    /// The reduction of `reduction` steps in balanced blocks whose operand panel (`columns`
    /// floats per step) fills at most half of L1, so it stays there while every tile of a
    /// task uses it.
    static func reductionBlocks(_ reduction: Int, columns: Int, target: Target) -> (size: Int, count: Int) {
        let most = max(16, target.l1Bytes / 2 / (columns * 4))
        let count = (reduction + most - 1) / most
        return ((reduction + count - 1) / count, count)
    }

    /// One step of the reduction: every accumulator gains `a(i) * b(v)`, where `a(i)` is the
    /// scalar of row `i` (broadcast) and `b(v)` the `v`th vector of columns.
    func step(a: (Int) -> ValueExpr, b: (Int) -> VectorExpr) -> [Stmt] {
        var body: [Stmt] = (0..<vectors).map { v in .declareVector("b\(v)", width: width, b(v)) }
        for i in 0..<rows {
            body.append(.declareVector("a\(i)", width: width, .broadcast(a(i), width: width)))
            for v in 0..<vectors {
                body.append(.assignVector(accumulator(i, v), .fma(.register("a\(i)"), .register("b\(v)"), .register(accumulator(i, v)))))
            }
        }
        return body
    }
}
