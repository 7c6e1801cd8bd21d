import AttendBasic

/// The matrices of Winograd's minimal filtering algorithm F(m x m, 3 x 3) (Lavin and Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2016): a 3x3 convolution computed
/// per output tile of `m x m` pixels from an `alpha x alpha` input tile (`alpha = m + 2`) as
///
///     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// where `g` is the 3x3 filter, `d` the input tile and `⊙` the elementwise product. Summed
/// over input channels, the products become `alpha²` independent matrix products, with
/// `alpha² / m²` multiplies per output instead of 9.
///
/// Only F(2x2, 3x3) is offered: its transforms hold 0, ±1 and ±1/2, so in float32 it stays
/// within about twice the direct convolution's rounding error. F(4x4, 3x3) (points 0, ±1,
/// ±2) measured 3e-5 to 1.1e-4 from float64 on unit-scale 64- to 512-channel layers, ten
/// to forty times the direct error and outside the backends' 1e-5 tolerance.
public struct WinogradTransform: Hashable, Sendable {
    /// Output pixels per tile side.
    public let m: Int
    /// Input pixels per tile side.
    public var alpha: Int { m + 2 }
    /// `alpha x 3`: the filter transform.
    public let g: [[Double]]
    /// `alpha x alpha`: the input transform (applied to rows, then to columns).
    public let bt: [[Double]]
    /// `m x alpha`: the output transform.
    public let at: [[Double]]

    /// The transforms of F(m x m, 3 x 3), or nil for an `m` not offered.
    public init?(m: Int) {
        guard m == 2 else { return nil }
        self.m = 2
        g = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        bt = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
        at = [[1, 1, 1, 0], [0, 1, -1, -1]]
    }

    /// The coefficient of filter tap `(u, v)` in transformed position `(a, b)`:
    /// `(G g Gᵀ)[a][b] = sum over (u, v) of G[a][u] * G[b][v] * g[u][v]`.
    public func filterCoefficient(_ a: Int, _ b: Int, _ u: Int, _ v: Int) -> Double { g[a][u] * g[b][v] }
}

/// winograd_filter(w, tile, rows, groups): a 3x3 convolution's weight `[K, C, 3, 3]`
/// transformed for F(tile x tile, 3x3) and packed for a register-tiled product per
/// transformed position, in panels of `rows` output channels that each lie in one of the
/// convolution's `groups` groups of `K / groups` channels:
///
///     out[p, b, c, i] = (G w[k, c] Gᵀ)[p / alpha][p % alpha],
///     k = (b / P) * (K / groups) + (b % P) * rows + i,   P = ceil(K / groups / rows)
///
/// (0 where `(b % P) * rows + i` is past the group's last channel: each group's last panel
/// is zero-padded), shape `[alpha², groups * P, C, rows]`. Code generation derives it at load
/// time, like `pack_panels`, so the interpreter checks it like batchnorm folding.
public struct WinogradFilterOp: Op {
    public init() {}
    public var name: String { "winograd_filter" }
    public var summary: String {
        "3x3 conv weights transformed for Winograd F(m x m, 3x3) and packed in row panels within each group: out[p,b,c,i] = (G w[k(b,i),c] G^T)[p]"
    }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .opaque }
    public var arguments: [ArgSpec] {
        [ArgSpec("tile", .int, "output pixels per tile side, m (2: F(2x2, 3x3))"),
         ArgSpec("rows", .int, "output channels per panel (the microkernel's rows); each group's last panel is zero-padded"),
         ArgSpec("groups", .int, default: .int(1), "the convolution's groups: panels never span two")]
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let w = inputs[0], rows = attributes.int("rows"), tile = attributes.int("tile"), groups = attributes.int("groups")
        guard let transform = WinogradTransform(m: tile) else {
            throw .error("winograd_filter tile must be 2 (F(2x2, 3x3)), got \(tile)")
        }
        guard rows >= 1 else { throw .error("winograd_filter rows must be at least 1, got \(rows)") }
        guard w.count == 4, w[0] >= 1, w[1] >= 1, w[2] == 3, w[3] == 3 else {
            throw .error("winograd_filter needs a [K, C, 3, 3] weight, got \(formatShape(w))")
        }
        guard groups >= 1, w[0] % groups == 0 else {
            throw .error("winograd_filter groups must divide the \(w[0]) output channels, got \(groups)")
        }
        let panels = WinogradPanels(outChannels: w[0], groups: groups, rows: rows)
        return [[transform.alpha * transform.alpha, panels.count, w[1], rows]]
    }
}

/// How `winograd_filter` lays output channels into panels of `rows`: each of the `groups`
/// groups of `perGroup` channels in `perGroupPanels` panels, its last one zero-padded. With
/// one group (or groups of whole panels) panel `b` row `i` is channel `b * rows + i`.
public struct WinogradPanels: Hashable, Sendable {
    public let perGroup: Int, rows: Int, perGroupPanels: Int, groups: Int

    public init(outChannels: Int, groups: Int, rows: Int) {
        perGroup = outChannels / groups
        self.rows = rows
        self.groups = groups
        perGroupPanels = (perGroup + rows - 1) / rows
    }

    public var count: Int { groups * perGroupPanels }

    /// Groups end inside a panel's rows only when they are padded; otherwise panels run on
    /// across the groups' boundaries as one sequence.
    public var padsGroups: Bool { groups > 1 && perGroup % rows != 0 }

    /// Panel `b`'s first row's position within its group, and the group's first channel.
    public func start(ofPanel b: Int) -> (group: Int, offset: Int) {
        padsGroups ? (b / perGroupPanels * perGroup, b % perGroupPanels * rows) : (0, b * rows)
    }

    /// Where a row's position (`start(ofPanel:).offset + i`) stops being a channel.
    public var rowLimit: Int { padsGroups ? perGroup : perGroup * groups }

    /// The channel of panel `b`'s row `i`, or nil for a padding row.
    public func channel(panel b: Int, row i: Int) -> Int? {
        let (group, offset) = start(ofPanel: b)
        return offset + i < rowLimit ? group + offset + i : nil
    }
}
