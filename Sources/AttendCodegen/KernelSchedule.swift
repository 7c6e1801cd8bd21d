import AttendBasic
import AttendIR

/// Which kernels a graph becomes, in order. Nodes of one fusion group (`Node.group`) make one
/// kernel at the place of its first node (the anchor); injective nodes with an index map
/// (reshape, permute, slice, split, unbind, identity) and parameter nodes make none: readers
/// read through them (views). Members of a group the code generator cannot run in one
/// kernel (the IR may come from a file) get kernels of their own, which is always correct.
public struct KernelSchedule: Sendable {
    /// One kernel: its nodes, anchor first; the others are its elementwise epilogue.
    public struct Unit: Sendable {
        public var nodes: [Int]
        public var anchor: Int { nodes[0] }
    }

    public let graph: Graph
    public private(set) var units: [Unit] = []
    /// View values: the value they read and how.
    public private(set) var viewSource: [ValueID: (source: ValueID, map: IndexMap)] = [:]
    /// Outputs of parameter nodes: the parameter they are.
    public private(set) var parameterView: [ValueID: String] = [:]
    /// Values written straight into their slice of a concatenation's buffer (the concat
    /// needs no kernel): the concatenation and the flat offset.
    public private(set) var slice: [ValueID: (whole: ValueID, offset: Int)] = [:]
    /// Values with a buffer of their own (not views, not group-internal values nobody else reads).
    public private(set) var materialized: Set<ValueID> = []
    /// When each value is needed, in unit positions: what each unit reads (views resolved
    /// to the values they view) and stores. A slice of a concatenation assembled in place
    /// lives in the concatenation's buffer: its writer writes, and its readers read, that too.
    public private(set) var liveness = Liveness([Liveness.Step]())
    /// Positions of fused attention units (see `AttentionLayout`).
    public private(set) var attention: [Int: AttentionLayout] = [:]
    /// Positions of fused units whose anchor accumulates in its output buffer (conv, matmul):
    /// the anchor's output is stored, and the epilogue runs on each region it finalizes.
    public private(set) var accumulating: Set<Int> = []

    /// The strategy of each node (packed-weight GEMM, ...); others use their op's lowering.
    public let strategies: StrategySelection?

