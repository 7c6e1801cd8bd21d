import AttendBasic
import AttendIR

/// `fuse`: groups nodes into kernels by their declared fusion kind (`Op.fusion`, TVM's
/// classification), never by op name, with the rules code generation checks groups against
/// (`FusionRules`), so every group it forms runs as one kernel. A group has one anchor — a complex-out-fusable op
/// (conv, linear, matmul), a reduction, an injective op that needs a kernel, or an
/// elementwise op — followed by elementwise and broadcast nodes that compute on the anchor's
/// output grid (same shape): bias, activation, residual add, attention gating
/// (`x * sigmoid(s)`) and so on become the anchor kernel's epilogue. A node joins when one of
/// its inputs is in the group and every other input is ready before the anchor runs, so the
/// group runs as one kernel at the anchor's place. A reduction over trailing windows of a
/// complex-out-fusable anchor's grid (global pooling of a conv's output, `Op.reductionWindow`)
/// joins too: the kernel reduces each window as it finishes it, so the map is read while it
/// is written rather than again by a pooling kernel. Attention is fused whole: a matrix
/// product of two activations, its elementwise epilogue, a softmax over the last axis
/// (`Op.normalizesRows`), and a second product that reads the normalized rows as its left
/// operand (batched alike, rows of at most `FusionRules.maxAttentionRow`) become one kernel that computes one row of scores
/// at a time, so the score matrix is never stored. Values inside a group that nothing
/// outside reads are never stored. Injective ops with an index map (reshape, permute, slice,
/// split, unbind) need no group: code generation reads through them.
public struct FusePass: Pass {
    public init() {}
    public var name: String { "fuse" }
    public var summary: String { "fuse elementwise and broadcast epilogues into their producing kernel (by fusion kind)" }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        let before = graph.nodes.map(\.group)
        for index in graph.nodes.indices { graph.nodes[index].group = nil }
        let uses = UseInfo(graph)
        var next = 0
        for anchor in graph.nodes.indices {
            guard let chain = Self.attentionChain(from: anchor, in: graph, uses: uses) else { continue }
            for member in chain { graph.nodes[member].group = next }
            next += 1
        }
        for anchor in graph.nodes.indices where graph.nodes[anchor].group == nil && Self.canAnchor(graph.nodes[anchor], in: graph) {
            let shape = graph.shape(of: graph.nodes[anchor].outputs[0])
            var inside = Set(graph.nodes[anchor].outputs)
            var members = [anchor]
            let reduces = graph.nodes[anchor].op.fusion == .complexOutFusable
            var candidates = Self.Candidates(readersOf: graph.nodes[anchor].outputs, uses: uses)
            while let index = candidates.next() {
                let node = graph.nodes[index]
                guard node.group == nil else { continue }
                if reduces, inside.contains(node.inputs[0]), FusionRules.reducesWindows(node, of: node.inputs[0], grid: shape, in: graph) {
                    // Its output is on another grid: it joins, but nothing reads it inside.
                    members.append(index)
                    continue
                }
                guard FusionRules.joinsEpilogue(node, grid: shape, in: graph) else { continue }
                let othersReady = node.inputs.allSatisfy { inside.contains($0) || Self.isReady($0, before: anchor, in: graph, uses: uses) }
                guard othersReady else { continue }
                members.append(index)
                inside.formUnion(node.outputs)
                candidates.add(readersOf: node.outputs, uses: uses)
            }
            guard members.count > 1 else { continue }
            for member in members { graph.nodes[member].group = next }
            next += 1
        }
        return graph.nodes.map(\.group) != before
    }

    /// A node that can start a kernel others fuse into.
    static func canAnchor(_ node: Node, in graph: Graph) -> Bool {
        guard node.outputs.count == 1, node.op.fusion != .opaque else { return false }
        return node.op.indexMap(inputs: node.inputs.map(graph.shape(of:)), attributes: node.attributes, output: 0) == nil
    }

    /// `product → elementwise* → row normalization → product` from `anchor`, each value read
    /// only by the next node, the other operands ready before the anchor.
    static func attentionChain(from anchor: Int, in graph: Graph, uses: UseInfo) -> [Int]? {
        func ready(_ value: ValueID) -> Bool { isReady(value, before: anchor, in: graph, uses: uses) }
        let first = graph.nodes[anchor]
        guard first.group == nil, FusionRules.isAttentionProduct(first, in: graph), first.inputs.allSatisfy(ready) else { return nil }
        var chain = [anchor]
        var value = first.outputs[0]
        let shape = graph.shape(of: value)
        while true {
            guard uses.hasSingleUser(value), let next = uses.users[value]?.first, graph.nodes[next].group == nil else { return nil }
            let node = graph.nodes[next]
            if FusionRules.joinsEpilogue(node, grid: shape, in: graph), node.inputs.allSatisfy({ $0 == value || ready($0) }) {
                chain.append(next)
                value = node.outputs[0]
                continue
            }
            guard FusionRules.normalizesAttentionRows(node, of: value, in: graph) else { return nil }
            chain.append(next)
            value = node.outputs[0]
            break
        }
        guard uses.hasSingleUser(value), let last = uses.users[value]?.first, graph.nodes[last].group == nil else { return nil }
        let second = graph.nodes[last]
        guard second.inputs.first == value, second.inputs.last != value, ready(second.inputs[1]),
              FusionRules.attentionPlans(first, second, in: graph) != nil else { return nil }
        chain.append(last)
        // The second product's own elementwise epilogue.
        var inside: Set<ValueID> = [second.outputs[0]]
        let grid = graph.shape(of: second.outputs[0])
        var candidates = Candidates(readersOf: second.outputs, uses: uses)
        while let index = candidates.next() {
            let node = graph.nodes[index]
            guard node.group == nil, FusionRules.joinsEpilogue(node, grid: grid, in: graph),
                  node.inputs.allSatisfy({ inside.contains($0) || ready($0) }) else { continue }
            chain.append(index)
            inside.formUnion(node.outputs)
            candidates.add(readersOf: node.outputs, uses: uses)
        }
        return chain
    }

    /// The nodes that may join a growing group: readers of its values, visited once each in
    /// graph order (smallest index first). Only a reader of a group value can join, and a
    /// node's readers come after it, so this visits exactly the nodes a scan of everything
    /// after the anchor would accept, in the same order, without the scan (which made fusion
    /// quadratic in graph size).
    struct Candidates {
        private var heap: [Int] = []
        private var seen: Set<Int> = []

        init(readersOf values: [ValueID], uses: UseInfo) { add(readersOf: values, uses: uses) }

        mutating func add(readersOf values: [ValueID], uses: UseInfo) {
            for value in values {
                for reader in uses.users[value] ?? [] where seen.insert(reader).inserted { push(reader) }
            }
        }

        mutating func next() -> Int? {
            guard let first = heap.first else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                while true {
                    let (l, r) = (2 * i + 1, 2 * i + 2)
                    var smallest = i
                    if l < heap.count, heap[l] < heap[smallest] { smallest = l }
                    if r < heap.count, heap[r] < heap[smallest] { smallest = r }
                    if smallest == i { break }
                    heap.swapAt(i, smallest)
                    i = smallest
                }
            }
            return first
        }

        private mutating func push(_ index: Int) {
            heap.append(index)
            var i = heap.count - 1
            while i > 0, heap[(i - 1) / 2] > heap[i] {
                heap.swapAt(i, (i - 1) / 2)
                i = (i - 1) / 2
            }
        }
    }

    static func isReady(_ value: ValueID, before anchor: Int, in graph: Graph, uses: UseInfo) -> Bool {
        FusionRules.isReady(value, before: anchor, producer: uses.producer[value], in: graph)
    }
}
