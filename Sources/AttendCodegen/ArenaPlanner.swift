import AttendIR

/// Places every intermediate value in one arena by offset: TFLite's greedy-by-size planner.
/// Values are placed largest first, each at the lowest offset where it overlaps (in memory) no
/// already placed value whose lifetime (the kernels from its writer to its last reader)
/// overlaps its own; two other greedy orders are tried too and the smallest arena is kept. In-place pairs (an elementwise kernel writing over an input it reads
/// last, element for element) share one block with the union of their lifetimes.
public struct ArenaPlan: Sendable {
    /// Offset in floats of each planned value.
    public var offsets: [ValueID: Int]
    /// Arena size in floats.
    public var size: Int
    /// The sum of all planned values' sizes, for comparison.
    public var naiveSize: Int
    /// The largest sum of sizes of values alive at once: no plan can be smaller.
    public var peakLive: Int

    static let alignment = 16  // floats: 64 bytes

    /// Spare floats after the last planned value (part of `size`): kernels that read whole
    /// vectors may read up to this far past the end of a value in the arena (the lanes
    /// past its end are computed and dropped).
    public static let tail = 128

    static func padded(_ count: Int) -> Int { (count + alignment - 1) / alignment * alignment }

    /// A block to place: values sharing storage, their size in floats, and their lifetime
    /// in kernel positions (inclusive).
    struct Block {
        var values: [ValueID]
        var size: Int
        var first: Int
        var last: Int
    }

    /// `values`: what to place, with sizes and lifetimes; `inPlace`: (output, input) pairs
    /// that may share storage (the input's lifetime ends where the output's begins).
    static func plan(_ values: [(value: ValueID, size: Int, first: Int, last: Int)], inPlace: [(ValueID, ValueID)]) -> ArenaPlan {
        // Merge in-place pairs into blocks (an input joins at most one output's block).
        var blockOf: [ValueID: Int] = [:]
        var blocks: [Block] = []
        for entry in values {
            blockOf[entry.value] = blocks.count
            blocks.append(Block(values: [entry.value], size: padded(entry.size), first: entry.first, last: entry.last))
        }
        var absorbed: Set<Int> = []
        for (output, input) in inPlace {
            guard let o = blockOf[output], let i = blockOf[input], o != i, !absorbed.contains(o),
                  blocks[i].size == blocks[o].size, blocks[i].last == blocks[o].first else { continue }
            blocks[i].values += blocks[o].values
            blocks[i].last = blocks[o].last
            for value in blocks[o].values { blockOf[value] = i }
            absorbed.insert(o)
        }
        let live = blocks.indices.filter { !absorbed.contains($0) }.map { blocks[$0] }
        // Greedy placement in a few orders (TFLite's size order first; then by size x
        // lifetime, and by start); the smallest arena wins.
        let orders: [(Block, Block) -> Bool] = [
            { $0.size != $1.size ? $0.size > $1.size : $0.first < $1.first },
            { a, b in
                let (x, y) = (a.size * (a.last - a.first + 1), b.size * (b.last - b.first + 1))
                return x != y ? x > y : a.first < b.first
            },
            { $0.first != $1.first ? $0.first < $1.first : $0.size > $1.size },
        ]
        var best: (offsets: [ValueID: Int], size: Int)? = nil
        for order in orders {
            let placement = place(live.sorted(by: order))
            if best == nil || placement.size < best!.size { best = placement }
        }
        let (offsets, size) = best ?? ([:], 0)
        let naive = values.reduce(0) { $0 + padded($1.size) }
        let peak = Liveness.peak(live.map { ($0.first...$0.last, $0.size) })
        return ArenaPlan(offsets: offsets, size: size > 0 ? size + tail : 0, naiveSize: naive, peakLive: peak)
    }

    /// Places blocks in the given order, each at the lowest offset that overlaps no placed
    /// block alive at the same time.
    static func place(_ blocks: [Block]) -> (offsets: [ValueID: Int], size: Int) {
        var placed: [(offset: Int, block: Block)] = []
        var offsets: [ValueID: Int] = [:]
        var size = 0
        for block in blocks {
            let conflicts = placed.filter { $0.block.first <= block.last && block.first <= $0.block.last }
                .sorted { $0.offset < $1.offset }
            var offset = 0
            for other in conflicts {
                if offset + block.size <= other.offset { break }
                offset = max(offset, other.offset + other.block.size)
            }
            placed.append((offset, block))
            for value in block.values { offsets[value] = offset }
            size = max(size, offset + block.size)
        }
        return (offsets, size)
    }
}
