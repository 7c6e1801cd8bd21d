import AttendIR

/// Structural rewrites of kernel bodies: how fusion edits lowered code without knowing ops.
/// Each is a set of hooks for `KernelWalker`.
extension Stmt {
    /// This statement with every value load rewritten by `load` (which may return the load
    /// unchanged) and every store replaced by the statements `store` returns. Vector loads
    /// and stores are redirected by `vectorBuffer` (a buffer and index for the first lane),
    /// which must only move a run of consecutive elements to another such run.
    func rewritten(load: @escaping (BufferRef, IndexExpr) -> ValueExpr, store: @escaping (BufferRef, IndexExpr, ValueExpr) -> [Stmt],
                   vectorBuffer: @escaping (BufferRef, IndexExpr) -> (BufferRef, IndexExpr) = { ($0, $1) }) -> [Stmt] {
        KernelWalker(statement: { stmt in
            guard case .store(let buffer, let index, let value) = stmt else { return [stmt] }
            return store(buffer, index, value)
        }, value: { value in
            guard case .load(let buffer, let index) = value else { return value }
            return load(buffer, index)
        }, vectorAccess: vectorBuffer).walk(self)
    }

    /// Whether the statement loads, stores or prefetches vectors of any of `buffers`.
    func accessesVectors(of buffers: Set<BufferRef>) -> Bool {
        var found = false
        _ = KernelWalker(vectorAccess: { buffer, index in
            if buffers.contains(buffer) { found = true }
            return (buffer, index)
        }).walk(self)
        return found
    }

    /// Whether the statement reads `buffer` (with a scalar load).
    func reads(_ buffer: BufferRef) -> Bool {
        var found = false
        visit(value: { if case .load(buffer, _) = $0 { found = true } })
        return found
    }
}

extension Loops {
    /// The coordinates of flat index `flat` in a row-major `shape`.
    static func coordinates(_ flat: IndexExpr, _ shape: [Int]) -> [IndexExpr] {
        let strides = Loops.strides(shape)
        return shape.indices.map { axis in
            shape[axis] == 1 ? 0 : (axis == 0 ? flat / .constant(strides[axis]) : (flat / .constant(strides[axis])) % .constant(shape[axis]))
        }
    }

    /// The flat index into an operand of shape `operand`, broadcast to `shape`, of the
    /// element at flat index `flat` of `shape`.
    static func broadcastIndex(_ flat: IndexExpr, from shape: [Int], to operand: [Int]) -> IndexExpr {
        if operand == shape { return flat }
        let count = operand.reduce(1, *)
        // Leading axes broadcast, trailing ones equal: the operand repeats every `count` elements.
        let padded = [Int](repeating: 1, count: shape.count - operand.count) + operand
        if padded.count == shape.count, let first = padded.firstIndex(where: { $0 != 1 }),
           Array(padded[first...]) == Array(shape[first...]) {
            return flat % .constant(count)
        }
        return offset(coordinates(flat, shape), broadcastStrides(operand, to: shape))
    }

    /// When a view is one contiguous run of its source in the same order (row-major, or a
    /// slice, piece or selection along an axis with only extent-1 axes before it): the
    /// source offset of its first element; nil otherwise.
    static func contiguousOffset(_ map: IndexMap, source: [Int]) -> Int? {
        let strides = Loops.strides(source)
        switch map {
        case .rowMajor: return 0
        case .strided(let axis, let start, let step) where step == 1 || source[axis] == 1:
            return source[..<axis].allSatisfy({ $0 == 1 }) ? start * strides[axis] : nil
        case .select(let axis, let index):
            return source[..<axis].allSatisfy({ $0 == 1 }) ? index * strides[axis] : nil
        default: return nil
        }
    }

    /// The source coordinates of a view element at `coordinates` (any map but row-major).
    static func sourceCoordinates(_ coordinates: [IndexExpr], map: IndexMap) -> [IndexExpr] {
        var c = coordinates
        switch map {
        case .rowMajor:
            return c
        case .permute(let dims):
            var source = c
            for (k, axis) in dims.enumerated() { source[axis] = c[k] }
            return source
        case .strided(let axis, let start, let step):
            c[axis] = .constant(start) + c[axis] * .constant(step)
            return c
        case .select(let axis, let index):
            c.insert(.constant(index), at: axis)
            return c
        }
    }
}

extension Stmt {
    /// The regions (count, stride, alignment) of `buffer` this statement marks finalized.
    func finalizedRegions(of buffer: BufferRef) -> [(count: IndexExpr, stride: Int, alignment: Int)] {
        var regions: [(count: IndexExpr, stride: Int, alignment: Int)] = []
        visit(statement: { stmt in
            if case .finalized(buffer, _, let count, let stride, let alignment, _) = stmt { regions.append((count, stride, alignment)) }
        })
        return regions
    }

    /// This statement with each `finalized` marker of `buffer` replaced by what `expand`
    /// returns for its region (start, count, stride, where its values are if not yet in
    /// `buffer`); markers of other buffers are kept.
    func expandingFinalized(_ buffer: BufferRef, _ expand: @escaping (IndexExpr, IndexExpr, Int, FinalizedValues?) -> [Stmt]) -> [Stmt] {
        KernelWalker(replace: { stmt in
            guard case .finalized(buffer, let start, let count, let stride, _, let values) = stmt else { return nil }
            return expand(start, count, stride, values)
        }).walk(self)
    }

    /// This statement with each marker whose values are elsewhere preceded by their copy into
    /// its buffer (the marker itself kept, without them): where no fused epilogue takes them,
    /// that is every marker but those of `epilogueBuffer` (so none survives lowering).
    func expandingFinalizedValues(except epilogueBuffer: BufferRef? = nil) -> [Stmt] {
        KernelWalker(replace: { stmt in
            guard case .finalized(let buffer, let start, let count, let stride, let alignment, let values?) = stmt,
                  buffer != epilogueBuffer else { return nil }
            return [
                .loop(variable: "fcopy", lower: 0, upper: count, schedule: stride == 1 ? .vectorized : .serial, body: [
                    .store(buffer, start + .v("fcopy") * .constant(stride), values.value(at: .v("fcopy"))),
                ]),
                .finalized(buffer, start: start, count: count, stride: stride, alignment: alignment),
            ]
        }).walk(self)
    }
}
