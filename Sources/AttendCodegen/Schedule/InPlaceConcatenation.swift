import AttendIR

/// Concatenations assembled in place: when a concatenation's inputs lie end to end in its
/// output (`Op.contiguousInputOffsets`: concat along an axis with only extent-1 axes before
/// it), each producer stores straight into its slice of the output's buffer, and the
/// concatenation costs neither a kernel nor a copy.
extension KernelSchedule {
    /// Inputs qualify when each is a distinct value produced by a kernel (not a view, a
    /// parameter, a graph input or output, or another concatenation's slice).
    mutating func findConcatenationsInPlace(producerIndex: [ValueID: Int], graphOutputs: Set<ValueID>) {
        for node in graph.nodes where node.outputs.count == 1 && node.inputs.count > 1 {
            guard let offsets = node.op.contiguousInputOffsets(inputs: node.inputs.map(graph.shape(of:)), attributes: node.attributes),
                  Set(node.inputs).count == node.inputs.count else { continue }
            let eligible = node.inputs.allSatisfy { input in
                guard let producer = producerIndex[input], !graphOutputs.contains(input), slice[input] == nil,
                      viewSource[input] == nil, parameterView[input] == nil else { return false }
                return !isView(graph.nodes[producer]) && graph.nodes[producer].outputs.count == 1
            }
            guard eligible, slice[node.outputs[0]] == nil else { continue }
            for (input, offset) in zip(node.inputs, offsets) { slice[input] = (node.outputs[0], offset) }
            concatenations.insert(node.outputs[0])
        }
    }
}
