/// How each output element of an injective op reads one input element: the op's semantics as
/// an index mapping, declared beside its shape rule. Code generation reads through it, so the
/// op needs no kernel of its own (a view; TVM inlines injective ops the same way).
public enum IndexMap: Hashable, Sendable {
    /// The same elements in the same row-major order: output flat index = input flat index
    /// (reshape, flatten, identity, dropout).
    case rowMajor
    /// Output axis k is input axis `dims[k]` (permute, transpose).
    case permute([Int])
    /// Input coordinate along `axis` = `start + step * output coordinate`; the other axes are
    /// equal (slice, split).
    case strided(axis: Int, start: Int, step: Int)
    /// The output lacks `axis`; the input coordinate along it is `index` (unbind).
    case select(axis: Int, index: Int)
}

extension Op {
    /// Ops that have no index map return nil (the default): they need a kernel.
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? { nil }
    public func contiguousInputOffsets(inputs: [[Int]], attributes: Attributes) -> [Int]? { nil }
    public func reductionWindow(inputs: [[Int]], attributes: Attributes) -> Int? { nil }
    public func normalizesRows(inputs: [[Int]], attributes: Attributes) -> Bool { false }
    public func outputChannelAxis(inputs: [[Int]], attributes: Attributes) -> Int? { nil }
    public func weightChannelDim(inputs: [[Int]], attributes: Attributes) -> Int { 0 }

    /// One input, one output of the input's shape, and an index map that keeps every
    /// element where it was.
    public func returnsInputUnchanged(inputs: [[Int]], attributes: Attributes) -> Bool {
        guard inputs.count == 1, let outputs = try? outputShapes(inputs: inputs, attributes: attributes),
              outputs == [inputs[0]] else { return false }
        switch indexMap(inputs: inputs, attributes: attributes, output: 0) {
        case .rowMajor: return true
        case .permute(let dims):
            // Row-major order is kept when the axes of extent > 1 stay in order.
            let moved = dims.filter { inputs[0][$0] != 1 }
            return moved == moved.sorted()
        case .strided(_, let start, _): return start == 0  // same shape, so every index is kept in order
        case .select, nil: return false
        }
    }
}
