import AttendIR

/// Where each value lives at run time, as C expressions: graph inputs and outputs in the
/// caller's buffers, parameters in the loaded weights, everything else in the arena.
struct Storage {
    let graph: Graph
    let plan: ArenaPlan
    private var location: [ValueID: String] = [:]
    private var parameterIndex: [String: Int] = [:]
    /// Outputs whose value lives elsewhere (an input, or another output) are copied at the end.
    private var copies: [(output: Int, from: String, count: Int)] = []

    init(_ graph: Graph) {
        self.graph = graph
        var location: [ValueID: String] = [:]
        for (k, input) in graph.inputs.enumerated() { location[input.value] = "inputs[\(k)]" }
        var copies: [(Int, String, Int)] = []
        for (k, output) in graph.outputs.enumerated() {
            if let existing = location[output.value] {
                copies.append((k, existing, ShapeRules.elementCount(graph.shape(of: output.value))))
            } else {
                location[output.value] = "outputs[\(k)]"
            }
        }
        let placed = Set(graph.nodes.flatMap(\.outputs)).subtracting(location.keys)
        plan = ArenaPlan.plan(graph, placing: placed)
        for (value, offset) in plan.offsets { location[value] = "(arena + \(offset))" }
        self.location = location
        self.copies = copies
        for (k, parameter) in graph.parameters.enumerated() { parameterIndex[parameter.name] = k }
    }

    /// The C expression of a value's buffer (the same for reading and writing it).
    func buffer(_ value: ValueID) -> String { location[value] ?? "NULL" }
    func parameter(_ name: String) -> String { "m->params[\(parameterIndex[name] ?? 0)]" }

    func finalCopies() -> [String] {
        copies.map { "    memcpy(outputs[\($0.output)], \($0.from), sizeof(float) * \($0.count));" }
    }
}
