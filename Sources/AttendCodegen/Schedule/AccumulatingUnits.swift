import AttendIR

/// Accumulating units: a fused kernel whose anchor sums into its output buffer (conv,
/// matmul) cannot run its epilogue at each store, since a stored value is not final yet; it
/// stores the anchor's output and runs the epilogue (and any fused window reductions) on
/// each region the anchor announces finished (`Stmt.finalized`).
extension KernelSchedule {
    mutating func findAccumulatingUnits() {
        for (position, unit) in units.enumerated() where unit.nodes.count > 1 && attention[position] == nil
            && accumulates(unit.anchor) {
            accumulating.insert(position)
        }
    }

    /// Whether node `index`'s kernel accumulates in its output and finalizes regions, as its
    /// strategy or its op's direct lowering declares.
    func accumulates(_ index: Int) -> Bool {
        if let plan = strategies?.plans[index] { return plan.finalizesRegions }
        let node = graph.nodes[index]
        guard let op = node.op as? any DirectLowering else { return false }
        return op.finalizesRegions(inputs: node.inputs.map(graph.shape(of:)), attributes: node.attributes)
    }

    /// Whether the group's reductions (if any) can run in its anchor's epilogue: the anchor
    /// accumulates and finalizes regions of whole windows, the same window for all.
    func reductionsFit(_ nodes: [Int]) -> Bool {
        let windows = Set(nodes.dropFirst().compactMap { reductionWindow(graph.nodes[$0]) })
        guard !windows.isEmpty else { return true }
        guard windows.count == 1, let window = windows.first, accumulates(nodes[0]),
              let body = placeholderBody(nodes[0]) else { return false }
        let regions = body.flatMap { $0.finalizedRegions(of: Placeholder.output(0)) }
        return !regions.isEmpty && regions.allSatisfy { region in
            guard case .constant(let count) = region.count else { return false }
            return region.stride == 1 && count % window == 0 && region.alignment % window == 0
        }
    }

    /// The node's lowering against placeholder buffers, to see which regions of its output it
    /// finalizes (the lowerings state how they accumulate, not the extents of their regions).
    func placeholderBody(_ index: Int) -> [Stmt]? {
        let node = graph.nodes[index]
        guard let lowering = lowering(index) else { return nil }
        var weights: [String: BufferRef] = [:], weightShapes: [String: [Int]] = [:]
        for (slot, name) in node.parameters + (strategies?.derivedSlots(of: index) ?? []) {
            weights[slot] = Placeholder.weight(slot)
            weightShapes[slot] = graph.parameter(named: name)?.shape ?? []
        }
        var context = LoweringContext(op: node.op, attributes: node.attributes, inputs: node.inputs.indices.map(Placeholder.input),
                                      inputShapes: node.inputs.map(graph.shape(of:)), outputs: [Placeholder.output(0)],
                                      outputShapes: node.outputs.map(graph.shape(of:)), weights: weights, weightShapes: weightShapes)
        if (strategies?.plans[index]?.scratch ?? 0) > 0 { context.scratch = Placeholder.scratch }
        return try? lowering(context)
    }
}
