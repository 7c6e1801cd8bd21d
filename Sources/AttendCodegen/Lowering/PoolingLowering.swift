import AttendBasic
import AttendIR

/// Fixed-window (2-D and 3-D) and adaptive 2-D pooling: a parallel loop over output rows
/// (plane, output depth and row), the row's input window computed once per row, the column's per
/// element, and the window reduced in PyTorch's order (depth outer, then rows, columns inner).
///
/// Windows are loop bounds, not bounds checks: the valid part of a padded window is
/// `max(start, 0) ..< min(start + kernel, size)`, clamped only on sides padding or ceil_mode
/// can reach (the interpreter's clipped ranges). A dilated max-pool window loops over its
/// valid taps `k` (first and last from integer division on non-negative operands).
enum PoolingLowering {
    /// The input range one output coordinate reduces along one axis: statements that bind it,
    /// the loop over it (variable `name`, whose value is the input coordinate), and the count
    /// that count_include_pad divides by.
    struct AxisRange {
        var stmts: [Stmt] = []
        /// Loop bounds and the input coordinate of loop variable `index` (taps of a dilated window).
        var lower: IndexExpr = 0, upper: IndexExpr = 0
        var coordinate: (IndexExpr) -> IndexExpr = { $0 }
        /// The clipped window size (count_include_pad) and the valid count.
        var padded: IndexExpr = 0
        var valid: IndexExpr { upper - lower }
    }

    /// The window of output coordinate `o` (of `output`) over an input axis of `size`.
    static func fixed(_ o: IndexExpr, axis: Int, window w: PoolWindow, size: Int, output: Int, prefix p: String) -> AxisRange {
        let (kernel, stride, pad, dilation) = (w.kernel[axis], w.stride[axis], w.pad[axis], w.dilation[axis])
        var range = AxisRange()
        let start = RowLoops.bind("\(p)0", o * .constant(stride) - .constant(pad))
        range.stmts = start.stmts
        let lastStart = (output - 1) * stride - pad
        let span = (kernel - 1) * dilation + 1
        // Some window runs past the input's end (right pad or ceil_mode): clip it on the right.
        let clipsRight = lastStart + span > size
        if dilation == 1 {
            let lower = RowLoops.bind("\(p)s", pad > 0 ? RowLoops.max(start.expr, 0) : start.expr)
            let upper = RowLoops.bind("\(p)e", clipsRight ? RowLoops.min(start.expr + .constant(kernel), .constant(size)) : start.expr + .constant(kernel))
            range.stmts += lower.stmts + upper.stmts
            (range.lower, range.upper) = (lower.expr, upper.expr)
        } else {
            // Taps start + k * dilation inside 0..<size. A window starts before the input's
            // end (PyTorch's ceil_mode rule, checked by the shape rule), so size - start > 0.
            let d = IndexExpr.constant(dilation)
            let lower = RowLoops.bind("\(p)ks", pad > 0 ? (RowLoops.max(.sub(0, start.expr), 0) + .constant(dilation - 1)) / d : 0)
            let upper = RowLoops.bind("\(p)ke", clipsRight
                ? RowLoops.min(.constant(kernel), (.constant(size + dilation - 1) - start.expr) / d) : .constant(kernel))
            range.stmts += lower.stmts + upper.stmts
            (range.lower, range.upper) = (lower.expr, upper.expr)
            range.coordinate = { k in start.expr + k * d }
        }
        // Some window runs past the right padding too (ceil_mode): count_include_pad clips it there.
        let clipsPadding = lastStart + kernel > size + pad
        range.padded = clipsPadding ? RowLoops.min(start.expr + .constant(kernel), .constant(size + pad)) - start.expr : .constant(kernel)
        return range
    }

    /// The adaptive bin of output coordinate `o`: floor(o * size / output) ..< ceil((o + 1) * size / output).
    static func bin(_ o: IndexExpr, size: Int, output: Int, prefix p: String) -> AxisRange {
        var range = AxisRange()
        let lower = RowLoops.bind("\(p)s", o * .constant(size) / .constant(output))
        let upper = RowLoops.bind("\(p)e", ((o + 1) * .constant(size) + .constant(output - 1)) / .constant(output))
        range.stmts = lower.stmts + upper.stmts
        (range.lower, range.upper) = (lower.expr, upper.expr)
        range.padded = range.valid
        return range
    }

