import AttendIR

/// Materialization: which values get a buffer, and when each must exist. A value inside a
/// fused kernel that nothing outside reads stays in registers; everything a kernel alone
/// computes, anything read by another kernel (directly or through views), a graph output,
/// an accumulating anchor's output and a slice of an in-place concatenation is stored.
extension KernelSchedule {
    mutating func materialize(graphOutputs: Set<ValueID>) {
        let reads = units.map { externalReads($0) }
        let readBy = Liveness(reads.map { Liveness.Step(reads: $0, writes: []) })
        var writes = [[ValueID]](repeating: [], count: units.count)
        for (position, unit) in units.enumerated() {
            for index in unit.nodes {
                for output in graph.nodes[index].outputs {
                    let accumulator = index == unit.anchor && accumulating.contains(position)
                    let readOutside = (readBy.readers[output] ?? []).contains { $0 != position }
                    let needed = unit.nodes.count == 1 || readOutside || graphOutputs.contains(output) || slice[output] != nil
                    if needed || accumulator {
                        materialized.insert(output)
                        writes[position].append(output)
                    }
                    if accumulator && !needed { accumulatorsOnly.insert(output) }
                }
            }
        }
        // A concatenation assembled in place exists from its first slice's writer on, and
        // as long as any of its slices is read.
        materialized.formUnion(slice.values.map(\.whole))
        let slice = self.slice
        let wholes = { (values: [ValueID]) in values.compactMap { slice[$0]?.whole } }
        liveness = Liveness(zip(reads, writes).map { Liveness.Step(reads: $0 + wholes($0), writes: $1 + wholes($1)) })
    }

    /// The values a unit reads from outside itself, each once: the values its inputs live in
    /// (views resolved).
    func externalReads(_ unit: Unit) -> [ValueID] {
        let inside = Set(unit.nodes.flatMap { graph.nodes[$0].outputs })
        var read: [ValueID] = []
        for input in unit.nodes.flatMap({ graph.nodes[$0].inputs }) where !inside.contains(input) {
            let root = self.root(of: input)
            if !read.contains(root) { read.append(root) }
        }
        return read
    }
}
