import AttendIR

/// Units: the kernels, in graph order. A fusion group the generator can run as one kernel
/// (an attention group, or an anchor with its elementwise epilogue and window reductions)
/// is one unit at its anchor's place; every other node that is not a view is a unit alone.
extension KernelSchedule {
    /// Units for the views found so far, then again without the views an expensive reader
    /// would read through, until no such view is left. Views are free only for readers that
    /// touch each element about once (or, like the attention kernel, index by coordinates):
    /// a permuted or sliced view read by a conv or a matmul, which read each element many
    /// times through the index arithmetic, is copied by a kernel of its own instead.
    mutating func formUnits(producerIndex: [ValueID: Int]) {
        while true {
            buildUnits(producerIndex: producerIndex)
            let costly = costlyViews()
            if costly.isEmpty { break }
            for index in costly { for output in graph.nodes[index].outputs { viewSource[output] = nil } }
        }
    }

    /// Units: valid groups at their anchor, other kernel nodes alone, for the current views.
    private mutating func buildUnits(producerIndex: [ValueID: Int]) {
        units = []
        attention = [:]
        var members: [Int: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() { if let group = node.group { members[group, default: []].append(index) } }
        var unitAt: [Int: Unit] = [:]
        var grouped: Set<Int> = []
        var attentionAt: [Int: AttentionLayout] = [:]
        var readers: [ValueID: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() { for input in Set(node.inputs) { readers[input, default: []].append(index) } }
        for (_, group) in members where group.count > 1 {
            let ready = { (value: ValueID) in producerIndex[value].map { $0 < group[0] } ?? true || self.parameterView[value] != nil }
            if let layout = AttentionLayout(group, in: graph, isView: isView, isReady: ready, readers: { readers[$0] ?? [] }) {
                unitAt[group[0]] = Unit(nodes: group)
                attentionAt[group[0]] = layout
                grouped.formUnion(group)
                continue
            }
            var nodes = group
            // Reductions that cannot run in the anchor's epilogue get kernels of their own.
            if !reductionsFit(nodes) { nodes = [nodes[0]] + nodes.dropFirst().filter { reductionWindow(graph.nodes[$0]) == nil } }
            guard nodes.count > 1, let fused = fusibleMembers(nodes, producerIndex: producerIndex) else { continue }
            nodes = fused
            unitAt[nodes[0]] = Unit(nodes: nodes)
            grouped.formUnion(nodes)
        }
        for (index, node) in graph.nodes.enumerated() {
            if let unit = unitAt[index] {
                if let layout = attentionAt[index] { attention[units.count] = layout }
                units.append(unit)
                continue
            }
            guard !grouped.contains(index), !isView(node) else { continue }
            units.append(Unit(nodes: [index]))
        }
    }

    /// The part of a group the generator can run as one kernel: a single-output anchor that
    /// is not a view, then the members that are elementwise (declared by a scalar formula) on
    /// the anchor's output grid, or reductions of a group value's windows, whose other
    /// inputs are ready before the anchor. Members that do not qualify (and members reading
    /// them) are left out and get kernels of their own; nil when nothing fuses.
    func fusibleMembers(_ nodes: [Int], producerIndex: [ValueID: Int]) -> [Int]? {
        let anchor = graph.nodes[nodes[0]]
        guard anchor.outputs.count == 1, !isView(anchor), lowering(nodes[0]) != nil else { return nil }
        let shape = graph.shape(of: anchor.outputs[0])
        var inside = Set(anchor.outputs)
        var kept = [nodes[0]]
        // By the rules the fuse pass forms groups by (`FusionRules`).
        func joins(_ node: Node) -> Bool {
            if reductionWindow(node) != nil {
                // Reduces windows of a group value; nothing in the group reads its result.
                return inside.contains(node.inputs[0]) && FusionRules.reducesWindows(node, of: node.inputs[0], grid: shape, in: graph)
            }
            guard FusionRules.joinsEpilogue(node, grid: shape, in: graph), !isView(node), node.inputs.contains(where: inside.contains) else { return false }
            return node.inputs.allSatisfy { inside.contains($0) || FusionRules.isReady($0, before: nodes[0], producer: producerIndex[$0], in: graph) }
        }
        for index in nodes.dropFirst() where joins(graph.nodes[index]) {
            kept.append(index)
            if reductionWindow(graph.nodes[index]) == nil { inside.formUnion(graph.nodes[index].outputs) }
        }
        return kept.count > 1 ? kept : nil
    }
}