    public init(_ graph: Graph, strategies: StrategySelection? = nil) {
        self.graph = graph
        self.strategies = strategies
        let graphOutputs = Set(graph.outputs.map(\.value))
        var producerIndex: [ValueID: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs { producerIndex[output] = index }
            guard !node.outputs.contains(where: graphOutputs.contains) else { continue }
            if node.op is ParameterOp, let name = node.parameterName("") {
                parameterView[node.outputs[0]] = name
                continue
            }
            guard node.inputs.count == 1 else { continue }
            let maps = node.outputs.indices.map { node.op.indexMap(inputs: [graph.shape(of: node.inputs[0])], attributes: node.attributes, output: $0) }
            guard maps.allSatisfy({ $0 != nil }) else { continue }
            for (output, map) in zip(node.outputs, maps) { viewSource[output] = (node.inputs[0], map!) }
        }
        findConcatenationsInPlace(producerIndex: producerIndex, graphOutputs: graphOutputs)
        // Views are free only for readers that touch each element about once (or, like the
        // attention kernel, index by coordinates): a permuted or sliced view read by a conv or
        // a matmul, which read each element many times through the index arithmetic, is
        // copied by a kernel of its own instead.
        while true {
            buildUnits(producerIndex: producerIndex)
            let costly = costlyViews()
            if costly.isEmpty { break }
            for index in costly { for output in graph.nodes[index].outputs { viewSource[output] = nil } }
        }
        // What each unit reads from outside itself: the values its inputs live in.
        let reads = units.map { unit in
            let inside = Set(unit.nodes.flatMap { graph.nodes[$0].outputs })
            var read: [ValueID] = []
            for input in unit.nodes.flatMap({ graph.nodes[$0].inputs }) where !inside.contains(input) {
                let root = self.root(of: input)
                if !read.contains(root) { read.append(root) }
            }
            return read
        }
        let readBy = Liveness(reads.map { Liveness.Step(reads: $0, writes: []) })
        for (position, unit) in units.enumerated() where unit.nodes.count > 1 && attention[position] == nil
            && accumulates(unit.anchor) {
            accumulating.insert(position)
        }
        var writes = [[ValueID]](repeating: [], count: units.count)
        for (position, unit) in units.enumerated() {
            for index in unit.nodes {
                for output in graph.nodes[index].outputs {
                    let accumulator = index == unit.anchor && accumulating.contains(position)
                    let readOutside = (readBy.readers[output] ?? []).contains { $0 != position }
                    if unit.nodes.count == 1 || readOutside || accumulator || graphOutputs.contains(output) || slice[output] != nil {
                        materialized.insert(output)
                        writes[position].append(output)
                    }
                }
            }
        }
        // A concatenation assembled in place exists from its first slice's writer on, and
        // as long as any slice is read.
        materialized.formUnion(slice.values.map(\.whole))
        let slice = self.slice
        let wholes = { (values: [ValueID]) in values.compactMap { slice[$0]?.whole } }
        liveness = Liveness(zip(reads, writes).map { Liveness.Step(reads: $0 + wholes($0), writes: $1 + wholes($1)) })
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

    /// View nodes (other than contiguous runs) some expensive reader reads through: the first
    /// such view on each chain, seen from the reader.
    private func costlyViews() -> Set<Int> {
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
    private func readsViewsCheaply(_ position: Int) -> Bool {
        let unit = units[position]
        if attention[position] != nil { return true }
        if unit.nodes.allSatisfy({ graph.nodes[$0].op is ElementwiseOp }) { return true }
        return unit.nodes.count == 1 && graph.nodes[unit.anchor].op.fusion == .injective
    }

    /// Concatenations whose inputs can be written straight into place: inputs laid end to
    /// end in the output (`Op.contiguousInputOffsets`), each a distinct value produced by a
    /// kernel (not a view, a parameter, a graph input or output, or another such slice).
    private mutating func findConcatenationsInPlace(producerIndex: [ValueID: Int], graphOutputs: Set<ValueID>) {
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

    /// The window of a node that is a reduction over contiguous trailing windows, else nil.
    func reductionWindow(_ node: Node) -> Int? {
        node.op.reductionWindow(inputs: node.inputs.map(graph.shape(of:)), attributes: node.attributes)
    }

    /// Whether the group's reductions (if any) can run in its anchor's epilogue: the anchor
    /// accumulates and finalizes regions of whole windows, the same window for all.
    func reductionsFit(_ nodes: [Int]) -> Bool {
        let windows = Set(nodes.dropFirst().compactMap { reductionWindow(graph.nodes[$0]) })
        guard !windows.isEmpty else { return true }
        guard windows.count == 1, let window = windows.first, accumulates(nodes[0]),
              let body = placeholderBody(nodes[0]) else { return false }
        let regions = body.flatMap { $0.finalizedRegions(of: BufferRef("out0")) }
        return !regions.isEmpty && regions.allSatisfy { region in
            guard case .constant(let count) = region.count else { return false }
            return region.stride == 1 && count % window == 0 && region.alignment % window == 0
        }
    }

    /// Whether node `index`'s kernel stores its output as it goes and finalizes regions (a
    /// strategy that says so), or its op's lowering reads back its output (accumulates in it).
    func accumulates(_ index: Int) -> Bool {
        if let plan = strategies?.plans[index] { return plan.finalizesRegions }
        return placeholderBody(index)?.contains { $0.reads(BufferRef("out0")) } ?? false
    }

    /// The lowering of node `index` (its strategy's, else its op's).
    func lowering(_ index: Int) -> Lowering? {
        strategies?.plans[index]?.lower ?? Lowerings.direct(for: graph.nodes[index].op)
    }

    /// The node's lowering against placeholder buffers (`in0`, `out0`, `w_SLOT`).
    func placeholderBody(_ index: Int) -> [Stmt]? {
        let node = graph.nodes[index]
        guard let lowering = lowering(index) else { return nil }
        let output = BufferRef("out0")
        var weights: [String: BufferRef] = [:], weightShapes: [String: [Int]] = [:]
        for (slot, name) in node.parameters + (strategies?.derivedSlots(of: index) ?? []) {
            weights[slot] = BufferRef("w_" + slot)
            weightShapes[slot] = graph.parameter(named: name)?.shape ?? []
        }
        var context = LoweringContext(op: node.op, attributes: node.attributes, inputs: node.inputs.indices.map { BufferRef("in\($0)") },
                                      inputShapes: node.inputs.map(graph.shape(of:)), outputs: [output],
                                      outputShapes: node.outputs.map(graph.shape(of:)), weights: weights, weightShapes: weightShapes)
        if (strategies?.plans[index]?.scratch ?? 0) > 0 { context.scratch = BufferRef("scratch") }
        return try? lowering(context)
    }

    /// The value a (possibly view) value's elements live in.
    public func root(of value: ValueID) -> ValueID {
        var current = value
        while let (source, _) = viewSource[current] { current = source }
        return current
    }

    /// Concatenations assembled in place (no kernel; their inputs are slices).
    public private(set) var concatenations: Set<ValueID> = []

    func isView(_ node: Node) -> Bool {
        node.outputs.allSatisfy { viewSource[$0] != nil || parameterView[$0] != nil || concatenations.contains($0) }
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
