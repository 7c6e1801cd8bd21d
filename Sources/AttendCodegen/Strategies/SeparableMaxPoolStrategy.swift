import AttendBasic
import AttendIR

/// 2-D max pooling (any kernel, stride, padding, dilation, ceil_mode) as two passes per output
/// row: the maximum over the window's rows of each input column, into a row buffer padded
/// with -inf where the window reaches past the input, then the maximum over each window's
/// columns of that buffer, one column tap at a time over the whole output row. Both inner loops have fixed trip counts and no bounds checks, so
/// the C compiler vectorizes them; the direct lowering computes each window separately with
/// clipped loop bounds (9 scalar maxima per output of a 3x3 window) and does not vectorize.
///
/// The maximum is exact and NaN propagates the same way; only which of two equal values
/// (-0 and +0) wins can differ from the direct loops' order.
struct SeparableMaxPoolStrategy: KernelStrategy {
    var name: String { "separable" }

    /// The row buffer lives on the stack of each task: longer rows use the direct loops.
    static let maxRowFloats = 8192

    func plan(_ node: Node, in index: GraphIndex, target: Target) -> StrategyPlan? {
        guard let pool = node.op as? PoolOp, pool.reduction == .max, pool.spatialRank == 2,
              node.inputs.count == 1, node.outputs.count == 1 else { return nil }
        let w = PoolWindow(node.attributes)
        let output = index.graph.shape(of: node.outputs[0])
        guard output.count == 4, Self.rowFloats(w, outWidth: output[3]) <= Self.maxRowFloats else { return nil }
        return StrategyPlan(strategy: name, detail: "row maxima, then window maxima", derivations: [], finalizesRegions: false,
                            lower: { context throws(Diagnostic) in Self.lower(context) })
    }

    /// The columns of the padded row buffer the windows of one output row read.
    static func rowFloats(_ w: PoolWindow, outWidth: Int) -> Int { (outWidth - 1) * w.stride[1] + (w.kernel[1] - 1) * w.dilation[1] + 1 }

    static func lower(_ context: LoweringContext) -> [Stmt] {
        let w = PoolWindow(context.attributes)
        let x = context.inputs[0], y = context.outputs[0]
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        let (height, width, outHeight, outWidth) = (inShape[2], inShape[3], outShape[2], outShape[3])
        let planes = outShape[0] * outShape[1]
        let length = rowFloats(w, outWidth: outWidth), pad = w.pad[1]
        // Buffer column b holds input column b - pad; the input's columns the windows reach.
        let copied = max(0, min(width, length - pad))
        let row = BufferRef("rowmax"), windows = BufferRef("windowmax")
        func c(_ v: Int) -> IndexExpr { .constant(v) }
        let rows = PoolingLowering.fixed(.v("oh"), axis: 0, window: w, size: height, output: outHeight, prefix: "h")
        let body: [Stmt] = [
            .letIndex("plane", .v("r") / c(outHeight)),
            .letIndex("oh", .v("r") % c(outHeight)),
            .localArray(row, count: length),
            .loop(variable: "j", lower: 0, upper: c(length), schedule: .vectorized, body: [.store(row, .v("j"), .constant(-.infinity))]),
        ] + rows.stmts + [
            .loop(variable: "kh", lower: rows.lower, upper: rows.upper, schedule: .serial, body: [
                .letIndex("xrow", (.v("plane") * c(height) + rows.coordinate(.v("kh"))) * c(width)),
                .loop(variable: "j", lower: 0, upper: c(copied), schedule: .vectorized, body: [
                    .store(row, c(pad) + .v("j"), .binary(.max, .load(x, .v("xrow") + .v("j")), .load(row, c(pad) + .v("j")))),
                ]),
            ]),
            // Tap by tap over the whole output row (a loop over the taps inside the loop over
            // outputs is not vectorized by gcc, and a scalar maximum with a NaN test per tap
            // was two thirds of a 3x3 stride-2 pooling's time), into a local row so that the
            // store, which a fused epilogue rewrites, happens once per output.
            .localArray(windows, count: outWidth),
            .loop(variable: "ow", lower: 0, upper: c(outWidth), schedule: .vectorized, body: [.store(windows, .v("ow"), .constant(-.infinity))]),
            .loop(variable: "kw", lower: 0, upper: c(w.kernel[1]), schedule: .serial, body: [
                .loop(variable: "ow", lower: 0, upper: c(outWidth), schedule: .vectorized, body: [
                    .store(windows, .v("ow"), .binary(.max, .load(row, .v("ow") * c(w.stride[1]) + .v("kw") * c(w.dilation[1])),
                                                      .load(windows, .v("ow")))),
                ]),
            ]),
            .loop(variable: "ow", lower: 0, upper: c(outWidth), schedule: .vectorized, body: [
                .store(y, .v("r") * c(outWidth) + .v("ow"), .load(windows, .v("ow"))),
            ]),
        ]
        return Pruning.pruned([.loop(variable: "r", lower: 0, upper: c(planes * outHeight), schedule: .parallel, body: body)])
    }
}
