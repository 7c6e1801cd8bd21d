import AttendIR

/// Cleanup of generated loop nests.
enum Pruning {
    /// Drops `letIndex` and `declare` statements whose names are never read (they come from
    /// shared helpers; the generated C must compile without unused-variable warnings).
    static func pruned(_ stmts: [Stmt]) -> [Stmt] {
        var current = stmts
        while true {
            var used = Set<String>()
            for stmt in current { collect(stmt, into: &used) }
            let next = drop(current, keeping: used)
            if next == current { return current }
            current = next
        }
    }

    private static func drop(_ stmts: [Stmt], keeping used: Set<String>) -> [Stmt] {
        stmts.compactMap { stmt in
            switch stmt {
            case .letIndex(let name, _), .declare(let name, _), .declareVector(let name, _, _):
                return used.contains(name) ? stmt : nil
            case .loop(let variable, let lower, let upper, let schedule, let body):
                return .loop(variable: variable, lower: lower, upper: upper, schedule: schedule, body: drop(body, keeping: used))
            case .when(let test, let then, let otherwise):
                return .when(test, then: drop(then, keeping: used), otherwise: drop(otherwise, keeping: used))
            default:
                return stmt
            }
        }
    }

    private static func collect(_ stmt: Stmt, into used: inout Set<String>) {
        switch stmt {
        case .loop(_, let lower, let upper, _, let body):
            collect(lower, into: &used)
            collect(upper, into: &used)
            for s in body { collect(s, into: &used) }
        case .letIndex(_, let value): collect(value, into: &used)
        case .declare(_, let value): collect(value, into: &used)
        case .assign(let name, let value):
            used.insert(name)
            collect(value, into: &used)
        case .store(_, let index, let value):
            collect(index, into: &used)
            collect(value, into: &used)
        case .when(let test, let then, let otherwise):
            collect(test, into: &used)
            for s in then + otherwise { collect(s, into: &used) }
        case .call(_, _, let sizes):
            for size in sizes { collect(size, into: &used) }
        case .finalized(_, let start, let count, _, _):
            collect(start, into: &used)
            collect(count, into: &used)
        case .declareVector(_, _, let value): collect(value, into: &used)
        case .assignVector(let name, let value):
            used.insert(name)
            collect(value, into: &used)
        case .storeVector(_, let index, let value, _, _):
            collect(index, into: &used)
            collect(value, into: &used)
        case .prefetch(_, let index):
            collect(index, into: &used)
        case .comment, .localArray:
            break
        }
    }

    private static func collect(_ expr: VectorExpr, into used: inout Set<String>) {
        switch expr {
        case .load(_, let index, _, _): collect(index, into: &used)
        case .broadcast(let value, _): collect(value, into: &used)
        case .register(let name): used.insert(name)
        case .fma(let a, let b, let c): for v in [a, b, c] { collect(v, into: &used) }
        case .arithmetic(_, let a, let b):
            collect(a, into: &used)
            collect(b, into: &used)
        }
    }

    private static func collect(_ expr: IndexExpr, into used: inout Set<String>) {
        switch expr {
        case .constant: break
        case .variable(let name): used.insert(name)
        case .add(let a, let b), .sub(let a, let b), .mul(let a, let b), .div(let a, let b), .mod(let a, let b),
             .min(let a, let b), .max(let a, let b):
            collect(a, into: &used)
            collect(b, into: &used)
        case .floor(let value): collect(value, into: &used)
        }
    }

    private static func collect(_ expr: ValueExpr, into used: inout Set<String>) {
        switch expr {
        case .constant: break
        case .scalar(let name): used.insert(name)
        case .load(_, let index): collect(index, into: &used)
        case .unary(_, let a): collect(a, into: &used)
        case .binary(_, let a, let b):
            collect(a, into: &used)
            collect(b, into: &used)
        case .select(let test, let a, let b):
            collect(test, into: &used)
            collect(a, into: &used)
            collect(b, into: &used)
        case .index(let index): collect(index, into: &used)
        case .horizontalSum(let vector, _): collect(vector, into: &used)
        }
    }

    private static func collect(_ test: Condition, into used: inout Set<String>) {
        switch test {
        case .less(let a, let b), .lessEqual(let a, let b), .equal(let a, let b):
            collect(a, into: &used)
            collect(b, into: &used)
        case .and(let a, let b), .or(let a, let b):
            collect(a, into: &used)
            collect(b, into: &used)
        case .not(let a): collect(a, into: &used)
        }
    }
}