    /// Fixed windows; a 3-D node (avgpool3d, maxpool3d) adds a depth axis, loop `kd`.
    static func window(_ context: LoweringContext, average: Bool) -> [Stmt] {
        let w = PoolWindow(context.attributes)
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        let countPad = average && context.attributes.bool("count_include_pad")
        let depth = w.kernel.count == 3
        // The window's H and W axes are the last two of the window (0 and 1 in 2-D).
        let a = depth ? 1 : 0
        let rank = inShape.count
        return pool(context, average: average, depth: depth ? { od in
            fixed(od, axis: 0, window: w, size: inShape[2], output: outShape[2], prefix: "d")
        } : nil) { oh, ow, row in
            row ? fixed(oh, axis: a, window: w, size: inShape[rank - 2], output: outShape[rank - 2], prefix: "h")
                : fixed(ow, axis: a + 1, window: w, size: inShape[rank - 1], output: outShape[rank - 1], prefix: "w")
        } divisor: { depths, rows, columns in
            let d = depths.map { countPad ? $0.padded : $0.valid }
            let hw = countPad ? rows.padded * columns.padded : rows.valid * columns.valid
            return d.map { $0 * hw } ?? hw
        }
    }

    static func adaptive(_ context: LoweringContext, average: Bool) -> [Stmt] {
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        return pool(context, average: average) { oh, ow, row in
            row ? bin(oh, size: inShape[2], output: outShape[2], prefix: "h")
                : bin(ow, size: inShape[3], output: outShape[3], prefix: "w")
        } divisor: { _, rows, columns in
            rows.valid * columns.valid
        }
    }

    /// The loop nest shared by all pooling ops: `range(oh, ow, isRow)` gives the row's range
    /// (from `oh`) or the column's (from `ow`), `depth(od)` the depth's of a 3-D window (input
    /// [N, C, D, H, W]); averages divide the window's sum by `divisor(depth, rows, columns)`.
    static func pool(_ context: LoweringContext, average: Bool,
                     depth: ((IndexExpr) -> AxisRange)? = nil,
                     range: (IndexExpr, IndexExpr, Bool) -> AxisRange,
                     divisor: (AxisRange?, AxisRange, AxisRange) -> IndexExpr) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        let rank = inShape.count
        let planes = outShape[0] * outShape[1], (inH, inW) = (inShape[rank - 2], inShape[rank - 1])
        let (outH, outW) = (outShape[rank - 2], outShape[rank - 1])
        let (inD, outD) = depth == nil ? (1, 1) : (inShape[2], outShape[2])
        let rowsPerPlane = outD * outH
        return Pruning.pruned(RowLoops.loop("r", planes * rowsPerPlane, .parallel) { r in
            let plane = planes == 1 ? RowLoops.bound(0) : RowLoops.bind("plane", r / .constant(rowsPerPlane))
            let od = outD == 1 ? RowLoops.bound(0) : RowLoops.bind("od", (planes == 1 ? r : r % .constant(rowsPerPlane)) / .constant(outH))
            let oh = planes == 1 && outD == 1 ? RowLoops.bound(r) : RowLoops.bind("oh", r % .constant(outH))
            let base = RowLoops.bind("xbase", plane.expr * .constant(inD * inH * inW))
            let depths = depth.map { $0(od.expr) }
            let rows = range(oh.expr, 0, true)
            let prologue = plane.stmts + od.stmts + oh.stmts + base.stmts + (depths?.stmts ?? []) + rows.stmts
            return prologue + RowLoops.loop("ow", outW, .serial) { ow in
                let columns = range(0, ow, false)
                let slab = depths.map { base.expr + $0.coordinate(.v("kd")) * .constant(inH * inW) } ?? base.expr
                let load = ValueExpr.load(x, slab + rows.coordinate(.v("kh")) * .constant(inW) + columns.coordinate(.v("kw")))
                let reduce: ValueExpr = average ? .scalar("acc") + load : .binary(.max, load, .scalar("acc"))
                var taps = Stmt.loop(variable: "kh", lower: rows.lower, upper: rows.upper, schedule: .serial, body: [
                    .loop(variable: "kw", lower: columns.lower, upper: columns.upper, schedule: .serial, body: [.assign("acc", reduce)]),
                ])
                if let depths {
                    taps = .loop(variable: "kd", lower: depths.lower, upper: depths.upper, schedule: .serial, body: [taps])
                }
                let count = divisor(depths, rows, columns)
                let result: ValueExpr
                if !average {
                    result = .scalar("acc")
                } else if case .constant(let n) = count {
                    result = .scalar("acc") / .constant(Double(n))
                } else {
                    result = .scalar("acc") / .index(count)
                }
                return columns.stmts + [
                    .declare("acc", .constant(average ? 0 : -Double.infinity)),
                    taps,
                    .store(y, r * .constant(outW) + ow, result),
                ]
            }
        })
    }
}

extension PoolOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { PoolingLowering.window(context, average: reduction == .average) }
}

extension AdaptivePool2dOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { PoolingLowering.adaptive(context, average: reduction == .average) }
}
