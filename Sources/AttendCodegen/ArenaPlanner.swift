import AttendIR

/// Places every intermediate value in one arena by offset, reusing space whose value is no
/// longer live (first fit over lifetimes, in definition order). The optimizer's planner will
/// replace this with a better one; the contract (offsets in floats, 64-byte alignment) stays.
public struct ArenaPlan: Sendable {
    /// Offset in floats of each planned value.
    public var offsets: [ValueID: Int]
    /// Arena size in floats.
    public var size: Int
    /// The sum of all planned values' sizes, for comparison.
    public var naiveSize: Int

    static let alignment = 16  // floats: 64 bytes

    public static func plan(_ graph: Graph, placing values: Set<ValueID>) -> ArenaPlan {
        var lastUse: [ValueID: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for input in node.inputs { lastUse[input] = index }
        }
        var live: [(start: Int, end: Int, lastUse: Int)] = []
        var offsets: [ValueID: Int] = [:]
        var size = 0, naive = 0
        for (index, node) in graph.nodes.enumerated() {
            // A value's space is free once the node after its last use starts.
            live.removeAll { $0.lastUse < index }
            for output in node.outputs where values.contains(output) {
                let length = (ShapeRules.elementCount(graph.shape(of: output)) + alignment - 1) / alignment * alignment
                naive += length
                var offset = 0
                for block in live.sorted(by: { $0.start < $1.start }) {
                    if offset + length <= block.start { break }
                    offset = max(offset, block.end)
                }
                offsets[output] = offset
                live.append((offset, offset + length, max(lastUse[output] ?? index, index)))
                size = max(size, offset + length)
            }
        }
        return ArenaPlan(offsets: offsets, size: size, naiveSize: naive)
    }
}
