import AttendBasic
import AttendIR

/// The graph under a `PatternPass`, with the facts patterns ask about kept up to date as
/// they edit it, so that each rewrite costs time proportional to what it touches:
/// - nodes are never moved or removed while the pass runs: a new node is appended (with an
///   order key placing it where it belongs) and a replaced or unread node is marked dead;
/// - `uses` (readers and producer of every value) changes with every edit, and a node whose
///   outputs lose their last reader dies at once, its inputs' producers after it;
/// - the nodes around an edit go back on the worklist, so the pass revisits only them.
/// `finish` puts live nodes in dependency order (the original order wherever it still holds)
/// and removes dead code and derived parameters nothing reads.
public struct Rewriter {
    /// The graph being rewritten: read it freely, build nodes with `graph.makeNode` and
    /// derived parameters with `graph.deriveParameter`, but change `graph.nodes` and
    /// `graph.outputs` only through the methods below.
    public var graph: Graph
    public private(set) var uses: UseInfo
    /// Whether each node (by index in `graph.nodes`) is still part of the graph.
    public private(set) var isLive: [Bool]
    /// Where each node goes in the final order: its original position, and for nodes added
    /// by rewrites the position of the node they were put before, then creation order.
    private var orderKey: [(position: Int, sequence: Int)]
    private var pending: [Int]
    private var pendingHead = 0
    private var isPending: [Bool]
    private var created = 0

    init(_ graph: Graph) {
        self.graph = graph
        uses = UseInfo(graph)
        isLive = Array(repeating: true, count: graph.nodes.count)
        orderKey = graph.nodes.indices.map { ($0, Int.max) }
        pending = Array(graph.nodes.indices)
        isPending = Array(repeating: true, count: graph.nodes.count)
    }

    /// The next live node on the worklist, in the order nodes were queued.
    mutating func nextPending() -> Int? {
        while pendingHead < pending.count {
            let index = pending[pendingHead]
            pendingHead += 1
            isPending[index] = false
            if isLive[index] { return index }
        }
        return nil
    }

    private mutating func enqueue(_ index: Int) {
        guard isLive[index], !isPending[index] else { return }
        isPending[index] = true
        pending.append(index)
        // Keep the consumed prefix from growing without bound on long runs.
        if pendingHead > 4096, pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
    }

    // MARK: facts

    /// The node that defines `value`, if a node does (not a graph input).
    public func producerNode(of value: ValueID) -> Node? {
        uses.producer[value].map { graph.nodes[$0] }
    }

    /// True when `value` is read by exactly one live node and is not a graph output.
    public func hasSingleUser(_ value: ValueID) -> Bool {
        uses.hasSingleUser(value)
    }

    // MARK: edits

    /// Makes every reader of `old` (nodes and graph outputs) read `new` instead. The node
    /// that defined `old` dies if nothing else it computes is read.
    public mutating func replaceUses(of old: ValueID, with new: ValueID) {
        guard old != new else { return }
        let readers = uses.users.removeValue(forKey: old) ?? []
        for reader in readers {
            graph.nodes[reader].inputs = graph.nodes[reader].inputs.map { $0 == old ? new : $0 }
            if !(uses.users[new]?.contains(reader) ?? false) { uses.users[new, default: []].append(reader) }
            enqueue(reader)
        }
        if uses.graphOutputs.contains(old) {
            for index in graph.outputs.indices where graph.outputs[index].value == old { graph.outputs[index].value = new }
            uses.graphOutputs.remove(old)
            uses.graphOutputs.insert(new)
        }
        if let producer = uses.producer[new] { enqueue(producer) }
        if let producer = uses.producer[old] { removeIfUnread(producer) }
    }

    /// Adds `node` (built by `graph.makeNode`) so that it runs before node `index`; returns
    /// its index. Nothing reads it yet.
    @discardableResult
    public mutating func insert(_ node: Node, before index: Int) -> Int {
        let new = graph.nodes.count
        graph.nodes.append(node)
        isLive.append(true)
        isPending.append(false)
        created += 1
        orderKey.append((orderKey[index].position, created))
        for input in Set(node.inputs) { uses.users[input, default: []].append(new) }
        for output in node.outputs { uses.producer[output] = new }
        enqueue(new)
        return new
    }

    /// Puts `node` in place of node `index`: readers of the old node's outputs read the new
    /// node's outputs (position by position), and the old node dies.
    @discardableResult
    public mutating func replace(node index: Int, with node: Node) -> Int {
        let new = insert(node, before: index)
        for (from, to) in zip(graph.nodes[index].outputs, node.outputs) { replaceUses(of: from, with: to) }
        removeIfUnread(index)
        return new
    }

    /// Marks node `index` dead when none of its outputs is read, and then, in turn, the
    /// producers of its inputs that this leaves unread.
    private mutating func removeIfUnread(_ index: Int) {
        var work = [index]
        while let candidate = work.popLast() {
            guard isLive[candidate] else { continue }
            let node = graph.nodes[candidate]
            guard node.outputs.allSatisfy({ (uses.users[$0]?.isEmpty ?? true) && !uses.graphOutputs.contains($0) }) else { continue }
            isLive[candidate] = false
            for output in node.outputs { uses.users[output] = nil }
            for input in Set(node.inputs) {
                uses.users[input]?.removeAll { $0 == candidate }
                let remaining = uses.users[input] ?? []
                // A value down to one reader may now match (single-user patterns).
                for reader in remaining { enqueue(reader) }
                if remaining.isEmpty, let producer = uses.producer[input] { work.append(producer) }
                else if let producer = uses.producer[input] { enqueue(producer) }
            }
        }
    }

    // MARK: result

    /// The rewritten graph: live nodes in dependency order (by order key wherever that is
    /// already a valid order), dead code and unread derived parameters removed.
    func finish() -> Graph {
        var result = graph
        let live = graph.nodes.indices.filter { isLive[$0] }
            .sorted { (orderKey[$0].position, orderKey[$0].sequence, $0) < (orderKey[$1].position, orderKey[$1].sequence, $1) }
        // A depth-first fix-up: a node is emitted after its live producers; without explicit
        // recursion, so long chains cannot exhaust the stack.
        var emitted = Array(repeating: false, count: graph.nodes.count)
        var order: [Int] = []
        order.reserveCapacity(live.count)
        for root in live where !emitted[root] {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            while var top = stack.popLast() {
                let inputs = graph.nodes[top.node].inputs
                var descended = false
                while top.next < inputs.count {
                    let input = inputs[top.next]
                    top.next += 1
                    if let producer = uses.producer[input], isLive[producer], !emitted[producer] {
                        stack.append(top)
                        stack.append((producer, 0))
                        descended = true
                        break
                    }
                }
                if !descended, !emitted[top.node] {
                    emitted[top.node] = true
                    order.append(top.node)
                }
            }
        }
        result.nodes = order.map { graph.nodes[$0] }
        result.removeDeadCode()
        return result
    }
}
