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
}
