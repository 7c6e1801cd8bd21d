import AttendBasic
import AttendIR

/// Shared shape of the loop nests of pooling, layout and resampling lowerings: one top-level
/// `.parallel` loop over output *rows* (every axis but the last, flattened, so a batch of 1
/// still splits across threads), with the last axis an inner loop (`.vectorized` when its body
/// is straight-line). Every index a PyTorch kernel precomputes in a table (pool windows,
/// adaptive bins, nearest and bilinear sources) is computed per row or per element here, from
/// static sizes, with the same integer or float32 arithmetic.
enum RowLoops {
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

    /// The conjunction of `tests`, or nil when there are none.
    static func all(_ tests: [Condition]) -> Condition? {
        guard var result = tests.first else { return nil }
        for test in tests.dropFirst() { result = .and(result, test) }
        return result
    }
}
