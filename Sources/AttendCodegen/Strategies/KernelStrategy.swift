import AttendBasic
import AttendIR

/// How one node is computed: an algorithm and its tiling, chosen per node for the target.
/// The op's own lowering (`DirectLowering`) is the `direct` strategy every op has; a strategy
/// here offers a faster way for the nodes it accepts. Each strategy lives in one file and is
/// listed once in `KernelStrategies.all`, in order of preference.
public protocol KernelStrategy: Sendable {
    /// The name `attend check` and `attend graph --optimized` show (`gemm`).
    var name: String { get }
    /// A plan for `node` on `target`, or nil when this strategy does not apply to it.
    func plan(_ node: Node, in graph: GraphIndex, target: Target) -> StrategyPlan?
}

/// A graph with the lookups strategies need, built once per selection so choosing stays
/// linear in the graph's size: each value's producer, and each fusion group's members.
public struct GraphIndex: Sendable {
    public let graph: Graph
    public let producer: [ValueID: Int]
    public let groupMembers: [Int: [Int]]

    public init(_ graph: Graph) {
        self.graph = graph
        var producer: [ValueID: Int] = [:], members: [Int: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() {
            for output in node.outputs { producer[output] = index }
            if let group = node.group { members[group, default: []].append(index) }
        }
        self.producer = producer
        groupMembers = members
    }

    /// The other nodes of `node`'s fusion group (none when it is in none).
    public func groupMates(of node: Node) -> [Node] {
        node.group.map { (groupMembers[$0] ?? []).map { graph.nodes[$0] } } ?? []
    }

    /// Whether `node`'s fusion group reduces windows of a group value (global pooling of
    /// its output or its epilogue's): its kernel must then finalize whole windows.
    public func fusesWindowReduction(_ node: Node) -> Bool {
        groupMates(of: node).contains { member in
            member.op.reductionWindow(inputs: member.inputs.map(graph.shape(of:)), attributes: member.attributes) != nil
        }
    }
}

/// A strategy's decision for one node: its tiling, the derived parameters (packed weights)
/// its kernel reads, and the lowering.
public struct StrategyPlan: Sendable {
    /// A parameter computed at load time from the node's parameters, read by the kernel
    /// under `slot` (e.g. `packed_weight = pack_panels(weight, rows: 8)`).
    public struct Derivation: Sendable {
        public var slot: String
        public var op: any Op
        /// Slots of the node whose parameters are the operands.
        public var operandSlots: [String]
        public var attributes: Attributes
    }

    public var strategy: String
    /// The tiling in a few words (`tile 8x48, k-block 128`).
    public var detail: String
    public var derivations: [Derivation]
    /// The lowering stores the node's output as it goes and announces each finished region
    /// with `Stmt.finalized`, so a fused epilogue runs on each region while it is in cache.
    public var finalizesRegions: Bool
    /// Floats of arena scratch the kernel needs while it runs (a zero-padded copy of its
    /// input), passed to the lowering as `LoweringContext.scratch`.
    public var scratch: Int = 0
    public var lower: Lowering

    public init(strategy: String, detail: String, derivations: [Derivation], finalizesRegions: Bool, scratch: Int = 0,
                lower: @escaping Lowering) {
        self.strategy = strategy
        self.detail = detail
        self.derivations = derivations
        self.finalizesRegions = finalizesRegions
        self.scratch = scratch
        self.lower = lower
    }

}

/// Every strategy besides each op's direct lowering, in order of preference.
public enum KernelStrategies {
    public static let all: [any KernelStrategy] = [ConvWinogradStrategy(), ConvWinogradChannelsStrategy(), ConvDirectChannelsStrategy(), ConvChannelVectorStrategy(), ConvGEMMStrategy(),
                                                   SeparablePoolStrategy()]

    /// The names `--strategies` accepts.
    public static var names: [String] { all.map(\.name) }

    /// The strategies `target` allows, in order of preference.
    public static func allowed(on target: Target) -> [any KernelStrategy] {
        all.filter { target.allowedStrategies?.contains($0.name) ?? true }
    }
}

/// The strategy of every kernel-anchoring node of a graph for a target. Choosing adds the
/// plans' derived parameters (packed weights) to the graph, named after the weights they
/// pack, so the loader computes them once like folded batchnorms.
public struct StrategySelection: Sendable {
    public let target: Target
    /// Plans by node index; nodes without one use their op's direct lowering.
    public private(set) var plans: [Int: StrategyPlan] = [:]
    /// Derived parameter names of each planned node, by the plan's slot.
    public private(set) var derived: [Int: [String: String]] = [:]

    /// `strategies`: the ones that may be chosen, in order of preference (none: every node
    /// uses its op's direct lowering, for comparison).
    public init(_ graph: inout Graph, target: Target, strategies: [any KernelStrategy] = KernelStrategies.all) throws(Diagnostic) {
        self.target = target
        // Plans are made against the graph as given; the derived parameters they ask for are
        // added afterwards (they change no node).
        let index = GraphIndex(graph)
        var existing: [ParameterDefinition: String] = [:]
        for parameter in graph.parameters { if let definition = parameter.definition { existing[definition] = parameter.name } }
        for (position, node) in index.graph.nodes.enumerated() {
            var chosen: StrategyPlan?
            for strategy in strategies {
                if let plan = strategy.plan(node, in: index, target: target) { chosen = plan; break }
            }
            guard let plan = chosen else { continue }
            var names: [String: String] = [:]
            for derivation in plan.derivations {
                let operands = derivation.operandSlots.compactMap { node.parameterName($0) }
                guard operands.count == derivation.operandSlots.count else { continue }
                let definition = ParameterDefinition(op: derivation.op, operands: operands, attributes: derivation.attributes)
                // Nodes sharing a weight share its packing.
                if let name = existing[definition] {
                    names[derivation.slot] = name
                } else {
                    let base = operands.first ?? (node.layer.isEmpty ? node.op.name : node.layer)
                    let name = try graph.deriveParameter("\(base).\(derivation.slot)", op: derivation.op, operands: operands,
                                                         attributes: derivation.attributes)
                    existing[definition] = name
                    names[derivation.slot] = name
                }
            }
            guard names.count == plan.derivations.count else { continue }
            plans[position] = plan
            derived[position] = names
        }
    }

    /// The derived parameters node `index`'s kernel reads, by slot (in slot order).
    public func derivedSlots(of index: Int) -> [(slot: String, name: String)] {
        (derived[index] ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
