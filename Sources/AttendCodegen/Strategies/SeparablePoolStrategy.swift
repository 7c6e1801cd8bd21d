import AttendBasic
import AttendIR

/// 2-D max and average pooling (any kernel, stride, padding, dilation, ceil_mode,
/// count_include_pad) as two passes per output row: the maximum (or sum) over the window's
/// rows of each input column, into a row buffer holding -inf (or 0) where the window reaches
/// past the input, then the maximum (or sum) over each window's columns of that buffer, one
/// column tap at a time over the whole output row, and for an average the division by the
/// window's count. All inner loops have fixed trip counts and no bounds checks, so the C
/// compiler vectorizes them; the direct lowering computes each window separately with
/// clipped loop bounds (9 scalar steps per output of a 3x3 window) and does not vectorize.
///
/// The maximum is exact and NaN propagates the same way; only which of two equal values
/// (-0 and +0) wins can differ from the direct loops' order. A sum adds each column's rows
/// first, then the columns: the same terms as the direct loops (row by row), reassociated.
struct SeparablePoolStrategy: KernelStrategy {
    var name: String { "separable" }

    /// The row buffer lives on the stack of each task: longer rows use the direct loops.
    static let maxRowFloats = 8192

    func plan(_ node: Node, in index: GraphIndex, target: Target) -> StrategyPlan? {
        guard let pool = node.op as? PoolOp, pool.spatialRank == 2, node.inputs.count == 1, node.outputs.count == 1 else { return nil }
        let w = PoolWindow(node.attributes)
        let output = index.graph.shape(of: node.outputs[0])
        guard output.count == 4, Self.rowFloats(w, outWidth: output[3]) <= Self.maxRowFloats else { return nil }
        let average = pool.reduction == .average
        return StrategyPlan(strategy: name, detail: average ? "row sums, then window sums" : "row maxima, then window maxima",
                            derivations: [], finalizesRegions: false,
                            lower: { context throws(Diagnostic) in Self.lower(context, average: average) })
    }

    /// The columns of the padded row buffer the windows of one output row read.
    static func rowFloats(_ w: PoolWindow, outWidth: Int) -> Int { (outWidth - 1) * w.stride[1] + (w.kernel[1] - 1) * w.dilation[1] + 1 }

    static func lower(_ context: LoweringContext, average: Bool) -> [Stmt] {
        let w = PoolWindow(context.attributes)
        let x = context.inputs[0], y = context.outputs[0]
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        let (height, width, outHeight, outWidth) = (inShape[2], inShape[3], outShape[2], outShape[3])
        let planes = outShape[0] * outShape[1]
        let length = rowFloats(w, outWidth: outWidth), pad = w.pad[1]
        // Buffer column b holds input column b - pad; the input's columns the windows reach.
        let copied = max(0, min(width, length - pad))
        let row = BufferRef(average ? "rowsum" : "rowmax"), windows = BufferRef(average ? "windowsum" : "windowmax")
        let empty: Double = average ? 0 : -.infinity
        func combine(_ a: ValueExpr, _ b: ValueExpr) -> ValueExpr { average ? b + a : .binary(.max, a, b) }
        func c(_ v: Int) -> IndexExpr { .constant(v) }
        let rows = PoolingLowering.fixed(.v("oh"), axis: 0, window: w, size: height, output: outHeight, prefix: "h")
        // An average divides by the window's count (of the padded window with
        // count_include_pad, else of its valid part), as the direct loops do.
        var result: (stmts: [Stmt], value: ValueExpr) = ([], .load(windows, .v("ow")))
        if average {
            let columns = PoolingLowering.fixed(.v("ow"), axis: 1, window: w, size: width, output: outWidth, prefix: "w")
            let countPad = context.attributes.bool("count_include_pad")
            let count = countPad ? rows.padded * columns.padded : rows.valid * columns.valid
            if case .constant(let n) = count {
                result.value = result.value / .constant(Double(n))
            } else {
                result = (columns.stmts, result.value / .index(count))
            }
        }
        let body: [Stmt] = [
            .letIndex("plane", .v("r") / c(outHeight)),
            .letIndex("oh", .v("r") % c(outHeight)),
            .localArray(row, count: length),
            .loop(variable: "j", lower: 0, upper: c(length), schedule: .vectorized, body: [.store(row, .v("j"), .constant(empty))]),
        ] + rows.stmts + [
            .loop(variable: "kh", lower: rows.lower, upper: rows.upper, schedule: .serial, body: [
                .letIndex("xrow", (.v("plane") * c(height) + rows.coordinate(.v("kh"))) * c(width)),
                .loop(variable: "j", lower: 0, upper: c(copied), schedule: .vectorized, body: [
                    .store(row, c(pad) + .v("j"), combine(.load(x, .v("xrow") + .v("j")), .load(row, c(pad) + .v("j")))),
                ]),
            ]),
            // Tap by tap over the whole output row (a loop over the taps inside the loop over
            // outputs is not vectorized by gcc, and a scalar maximum with a NaN test per tap
            // was two thirds of a 3x3 stride-2 pooling's time), into a local row so that the
            // store, which a fused epilogue rewrites, happens once per output.
            .localArray(windows, count: outWidth),
            .loop(variable: "ow", lower: 0, upper: c(outWidth), schedule: .vectorized, body: [.store(windows, .v("ow"), .constant(empty))]),
            .loop(variable: "kw", lower: 0, upper: c(w.kernel[1]), schedule: .serial, body: [
                .loop(variable: "ow", lower: 0, upper: c(outWidth), schedule: .vectorized, body: [
                    .store(windows, .v("ow"), combine(.load(row, .v("ow") * c(w.stride[1]) + .v("kw") * c(w.dilation[1])),
                                                      .load(windows, .v("ow")))),
                ]),
            ]),
            .loop(variable: "ow", lower: 0, upper: c(outWidth), schedule: .vectorized, body: result.stmts + [
                .store(y, .v("r") * c(outWidth) + .v("ow"), result.value),
            ]),
        ]
        return Pruning.pruned([.loop(variable: "r", lower: 0, upper: c(planes * outHeight), schedule: .parallel, body: body)])
    }
}
