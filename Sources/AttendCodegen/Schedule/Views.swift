import AttendIR

/// Views: values no kernel computes. An injective node with an index map (reshape, permute,
/// slice, split, unbind, identity) only says where its elements are in its input, so its
/// readers read through the map; a parameter node's output is the loaded tensor itself.
/// Graph outputs are always computed: the caller's buffer must hold them.
extension KernelSchedule {
    mutating func findViews(graphOutputs: Set<ValueID>) {
        for node in graph.nodes where !node.outputs.contains(where: graphOutputs.contains) {
            if node.op is ParameterOp, let name = node.parameterName("") {
                parameterView[node.outputs[0]] = name
                continue
            }
            guard node.inputs.count == 1 else { continue }
            let maps = node.outputs.indices.map { node.op.indexMap(inputs: [graph.shape(of: node.inputs[0])], attributes: node.attributes, output: $0) }
            guard maps.allSatisfy({ $0 != nil }) else { continue }
            for (output, map) in zip(node.outputs, maps) { viewSource[output] = (node.inputs[0], map!) }
        }
    }

    /// View nodes (other than contiguous runs) some expensive reader reads through: the first
    /// such view on each chain, seen from the reader.
    func costlyViews() -> Set<Int> {
        var producer: [ValueID: Int] = [:]
        for (index, node) in graph.nodes.enumerated() { for output in node.outputs { producer[output] = index } }
        var costly: Set<Int> = []
        for (position, unit) in units.enumerated() where !readsViewsCheaply(position) {
            let inside = Set(unit.nodes.flatMap { graph.nodes[$0].outputs })
            for input in unit.nodes.flatMap({ graph.nodes[$0].inputs }) where !inside.contains(input) {
                var current = input
                while let (source, map) = viewSource[current] {
                    if Loops.contiguousOffset(map, source: graph.shape(of: source)) == nil, let index = producer[current] {
                        costly.insert(index)
                        break
                    }
                    current = source
                }
            }
        }
        return costly
    }

    /// Elementwise kernels, copies (injective ops) and attention kernels read views cheaply.
    func readsViewsCheaply(_ position: Int) -> Bool {
        let unit = units[position]
        if attention[position] != nil { return true }
        if unit.nodes.allSatisfy({ graph.nodes[$0].op is ElementwiseOp }) { return true }
        return unit.nodes.count == 1 && graph.nodes[unit.anchor].op.fusion == .injective
    }
}
