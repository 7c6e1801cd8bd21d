import AttendBasic
import AttendIR

/// Lowerings of pooling, layout, resampling, position-embedding and weight-packing ops.
///
/// Shared shape of the loop nests: one top-level `.parallel` loop over output *rows* (every
/// axis but the last, flattened, so a batch of 1 still splits across threads), with the last
/// axis an inner loop (`.vectorized` when its body is straight-line). Every index a PyTorch
/// kernel precomputes in a table (pool windows, adaptive bins, nearest and bilinear sources)
/// is computed per row or per element here, from static sizes, with the same integer or
/// float32 arithmetic.
enum LoweringGroupB {
    static let table: [String: Lowering] = PoolingLowering.table
        .merging(LayoutLowering.table) { first, _ in first }
        .merging(ResampleLowering.table) { first, _ in first }
        .merging(PackingLowering.table) { first, _ in first }
        .merging(PositionLowering.table) { first, _ in first }
}

/// Building blocks shared by the group B lowerings.
enum GroupB {
    /// `name = value` as a statement and the expression to use for it, unless `value` is
    /// already a constant or a variable (then nothing is declared: `r % 1` folds to `0`).
    static func bind(_ name: String, _ value: IndexExpr) -> Bound {
        switch value {
        case .constant, .variable: return ([], value)
        default: return ([.letIndex(name, value)], .v(name))
        }
    }

    typealias Bound = (stmts: [Stmt], expr: IndexExpr)

    /// An index that needs no declaration.
    static func bound(_ value: IndexExpr) -> Bound { ([], value) }

    /// A loop over `0..<extent`, or the body at `0` when the extent is 1.
    static func loop(_ variable: String, _ extent: Int, _ schedule: LoopSchedule,
                     body: (IndexExpr) -> [Stmt]) -> [Stmt] {
        if extent == 1 { return body(0) }
        return [.loop(variable: variable, lower: 0, upper: .constant(extent), schedule: schedule, body: body(.v(variable)))]
    }

    /// A loop nest over every element of `shape` (rank >= 0): a parallel loop `r` over the rows
    /// (all axes but the last, flattened), the coordinates of those axes recovered from `r`,
    /// and the last axis `j` inside (vectorized). `body` gets the coordinates and the flat
    /// row-major output index. A nest with one row makes the last axis the parallel loop.
    static func rows(_ shape: [Int], body: (_ coordinates: [IndexExpr], _ flat: IndexExpr) -> [Stmt]) -> [Stmt] {
        guard let last = shape.last else { return body([], 0) }
        let rowAxes = shape.count - 1
        let rowCount = shape.dropLast().reduce(1, *)
        if rowCount == 1 {
            return loop("j", last, .parallel) { j in body(Array(repeating: 0, count: rowAxes) + [j], j) }
        }
        var prologue: [Stmt] = []
        var coordinates: [IndexExpr] = []
        var inner = 1
        var rowStrides = [Int](repeating: 1, count: rowAxes)
        for axis in (0..<rowAxes).reversed() {
            rowStrides[axis] = inner
            inner *= shape[axis]
        }
        for axis in 0..<rowAxes {
            // Axes of extent 1 are 0; the remainder is needed only below a longer axis.
            var coordinate: IndexExpr = shape[axis] == 1 ? 0 : IndexExpr.v("r") / .constant(rowStrides[axis])
            if shape[axis] > 1, rowStrides[axis] * shape[axis] < rowCount { coordinate = coordinate % .constant(shape[axis]) }
            let bound = bind("i\(axis)", coordinate)
            prologue += bound.stmts
            coordinates.append(bound.expr)
        }
        let nest = loop("j", last, .vectorized) { j in body(coordinates + [j], .v("r") * .constant(last) + j) }
        return [.loop(variable: "r", lower: 0, upper: .constant(rowCount), schedule: .parallel, body: prologue + nest)]
    }

    /// `index + amount`, folding a negative amount into a subtraction (readable C).
    static func shifted(_ index: IndexExpr, by amount: Int) -> IndexExpr {
        amount < 0 ? index - .constant(-amount) : index + .constant(amount)
    }

    /// `max(a, b)` and `min(a, b)` of indices, folded when both are constants.
    static func max(_ a: IndexExpr, _ b: IndexExpr) -> IndexExpr {
        if case .constant(let x) = a, case .constant(let y) = b { return .constant(Swift.max(x, y)) }
        return .max(a, b)
    }

    static func min(_ a: IndexExpr, _ b: IndexExpr) -> IndexExpr {
        if case .constant(let x) = a, case .constant(let y) = b { return .constant(Swift.min(x, y)) }
        return .min(a, b)
    }

    /// `|x|` for index arithmetic.
    static func absolute(_ x: IndexExpr) -> IndexExpr { .max(x, .sub(0, x)) }

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

    /// The conjunction of `tests`, or nil when there are none.
    static func all(_ tests: [Condition]) -> Condition? {
        guard var result = tests.first else { return nil }
        for test in tests.dropFirst() { result = .and(result, test) }
        return result
    }
}
