import AttendBasic
import AttendIR

/// Who reads each value: the facts most rewrites ask about. Computed from a graph; stale once
/// the graph changes.
public struct UseInfo: Sendable {
    /// Node indices reading each value (a node reading a value twice is listed once).
    public var users: [ValueID: [Int]] = [:]
    /// The node index defining each node output.
    public var producer: [ValueID: Int] = [:]
    /// Values the graph returns.
    public var graphOutputs: Set<ValueID> = []

    public init(_ graph: Graph) {
        for (index, node) in graph.nodes.enumerated() {
            for input in Set(node.inputs) { users[input, default: []].append(index) }
            for output in node.outputs { producer[output] = index }
        }
        graphOutputs = Set(graph.outputs.map(\.value))
    }

    /// True when `value` is read by exactly one node and is not a graph output: a producer
    /// can then be rewritten together with its consumer.
    public func hasSingleUser(_ value: ValueID) -> Bool {
        users[value]?.count == 1 && !graphOutputs.contains(value)
    }

    /// The node that defines `value`, if a node does (not a graph input).
    public func producerNode(of value: ValueID, in graph: Graph) -> Node? {
        producer[value].map { graph.nodes[$0] }
    }
}

extension Graph {
    /// Removes nodes none of whose outputs is read (by a live node or as a graph output), and
    /// derived parameters nothing reads; renumbers values densely. Returns whether anything
    /// was removed. Loaded parameters are kept even when unused: a PyTorch state_dict still
    /// holds them, and loading stays strict.
    @discardableResult
    public mutating func removeDeadCode() -> Bool {
        var live = Set(outputs.map(\.value))
        var keep = [Bool](repeating: false, count: nodes.count)
        for index in nodes.indices.reversed() where nodes[index].outputs.contains(where: live.contains) {
            keep[index] = true
            live.formUnion(nodes[index].inputs)
        }
        let before = nodes.count
        nodes = nodes.indices.filter { keep[$0] }.map { nodes[$0] }
        var removed = nodes.count != before
        // Derived parameters: keep those bound by a node, and (transitively) their operands.
        var needed = Set(nodes.flatMap { $0.parameters.map(\.name) })
        for parameter in parameters.reversed() where needed.contains(parameter.name) {
            needed.formUnion(parameter.definition?.operands ?? [])
        }
        let count = parameters.count
        parameters.removeAll { !$0.isLoaded && !needed.contains($0.name) }
        removed = removed || parameters.count != count
        compactValues()
        return removed
    }

    /// Renumbers values so that exactly the defined ones remain (inputs, then node outputs in
    /// order): the verifier requires every value to be defined.
    public mutating func compactValues() {
        var mapping: [ValueID: ValueID] = [:]
        var newValues: [Value] = []
        func keep(_ id: ValueID) {
            guard mapping[id] == nil else { return }
            mapping[id] = ValueID(newValues.count)
            newValues.append(values[id.index])
        }
        for input in inputs { keep(input.value) }
        for node in nodes { node.outputs.forEach(keep) }
        guard newValues.count != values.count || mapping.contains(where: { $0.key != $0.value }) else { return }
        values = newValues
        inputs = inputs.map { ($0.name, mapping[$0.value]!) }
        outputs = outputs.map { ($0.name, mapping[$0.value] ?? $0.value) }
        for index in nodes.indices {
            nodes[index].inputs = nodes[index].inputs.map { mapping[$0] ?? $0 }
            nodes[index].outputs = nodes[index].outputs.map { mapping[$0]! }
        }
    }
}

/// One local rewrite, tried at nodes by a `PatternPass` (MLIR's rewrite patterns, TVM's
/// dataflow patterns): match at node `index` and, if it matches, change the graph through
/// the rewriter's editing methods and return true. A pattern that returns true must have
/// changed something, or the driver would loop (a budget stops it).
public protocol RewritePattern: Sendable {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool
}

/// A pass that applies its patterns until none matches (or a safety bound on the number of
/// rewrites is reached). Near-linear in graph size: a worklist holds the nodes whose
/// neighbourhood changed (every node at first), use lists and dead nodes are updated
/// incrementally by `Rewriter`, and the order is settled and dead code removed once at the end.
public struct PatternPass: Pass {
    public let name: String
    public let summary: String
    public let patterns: [any RewritePattern]

    public init(name: String, summary: String, patterns: [any RewritePattern]) {
        self.name = name
        self.summary = summary
        self.patterns = patterns
    }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        try apply(to: &graph).rewrites > 0
    }

    /// What one run did: nodes taken from the worklist (each tries every pattern once) and
    /// rewrites made. Visits grow with graph size plus the neighbourhoods of rewrites, which
    /// is what the scaling tests check.
    public struct Statistics: Sendable {
        public var visits = 0
        public var rewrites = 0
    }

    public func apply(to graph: inout Graph) throws(Diagnostic) -> Statistics {
        var rewriter = Rewriter(graph)
        var budget = 100 * (graph.nodes.count + 10)
        var statistics = Statistics()
        while budget > 0, let index = rewriter.nextPending() {
            statistics.visits += 1
            for pattern in patterns where try pattern.rewrite(at: index, in: &rewriter) {
                statistics.rewrites += 1
                budget -= 1
                break
            }
        }
        if statistics.rewrites > 0 { graph = rewriter.finish() }
        return statistics
    }
}
