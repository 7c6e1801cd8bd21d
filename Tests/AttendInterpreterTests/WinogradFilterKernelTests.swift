import AttendBasic
import AttendInterpreter
import AttendIR
import Testing

/// `winograd_filter` and the transform it belongs to: Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A is the 2x2
/// valid cross-correlation of a 4x4 tile with a 3x3 filter (what PyTorch's conv2d computes),
/// and the op lays the transformed filters out in row panels per position.
struct WinogradFilterKernelTests {
    /// The 2x2 valid cross-correlation of `d` (4x4) with `g` (3x3), row-major.
    static func correlation(_ d: [Double], _ g: [Double]) -> [Double] {
        var y = [Double](repeating: 0, count: 4)
        for oy in 0..<2 {
            for ox in 0..<2 {
                for u in 0..<3 { for v in 0..<3 { y[oy * 2 + ox] += d[(oy + u) * 4 + ox + v] * g[u * 3 + v] } }
            }
        }
        return y
    }

    /// `sum over (i, j) of left[a][i] * x[i][j] * right[b][j]` for every (a, b): `L x Rᵀ`.
    static func sandwich(_ left: [[Double]], _ x: [[Double]], _ right: [[Double]]) -> [[Double]] {
        left.map { l in
            right.map { r in
                var sum = 0.0
                for i in l.indices { for j in r.indices { sum += l[i] * x[i][j] * r[j] } }
                return sum
            }
        }
    }

    @Test func transformsReproduceTheCorrelation() throws {
        let t = try #require(WinogradTransform(m: 2))
        var random = SeededRandom(seed: 7)
        for _ in 0..<20 {
            let d: [Double] = (0..<16).map { _ in Double(random.uniform(-1, 1)) }
            let g: [Double] = (0..<9).map { _ in Double(random.uniform(-1, 1)) }
            let v = Self.sandwich(t.bt, (0..<4).map { i in Array(d[i * 4..<i * 4 + 4]) }, t.bt)
            let u = Self.sandwich(t.g, (0..<3).map { i in Array(g[i * 3..<i * 3 + 3]) }, t.g)
            let product = (0..<4).map { a in (0..<4).map { b in u[a][b] * v[a][b] } }
            let y = Self.sandwich(t.at, product, t.at).flatMap { $0 }
            for (got, want) in zip(y, Self.correlation(d, g)) { #expect(abs(got - want) < 1e-12) }
        }
    }

    @Test func onlyTheWellConditionedTileIsOffered() {
        #expect(WinogradTransform(m: 2) != nil)
        #expect(WinogradTransform(m: 4) == nil)
        #expect(WinogradTransform(m: 0) == nil)
    }

    @Test func packsEveryPositionInRowPanels() throws {
        // 5 output channels in panels of 3 (the last padded with a zero row), 2 input channels.
        try expectPacked(outChannels: 5, groups: 1, panels: 2, seed: 3) { b, i in b * 3 + i < 5 ? b * 3 + i : nil }
    }

    /// Grouped: each group's channels fill its own panels, the group's last one padded with
    /// zero rows, so no panel holds two groups' channels (2 groups of 5 channels in panels
    /// of 3: rows 0-4 of panels 0-1 are channels 0-4, rows 0-4 of panels 2-3 channels 5-9).
    @Test func padsEachGroupsLastPanel() throws {
        try expectPacked(outChannels: 10, groups: 2, panels: 4, seed: 4) { b, i in b % 2 * 3 + i < 5 ? b / 2 * 5 + b % 2 * 3 + i : nil }
    }

    /// `winograd_filter` of a random `[outChannels, 2, 3, 3]` weight in panels of 3 rows: row
    /// `i` of panel `b` holds channel `channel(b, i)`'s transformed filter, or zeros for nil.
    func expectPacked(outChannels: Int, groups: Int, panels: Int, seed: UInt64, channel: (Int, Int) -> Int?) throws {
        var random = SeededRandom(seed: seed)
        let w = Tensor(shape: [outChannels, 2, 3, 3], data: (0..<outChannels * 18).map { _ in random.uniform(-0.5, 0.5) })
        let out = try runOp("winograd_filter", [w], [("tile", .int(2)), ("rows", .int(3)), ("groups", .int(groups))])[0]
        #expect(out.shape == [16, panels, 2, 3])
        let t = try #require(WinogradTransform(m: 2))
        for p in 0..<16 {
            for b in 0..<panels {
                for c in 0..<2 {
                    for i in 0..<3 {
                        let got = out.data[((p * panels + b) * 2 + c) * 3 + i]
                        guard let k = channel(b, i) else { #expect(got == 0); continue }
                        var want = 0.0
                        for u in 0..<3 {
                            for v in 0..<3 { want += t.filterCoefficient(p / 4, p % 4, u, v) * Double(w.data[(k * 2 + c) * 9 + u * 3 + v]) }
                        }
                        #expect(abs(Double(got) - want) < 1e-6)
                    }
                }
            }
        }
    }

    @Test func rejectsWhatItCannotTransform() throws {
        let op = try #require(OpRegistry.op(named: "winograd_filter"))
        func shapes(_ w: [Int], tile: Int = 2, rows: Int = 4, groups: Int = 1) throws(Diagnostic) -> [[Int]] {
            try op.outputShapes(inputs: [w], attributes: Attributes([("tile", .int(tile)), ("rows", .int(rows)), ("groups", .int(groups))]))
        }
        #expect(throws: Diagnostic.self) { try shapes([8, 4, 5, 5]) }
        #expect(throws: Diagnostic.self) { try shapes([8, 4, 3]) }
        #expect(throws: Diagnostic.self) { try shapes([8, 4, 3, 3], tile: 4) }
        #expect(throws: Diagnostic.self) { try shapes([8, 4, 3, 3], rows: 0) }
        #expect(throws: Diagnostic.self) { try shapes([8, 4, 3, 3], groups: 3) }
        #expect(throws: Diagnostic.self) { try shapes([8, 4, 3, 3], groups: 0) }
        #expect(try shapes([8, 4, 3, 3]) == [[16, 2, 4, 4]])
        #expect(try shapes([10, 4, 3, 3], groups: 2) == [[16, 4, 4, 4]])
        #expect(try shapes([12, 4, 3, 3], groups: 3) == [[16, 3, 4, 4]])
    }
}
