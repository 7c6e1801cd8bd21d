import AttendIR

/// Structural rewrites of kernel bodies: how fusion edits lowered code without knowing ops.
extension Stmt {
    /// This statement with every value load rewritten by `load` (which may return the load
    /// unchanged) and every store replaced by the statements `store` returns. Vector loads
    /// and stores are redirected by `vectorBuffer` (a buffer and index for the first lane),
    /// which must only move a run of consecutive elements to another such run.
    func rewritten(load: (BufferRef, IndexExpr) -> ValueExpr, store: (BufferRef, IndexExpr, ValueExpr) -> [Stmt],
                   vectorBuffer: (BufferRef, IndexExpr) -> (BufferRef, IndexExpr) = { ($0, $1) }) -> [Stmt] {
        func value(_ v: ValueExpr) -> ValueExpr { v.rewritten(load: load, vectorBuffer: vectorBuffer) }
        func vector(_ v: VectorExpr) -> VectorExpr { v.rewritten(load: load, vectorBuffer: vectorBuffer) }
        func condition(_ c: Condition) -> Condition { c.rewritten(load: load) }
        func index(_ i: IndexExpr) -> IndexExpr { i.rewritten(load: load) }
        func block(_ body: [Stmt]) -> [Stmt] { body.flatMap { $0.rewritten(load: load, store: store, vectorBuffer: vectorBuffer) } }
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
        case .declareVector(let name, let width, let v): return [.declareVector(name, width: width, vector(v))]
        case .assignVector(let name, let v): return [.assignVector(name, vector(v))]
        case .storeVector(let buffer, let i, let v, let width, let aligned):
            let (target, position) = vectorBuffer(buffer, index(i))
            return [.storeVector(target, position, vector(v), width: width, aligned: aligned && target == buffer)]
        case .prefetch(let buffer, let i):
            let (target, position) = vectorBuffer(buffer, index(i))
            return [.prefetch(target, position)]
        }
    }

    /// Whether the statement stores vectors to any of `buffers`.
    func storesVectors(to buffers: Set<BufferRef>) -> Bool {
        var found = false
        _ = rewritten(load: { .load($0, $1) }, store: { [.store($0, $1, $2)] },
                      vectorBuffer: { buffer, index in if buffers.contains(buffer) { found = true }; return (buffer, index) })
        return found
    }

    /// Whether the statement reads `buffer` (with a load).
    func reads(_ buffer: BufferRef) -> Bool {
        var found = false
        _ = rewritten(load: { b, i in if b == buffer { found = true }; return .load(b, i) }, store: { b, i, v in [.store(b, i, v)] })
        return found
    }
}

extension ValueExpr {
    func rewritten(load: (BufferRef, IndexExpr) -> ValueExpr,
                   vectorBuffer: (BufferRef, IndexExpr) -> (BufferRef, IndexExpr) = { ($0, $1) }) -> ValueExpr {
        func value(_ v: ValueExpr) -> ValueExpr { v.rewritten(load: load, vectorBuffer: vectorBuffer) }
        switch self {
        case .constant, .scalar: return self
        case .load(let buffer, let index): return load(buffer, index.rewritten(load: load))
        case .unary(let f, let a): return .unary(f, value(a))
        case .binary(let f, let a, let b): return .binary(f, value(a), value(b))
        case .select(let c, let a, let b): return .select(c.rewritten(load: load), value(a), value(b))
        case .index(let i): return .index(i.rewritten(load: load))
        case .horizontalSum(let v, let width): return .horizontalSum(v.rewritten(load: load, vectorBuffer: vectorBuffer), width: width)
        }
    }
}

extension VectorExpr {
    func rewritten(load: (BufferRef, IndexExpr) -> ValueExpr, vectorBuffer: (BufferRef, IndexExpr) -> (BufferRef, IndexExpr)) -> VectorExpr {
        func vector(_ v: VectorExpr) -> VectorExpr { v.rewritten(load: load, vectorBuffer: vectorBuffer) }
        switch self {
        case .load(let buffer, let index, let width, let aligned):
            let (source, position) = vectorBuffer(buffer, index.rewritten(load: load))
            return .load(source, position, width: width, aligned: aligned && source == buffer)
        case .broadcast(let v, let width): return .broadcast(v.rewritten(load: load, vectorBuffer: vectorBuffer), width: width)
        case .register: return self
        case .fma(let a, let b, let c): return .fma(vector(a), vector(b), vector(c))
        case .arithmetic(let operation, let a, let b): return .arithmetic(operation, vector(a), vector(b))
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
