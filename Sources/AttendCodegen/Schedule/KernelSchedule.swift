import AttendBasic
import AttendIR

/// Which kernels a graph becomes, in order. Nodes of one fusion group (`Node.group`) make one
/// kernel at the place of its first node (the anchor); injective nodes with an index map
/// (reshape, permute, slice, split, unbind, identity) and parameter nodes make none: readers
/// read through them (views). Members of a group the code generator cannot run in one
/// kernel (the IR may come from a file) get kernels of their own, which is always correct.
///
/// Built in steps, each in its own file, each reading what the ones before decided:
/// views (`Views.swift`), concatenations assembled in place (`InPlaceConcatenation.swift`),
/// units (`Units.swift`), which units accumulate (`AccumulatingUnits.swift`), and what each
/// unit stores and how long it lives (`Materialization.swift`).
public struct KernelSchedule: Sendable {
    /// One kernel: its nodes, anchor first; the others are its elementwise epilogue.
    public struct Unit: Sendable {
        public var nodes: [Int]
        public var anchor: Int { nodes[0] }
    }

    public let graph: Graph
    public internal(set) var units: [Unit] = []
    /// View values: the value they read and how.
    public internal(set) var viewSource: [ValueID: (source: ValueID, map: IndexMap)] = [:]
    /// Outputs of parameter nodes: the parameter they are.
    public internal(set) var parameterView: [ValueID: String] = [:]
    /// Values written straight into their slice of a concatenation's buffer (the concat
    /// needs no kernel): the concatenation and the flat offset.
    public internal(set) var slice: [ValueID: (whole: ValueID, offset: Int)] = [:]
    /// Concatenations assembled in place (no kernel; their inputs are slices).
    public internal(set) var concatenations: Set<ValueID> = []
    /// Values with a buffer of their own (not views, not group-internal values nobody else reads).
    public internal(set) var materialized: Set<ValueID> = []
    /// Accumulating anchors' outputs that nothing outside their kernel reads: their buffer
    /// only holds sums until the epilogue takes them, so values a lowering hands over
    /// elsewhere (`FinalizedValues`) need not be stored there.
    public internal(set) var accumulatorsOnly: Set<ValueID> = []
    /// When each value is needed, in unit positions: what each unit reads (views resolved
    /// to the values they view) and stores. A slice of a concatenation assembled in place
    /// lives in the concatenation's buffer: its writer writes, and its readers read, that too.
    public internal(set) var liveness = Liveness([Liveness.Step]())
    /// Positions of fused attention units (see `AttentionLayout`).
    public internal(set) var attention: [Int: AttentionLayout] = [:]
    /// Positions of fused units whose anchor accumulates in its output buffer (conv, matmul):
    /// the anchor's output is stored, and the epilogue runs on each region it finalizes.
    public internal(set) var accumulating: Set<Int> = []

    /// The strategy of each node (packed-weight GEMM, ...); others use their op's lowering.
    public let strategies: StrategySelection?

    public init(_ graph: Graph, strategies: StrategySelection? = nil) {
        self.graph = graph
        self.strategies = strategies
        let graphOutputs = Set(graph.outputs.map(\.value))
        var producerIndex: [ValueID: Int] = [:]
        for (index, node) in graph.nodes.enumerated() { for output in node.outputs { producerIndex[output] = index } }
        // Reshapes, permutes, slices and parameters cost no kernel and no copy.
        findViews(graphOutputs: graphOutputs)
        // A concatenation whose inputs can be stored in place costs neither.
        findConcatenationsInPlace(producerIndex: producerIndex, graphOutputs: graphOutputs)
        // The kernels, once the views are known (copying those too costly to read through).
        formUnits(producerIndex: producerIndex)
        // Fused kernels whose anchor accumulates run their epilogue on finished regions.
        findAccumulatingUnits()
        // What gets a buffer, and from which kernel to which it must exist.
        materialize(graphOutputs: graphOutputs)
    }

    /// The value a (possibly view) value's elements live in.
    public func root(of value: ValueID) -> ValueID {
        var current = value
        while let (source, _) = viewSource[current] { current = source }
        return current
    }

    /// Whether a node makes no kernel: all its outputs are views, parameters or
    /// concatenations assembled in place.
    func isView(_ node: Node) -> Bool {
        node.outputs.allSatisfy { viewSource[$0] != nil || parameterView[$0] != nil || concatenations.contains($0) }
    }

    /// The lowering of node `index` (its strategy's, else its op's).
    func lowering(_ index: Int) -> Lowering? {
        strategies?.plans[index]?.lower ?? Lowerings.direct(for: graph.nodes[index].op)
    }

    /// The window of a node that is a reduction over contiguous trailing windows, else nil.
    func reductionWindow(_ node: Node) -> Int? {
        node.op.reductionWindow(inputs: node.inputs.map(graph.shape(of:)), attributes: node.attributes)
    }
}
