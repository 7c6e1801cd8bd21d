import AttendIR

/// Where each value lives at run time (`BufferLocation`s, which printers turn into source):
/// graph inputs and outputs in the caller's buffers, parameters in the model's parameter
/// table (derived ones computed into its derived block), views in the value they view,
/// everything else in the arena.
struct Storage {
    let graph: Graph
    let schedule: KernelSchedule
    let plan: ArenaPlan
    private var location: [ValueID: BufferLocation] = [:]
    /// Arena scratch of each kernel that asks for some, by kernel position.
    private(set) var scratch: [Int: BufferLocation] = [:]
    private(set) var parameterIndex: [String: Int] = [:]
    /// Offsets (floats) of derived parameters in the derived block, and its size.
    private(set) var derivedOffset: [String: Int] = [:]
    private(set) var derivedSize = 0
    /// Outputs whose value lives elsewhere (an input, or another output) are copied at the end.
    private(set) var finalCopies: [BufferCopy] = []

    init(_ graph: Graph, schedule: KernelSchedule) {
        self.graph = graph
        self.schedule = schedule
        var location: [ValueID: BufferLocation] = [:]
        for (k, input) in graph.inputs.enumerated() { location[input.value] = .input(k) }
        var copies: [BufferCopy] = []
        for (k, output) in graph.outputs.enumerated() {
            if let existing = location[output.value] {
                copies.append(BufferCopy(output: k, source: existing, count: ShapeRules.elementCount(graph.shape(of: output.value))))
            } else {
                location[output.value] = .output(k)
            }
        }
        let slices = Set(schedule.slice.keys)
        plan = Self.planArena(graph, schedule: schedule, placing: schedule.materialized.subtracting(location.keys).subtracting(slices))
        for (value, offset) in plan.offsets { location[value] = .arena(offset: offset) }
        for (position, unit) in schedule.units.enumerated() where (schedule.strategies?.plans[unit.anchor]?.scratch ?? 0) > 0 {
            scratch[position] = location[Self.scratchValue(position, graph: graph)]
        }
        for (value, (whole, offset)) in schedule.slice {
            location[value] = .offset(location[whole] ?? .absent, by: offset)
        }
        self.location = location
        finalCopies = copies
        let loaded = graph.loadedParameters, derived = graph.parameters.filter { !$0.isLoaded }
        for (k, parameter) in (loaded + derived).enumerated() { parameterIndex[parameter.name] = k }
        for parameter in derived {
            derivedOffset[parameter.name] = derivedSize
            derivedSize += ArenaPlan.padded(ShapeRules.elementCount(parameter.shape))
        }
    }

    /// Lifetimes in kernel positions and in-place pairs, then the greedy-by-size plan.
    static func planArena(_ graph: Graph, schedule: KernelSchedule, placing: Set<ValueID>) -> ArenaPlan {
        let liveness = schedule.liveness
        var values = placing.sorted().map { value in
            let lifetime = liveness.lifetime(of: value) ?? 0...0
            return (value: value, size: graph.storageCount(of: value), first: lifetime.lowerBound, last: lifetime.upperBound)
        }
        // A kernel's scratch lives while that kernel runs.
        for (position, unit) in schedule.units.enumerated() {
            if let size = schedule.strategies?.plans[unit.anchor]?.scratch, size > 0 {
                values.append((Self.scratchValue(position, graph: graph), size, position, position))
            }
        }
        var inPlace: [(ValueID, ValueID)] = []
        for position in schedule.accumulating {
            // The epilogue reads each accumulated element, then stores the final value in its place.
            let unit = schedule.units[position]
            let accumulator = graph.nodes[unit.anchor].outputs[0]
            let lastElementwise = unit.nodes.last { schedule.reductionWindow(graph.nodes[$0]) == nil } ?? unit.anchor
            if let final = graph.nodes[lastElementwise].outputs.first, placing.contains(final), placing.contains(accumulator),
               liveness.lastRead[accumulator] == nil {
                inPlace.append((final, accumulator))
            }
        }
        for (position, unit) in schedule.units.enumerated() {
            // Elementwise kernels read each input element at the index they write, before writing it.
            let nodes = unit.nodes.map { graph.nodes[$0] }
            guard nodes.allSatisfy({ $0.op is ElementwiseOp }), let output = nodes.last?.outputs.first,
                  placing.contains(output) else { continue }
            let inside = Set(nodes.flatMap(\.outputs))
            let external = nodes.flatMap(\.inputs).filter { !inside.contains($0) }
            // The first eligible input in reading order (not a Set's, whose order changes from
            // run to run: the same model must give the same C).
            var seen: Set<ValueID> = []
            for input in external where seen.insert(input).inserted && placing.contains(input) && liveness.lastAccess(input) == position
                && graph.shape(of: input) == graph.shape(of: output)
                && external.allSatisfy({ schedule.root(of: $0) != input || $0 == input }) {
                inPlace.append((output, input))
                break
            }
        }
        return ArenaPlan.plan(values, inPlace: inPlace)
    }

    /// The arena key of kernel `position`'s scratch: a value number past the graph's own.
    static func scratchValue(_ position: Int, graph: Graph) -> ValueID { ValueID(graph.values.count + position) }

    /// Where a value's buffer is (the same for reading and writing it); views are their
    /// source's buffer.
    func buffer(_ value: ValueID) -> BufferLocation {
        let root = schedule.root(of: value)
        if let name = schedule.parameterView[root] { return parameter(name) }
        return location[root] ?? .absent
    }

    /// The parameter table entry of `name` (absent when the graph has no such parameter).
    func parameter(_ name: String) -> BufferLocation { parameterIndex[name].map(BufferLocation.parameter) ?? .absent }
}
