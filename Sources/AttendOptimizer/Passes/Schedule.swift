import AttendBasic
import AttendIR

/// `schedule`: reorders nodes (keeping every value defined before use) to lower the peak of
/// live intermediate memory: a greedy list scheduler that, among ready nodes, runs the one
/// that frees the most memory net of what it allocates (ties: original order). The new
/// order is kept only when its peak is lower.
public struct SchedulePass: Pass {
    public init() {}
    public var name: String { "schedule" }
    public var summary: String { "reorder nodes to lower peak live memory" }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        let order = Self.greedyOrder(graph)
        guard order != Array(graph.nodes.indices),
              Self.peakLiveElements(graph, order: order) < Self.peakLiveElements(graph, order: Array(graph.nodes.indices))
        else { return false }
        graph.nodes = order.map { graph.nodes[$0] }
        return true
    }

    static func size(_ graph: Graph, _ value: ValueID) -> Int { ShapeRules.elementCount(graph.shape(of: value)) }

    /// Peak of the summed sizes of node outputs alive at once when nodes run in `order`
    /// (graph inputs are the caller's; graph outputs stay alive to the end).
    public static func peakLiveElements(_ graph: Graph, order: [Int]) -> Int {
        Liveness(order.map { graph.nodes[$0] }, keeping: Set(graph.outputs.map(\.value))).peak { size(graph, $0) }
    }

    static func greedyOrder(_ graph: Graph) -> [Int] {
        let uses = UseInfo(graph)
        // Readers of each value not scheduled yet: a node reading the last one frees it.
        var remainingReaders = uses.users.mapValues(\.count)
        var waiting = graph.nodes.map { node in Set(node.inputs.filter { uses.producer[$0] != nil }).count }
        var ready = Set(graph.nodes.indices.filter { waiting[$0] == 0 })
        var order: [Int] = []
        let kept = Set(graph.outputs.map(\.value))
        while !ready.isEmpty {
            let best = ready.min { a, b in
                let (ca, cb) = (netCost(a), netCost(b))
                return ca != cb ? ca < cb : a < b
            }!
            ready.remove(best)
            order.append(best)
            for input in Set(graph.nodes[best].inputs) { remainingReaders[input]! -= 1 }
            for output in graph.nodes[best].outputs {
                for reader in uses.users[output] ?? [] {
                    waiting[reader] -= 1
                    if waiting[reader] == 0 { ready.insert(reader) }
                }
            }
        }
        return order.count == graph.nodes.count ? order : Array(graph.nodes.indices)

        func netCost(_ index: Int) -> Int {
            let node = graph.nodes[index]
            var cost = node.outputs.reduce(0) { $0 + size(graph, $1) }
            for input in Set(node.inputs) where remainingReaders[input] == 1 && uses.producer[input] != nil && !kept.contains(input) {
                cost -= size(graph, input)
            }
            return cost
        }
    }
}
