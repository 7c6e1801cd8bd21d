/// The one traversal of kernel IR: every rewrite and every query of a kernel body (fusion's
/// redirected loads and stores, finalized-region expansion, pruning, the buffers a body
/// reads) is a set of hooks given to it, so the recursion over statements and expressions
/// is written once. (Printers have their own fold, `KernelPrinter`: they turn each node into
/// text rather than into a node.)
///
/// Parts are visited in source order, left to right, children before their parent, and each
/// hook runs once per node it sees, so hooks with side effects (numbering the buffers a
/// kernel is called on as they are first met) see the same order every time.
struct KernelWalker {
    /// Replaces a statement before its parts are visited; nil keeps it and visits its parts.
    var replace: (Stmt) -> [Stmt]? = { _ in nil }
    /// Each statement once its parts were rewritten: the statements that take its place.
    var statement: (Stmt) -> [Stmt] = { [$0] }
    /// Each index expression once its operands were rewritten.
    var index: (IndexExpr) -> IndexExpr = { $0 }
    /// Each scalar value once its operands were rewritten (a load: once its index was).
    var value: (ValueExpr) -> ValueExpr = { $0 }
    /// Each vector once its operands were rewritten.
    var vector: (VectorExpr) -> VectorExpr = { $0 }
    /// The buffer and first-lane index of each vector load, vector store and prefetch, right
    /// after its index was rewritten (before anything else of it). It may only move a run of
    /// consecutive elements to another such run; a moved access loses its alignment promise.
    var vectorAccess: (BufferRef, IndexExpr) -> (BufferRef, IndexExpr) = { ($0, $1) }

    func walk(_ stmts: [Stmt]) -> [Stmt] { stmts.flatMap(walk) }

    // Swift evaluates arguments left to right: the order the hooks see is the order written.
    func walk(_ stmt: Stmt) -> [Stmt] {
        if let replacement = replace(stmt) { return replacement }
        let rebuilt: Stmt
        switch stmt {
        case .loop(let variable, let lower, let upper, let schedule, let body):
            rebuilt = .loop(variable: variable, lower: walk(lower), upper: walk(upper), schedule: schedule, body: walk(body))
        case .letIndex(let name, let i): rebuilt = .letIndex(name, walk(i))
        case .declare(let name, let v): rebuilt = .declare(name, walk(v))
        case .assign(let name, let v): rebuilt = .assign(name, walk(v))
        case .store(let buffer, let i, let v): rebuilt = .store(buffer, walk(i), walk(v))
        case .when(let c, let then, let otherwise): rebuilt = .when(walk(c), then: walk(then), otherwise: walk(otherwise))
        case .call(let name, let buffers, let sizes): rebuilt = .call(name, buffers: buffers, sizes: sizes.map(walk))
        case .comment, .localArray, .runParallel: rebuilt = stmt
        case .finalized(let buffer, let start, let count, let stride, let alignment, let values):
            rebuilt = .finalized(buffer, start: walk(start), count: walk(count), stride: stride, alignment: alignment,
                                 values: values.map { FinalizedValues(buffer: $0.buffer, start: walk($0.start)) })
        case .declareVector(let name, let width, let v): rebuilt = .declareVector(name, width: width, walk(v))
        case .assignVector(let name, let v): rebuilt = .assignVector(name, walk(v))
        case .storeVector(let buffer, let i, let v, let width, let aligned):
            let (target, position) = vectorAccess(buffer, walk(i))
            rebuilt = .storeVector(target, position, walk(v), width: width, aligned: aligned && target == buffer)
        case .storeVectorLanes(let buffer, let i, let v, let width, let count):
            let (target, position) = vectorAccess(buffer, walk(i))
            rebuilt = .storeVectorLanes(target, position, walk(v), width: width, count: walk(count))
        case .transpose(let buffer, let i, let rows, let width):
            let (target, position) = vectorAccess(buffer, walk(i))
            rebuilt = .transpose(target, position, rows: rows.map(walk), width: width)
        case .prefetch(let buffer, let i):
            let (target, position) = vectorAccess(buffer, walk(i))
            rebuilt = .prefetch(target, position)
        }
        return statement(rebuilt)
    }

    func walk(_ expr: IndexExpr) -> IndexExpr {
        let rebuilt: IndexExpr
        switch expr {
        case .constant, .variable: rebuilt = expr
        case .add(let a, let b): rebuilt = .add(walk(a), walk(b))
        case .sub(let a, let b): rebuilt = .sub(walk(a), walk(b))
        case .mul(let a, let b): rebuilt = .mul(walk(a), walk(b))
        case .div(let a, let b): rebuilt = .div(walk(a), walk(b))
        case .mod(let a, let b): rebuilt = .mod(walk(a), walk(b))
        case .min(let a, let b): rebuilt = .min(walk(a), walk(b))
        case .max(let a, let b): rebuilt = .max(walk(a), walk(b))
        case .floor(let v): rebuilt = .floor(walk(v))
        }
        return index(rebuilt)
    }

    func walk(_ test: Condition) -> Condition {
        switch test {
        case .less(let a, let b): return .less(walk(a), walk(b))
        case .lessEqual(let a, let b): return .lessEqual(walk(a), walk(b))
        case .equal(let a, let b): return .equal(walk(a), walk(b))
        case .and(let a, let b): return .and(walk(a), walk(b))
        case .or(let a, let b): return .or(walk(a), walk(b))
        case .not(let a): return .not(walk(a))
        }
    }

    func walk(_ expr: ValueExpr) -> ValueExpr {
        let rebuilt: ValueExpr
        switch expr {
        case .constant, .scalar: rebuilt = expr
        case .load(let buffer, let i): rebuilt = .load(buffer, walk(i))
        case .unary(let f, let a): rebuilt = .unary(f, walk(a))
        case .binary(let f, let a, let b): rebuilt = .binary(f, walk(a), walk(b))
        case .select(let c, let a, let b): rebuilt = .select(walk(c), walk(a), walk(b))
        case .index(let i): rebuilt = .index(walk(i))
        case .horizontalSum(let v, let width): rebuilt = .horizontalSum(walk(v), width: width)
        }
        return value(rebuilt)
    }

    func walk(_ expr: VectorExpr) -> VectorExpr {
        let rebuilt: VectorExpr
        switch expr {
        case .load(let buffer, let i, let width, let aligned):
            let (source, position) = vectorAccess(buffer, walk(i))
            rebuilt = .load(source, position, width: width, aligned: aligned && source == buffer)
        case .broadcast(let v, let width): rebuilt = .broadcast(walk(v), width: width)
        case .register: rebuilt = expr
        case .fma(let a, let b, let c): rebuilt = .fma(walk(a), walk(b), walk(c))
        case .arithmetic(let operation, let a, let b): rebuilt = .arithmetic(operation, walk(a), walk(b))
        }
        return vector(rebuilt)
    }
}

extension Stmt {
    /// Calls the hooks on every node of this statement, in the walker's order, changing
    /// nothing: queries over a body (names used, buffers read, finalized regions).
    func visit(statement: @escaping (Stmt) -> Void = { _ in }, index: @escaping (IndexExpr) -> Void = { _ in },
               value: @escaping (ValueExpr) -> Void = { _ in }, vector: @escaping (VectorExpr) -> Void = { _ in }) {
        _ = KernelWalker(statement: { statement($0); return [$0] }, index: { index($0); return $0 },
                         value: { value($0); return $0 }, vector: { vector($0); return $0 }).walk(self)
    }
}
