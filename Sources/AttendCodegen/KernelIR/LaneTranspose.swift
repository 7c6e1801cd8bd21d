/// The transpose of a square tile of vectors (`Stmt.transpose`) as stages of two-source
/// lane shuffles, the way it is done in registers on x86 (`width * log2(width)` shuffles,
/// 64 for 16 lanes), so every printer emits the same network:
///
/// 1. Within each group of 4 rows and each 4-lane block, a 4x4 transpose in two stages:
///    32-bit interleaves of row pairs, then 64-bit interleaves (`unpcklps`/`unpcklpd`).
///    Slot `4q + c` then holds, in lane block `L`, rows `4q ..< 4q + 4` of column `4L + c`.
/// 2. For `g = 4, 8, ..., width / 2`: in every `2g x 2g` block, the top-right `g x g` block
///    swaps with the bottom-left one (whole 128- or 256-bit halves on x86).
///
/// After the last stage, slot `j` holds column `j`. `width` is a power of two, at least 4.
public enum LaneTranspose {
    /// One shuffle: slot `output` of this stage takes, for each lane `k`, lane `lanes[k]` of
    /// slot `a` of the previous stage when it is below `width`, else lane `lanes[k] - width`
    /// of slot `b` (the rows themselves before the first stage).
    public struct Step: Hashable, Sendable {
        public var output: Int
        public var a: Int
        public var b: Int
        public var lanes: [Int]
    }

    /// The stages for `width` lanes; each writes every slot once.
    public static func stages(width: Int) -> [[Step]] {
        // Widths come from targets (4, 8 or 16 lanes), never from a spec.
        precondition(width >= 4 && width & (width - 1) == 0, "a lane transpose needs a power-of-two width of at least 4")  // internal invariant
        func pattern(_ lane: (_ block: Int, _ k: Int) -> Int) -> [Int] { (0..<width).map { lane($0 / 4 * 4, $0 % 4) } }
        // Per 4-lane block starting at `q`: [a0 b0 a1 b1], [a2 b2 a3 b3] (32-bit) and
        // [a0 a1 b0 b1], [a2 a3 b2 b3] (64-bit).
        let low32 = pattern { q, k in [q, width + q, q + 1, width + q + 1][k] }
        let high32 = pattern { q, k in [q + 2, width + q + 2, q + 3, width + q + 3][k] }
        let low64 = pattern { q, k in [q, q + 1, width + q, width + q + 1][k] }
        let high64 = pattern { q, k in [q + 2, q + 3, width + q + 2, width + q + 3][k] }
        let groups = stride(from: 0, to: width, by: 4)
        var stages: [[Step]] = [
            groups.flatMap { i in [Step(output: i, a: i, b: i + 1, lanes: low32), Step(output: i + 1, a: i, b: i + 1, lanes: high32),
                                   Step(output: i + 2, a: i + 2, b: i + 3, lanes: low32), Step(output: i + 3, a: i + 2, b: i + 3, lanes: high32)] },
            groups.flatMap { i in [Step(output: i, a: i, b: i + 2, lanes: low64), Step(output: i + 1, a: i, b: i + 2, lanes: high64),
                                   Step(output: i + 2, a: i + 1, b: i + 3, lanes: low64), Step(output: i + 3, a: i + 1, b: i + 3, lanes: high64)] },
        ]
        var g = 4
        while g < width {
            // Within each 2g-lane chunk: the top row keeps its first g lanes and takes the
            // bottom row's first g; the bottom row gets both rows' last g.
            let top = (0..<width).map { k in k % (2 * g) < g ? k : width + k - g }
            let bottom = (0..<width).map { k in k % (2 * g) < g ? k + g : width + k }
            stages.append((0..<width).filter { $0 / g % 2 == 0 }.flatMap { i in
                [Step(output: i, a: i, b: i + g, lanes: top), Step(output: i + g, a: i, b: i + g, lanes: bottom)]
            })
            g *= 2
        }
        return stages
    }
}
