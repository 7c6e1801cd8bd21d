import AttendIR

/// Structural rewrites of kernel bodies: how fusion edits lowered code without knowing ops.
extension Stmt {
    /// This statement with every value load rewritten by `load` (which may return the load
    /// unchanged) and every store replaced by the statements `store` returns.
    func rewritten(load: (BufferRef, IndexExpr) -> ValueExpr, store: (BufferRef, IndexExpr, ValueExpr) -> [Stmt]) -> [Stmt] {
        func value(_ v: ValueExpr) -> ValueExpr { v.rewritten(load: load) }
        func condition(_ c: Condition) -> Condition { c.rewritten(load: load) }
        func index(_ i: IndexExpr) -> IndexExpr { i.rewritten(load: load) }
        func block(_ body: [Stmt]) -> [Stmt] { body.flatMap { $0.rewritten(load: load, store: store) } }
        switch self {
        case .loop(let variable, let lower, let upper, let schedule, let body):
            return [.loop(variable: variable, lower: index(lower), upper: index(upper), schedule: schedule, body: block(body))]
        case .letIndex(let name, let i): return [.letIndex(name, index(i))]
        case .declare(let name, let v): return [.declare(name, value(v))]
        case .assign(let name, let v): return [.assign(name, value(v))]
        case .store(let buffer, let i, let v): return store(buffer, index(i), value(v))
        case .when(let c, let then, let otherwise): return [.when(condition(c), then: block(then), otherwise: block(otherwise))]
        case .call(let name, let buffers, let sizes): return [.call(name, buffers: buffers, sizes: sizes.map(index))]
        case .comment, .localArray: return [self]
        case .finalized(let buffer, let start, let count, let stride, let alignment):
            return [.finalized(buffer, start: index(start), count: index(count), stride: stride, alignment: alignment)]
        }
    }

    /// Whether the statement reads `buffer` (with a load).
    func reads(_ buffer: BufferRef) -> Bool {
        var found = false
        _ = rewritten(load: { b, i in if b == buffer { found = true }; return .load(b, i) }, store: { b, i, v in [.store(b, i, v)] })
        return found
    }
}

extension ValueExpr {
    func rewritten(load: (BufferRef, IndexExpr) -> ValueExpr) -> ValueExpr {
        switch self {
        case .constant, .scalar: return self
        case .load(let buffer, let index): return load(buffer, index.rewritten(load: load))
        case .unary(let f, let a): return .unary(f, a.rewritten(load: load))
        case .binary(let f, let a, let b): return .binary(f, a.rewritten(load: load), b.rewritten(load: load))
        case .select(let c, let a, let b): return .select(c.rewritten(load: load), a.rewritten(load: load), b.rewritten(load: load))
        case .index(let i): return .index(i.rewritten(load: load))
        }
    }
}

extension IndexExpr {
    func rewritten(load: (BufferRef, IndexExpr) -> ValueExpr) -> IndexExpr {
        switch self {
        case .constant, .variable: return self
        case .add(let a, let b): return .add(a.rewritten(load: load), b.rewritten(load: load))
        case .sub(let a, let b): return .sub(a.rewritten(load: load), b.rewritten(load: load))
        case .mul(let a, let b): return .mul(a.rewritten(load: load), b.rewritten(load: load))
        case .div(let a, let b): return .div(a.rewritten(load: load), b.rewritten(load: load))
        case .mod(let a, let b): return .mod(a.rewritten(load: load), b.rewritten(load: load))
        case .min(let a, let b): return .min(a.rewritten(load: load), b.rewritten(load: load))
        case .max(let a, let b): return .max(a.rewritten(load: load), b.rewritten(load: load))
        case .floor(let v): return .floor(v.rewritten(load: load))
        }
    }
}

extension Condition {
    func rewritten(load: (BufferRef, IndexExpr) -> ValueExpr) -> Condition {
        switch self {
        case .less(let a, let b): return .less(a.rewritten(load: load), b.rewritten(load: load))
        case .lessEqual(let a, let b): return .lessEqual(a.rewritten(load: load), b.rewritten(load: load))
        case .equal(let a, let b): return .equal(a.rewritten(load: load), b.rewritten(load: load))
        case .and(let a, let b): return .and(a.rewritten(load: load), b.rewritten(load: load))
        case .or(let a, let b): return .or(a.rewritten(load: load), b.rewritten(load: load))
        case .not(let a): return .not(a.rewritten(load: load))
        }
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
        switch self {
        case .finalized(let target, _, let count, let stride, let alignment) where target == buffer:
            return [(count, stride, alignment)]
        case .loop(_, _, _, _, let body): return body.flatMap { $0.finalizedRegions(of: buffer) }
        case .when(_, let then, let otherwise): return (then + otherwise).flatMap { $0.finalizedRegions(of: buffer) }
        default: return []
        }
    }

    /// This statement with each `finalized` marker of `buffer` replaced by what `expand`
    /// returns for its region (start, count, stride); markers of other buffers are kept.
    func expandingFinalized(_ buffer: BufferRef, _ expand: (IndexExpr, IndexExpr, Int) -> [Stmt]) -> [Stmt] {
        func block(_ body: [Stmt]) -> [Stmt] { body.flatMap { $0.expandingFinalized(buffer, expand) } }
        switch self {
        case .finalized(let target, let start, let count, let stride, _) where target == buffer:
            return expand(start, count, stride)
        case .loop(let variable, let lower, let upper, let schedule, let body):
            return [.loop(variable: variable, lower: lower, upper: upper, schedule: schedule, body: block(body))]
        case .when(let condition, let then, let otherwise):
            return [.when(condition, then: block(then), otherwise: block(otherwise))]
        default:
            return [self]
        }
    }
}
