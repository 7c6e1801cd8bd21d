import AttendBasic
import AttendIR

/// F.interpolate over [N, C, H, W]: a parallel loop over output rows (plane and output row),
/// the row's source computed once per row and the column's per element.
///
/// Source indices follow PyTorch's float32 arithmetic exactly (`nearest_idx`,
/// `compute_indices_weights_linear`), computed in the generated C with `floorf` rather than
/// from tables: they depend only on static sizes, but a table would be a constant array (or an
/// `if` chain) per axis, while the formula is one line and exact for every size. Nearest
/// indices use plain integer arithmetic instead whenever it provably gives the same index for
/// every output coordinate (checked here, at compile time, against the float32 rule).
/// Bilinear source coordinates are computed in two statements (`t = s * (o + 0.5)`, then
/// `t - 0.5`) so a C compiler contracting expressions into fused multiply-adds cannot round
/// differently from PyTorch.
enum ResampleLowering {
    static func interpolate(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        let scales = InterpolateOp.scaleFactors(context.attributes)
        let bilinear = context.attributes.string("mode") == "bilinear"
        let alignCorners = context.attributes.bool("align_corners")
        let planes = outShape[0] * outShape[1]
        let (inH, inW, outH, outW) = (inShape[2], inShape[3], outShape[2], outShape[3])
        return Pruning.pruned(RowLoops.loop("r", planes * outH, .parallel) { r in
            let plane = planes == 1 ? RowLoops.bound(0) : RowLoops.bind("plane", r / .constant(outH))
            let oh = planes == 1 ? RowLoops.bound(r) : RowLoops.bind("oh", r % .constant(outH))
            let base = RowLoops.bind("xbase", plane.expr * .constant(inH * inW))
            var prologue = plane.stmts + oh.stmts + base.stmts
            if !bilinear {
                let row = RowLoops.bind("ih", nearest(oh.expr, input: inH, output: outH, scale: scales?[0]))
                let top = RowLoops.bind("xrow", base.expr + row.expr * .constant(inW))
                prologue += row.stmts + top.stmts
                return prologue + RowLoops.loop("ow", outW, .vectorized) { ow in
                    let column = nearest(ow, input: inW, output: outW, scale: scales?[1])
                    return [.store(y, r * .constant(outW) + ow, .load(x, top.expr + column))]
                }
            }
            let row = linear(oh.expr, input: inH, output: outH, scale: scales?[0], alignCorners: alignCorners, prefix: "h")
            let top = RowLoops.bind("top", base.expr + row.i0 * .constant(inW))
            let bottom = RowLoops.bind("bottom", base.expr + row.i1 * .constant(inW))
            prologue += row.stmts + top.stmts + bottom.stmts
            return prologue + RowLoops.loop("ow", outW, .vectorized) { ow in
                let column = linear(ow, input: inW, output: outW, scale: scales?[1], alignCorners: alignCorners, prefix: "w")
                func blend(_ start: IndexExpr) -> ValueExpr {
                    .load(x, start + column.i0) * column.w0 + .load(x, start + column.i1) * column.w1
                }
                let value = blend(top.expr) * row.w0 + blend(bottom.expr) * row.w1
                return column.stmts + [.store(y, r * .constant(outW) + ow, value)]
            }
        })
    }

    /// PyTorch's `compute_scales_value`: 1/scale_factor when one was given, else input/output.
    static func sourceScale(input: Int, output: Int, scale: Double?) -> Float {
        if let scale, scale > 0 { return Float(1.0 / scale) }
        return Float(input) / Float(output)
    }

    /// The input index nearest mode reads for output index `o`: PyTorch's `nearest_idx`
    /// (identity and halving shortcuts, else `min(floor(o * s), input - 1)` in float32).
    static func nearest(_ o: IndexExpr, input: Int, output: Int, scale: Double?) -> IndexExpr {
        if output == input { return o }
        if output == 2 * input { return o / 2 }
        let s = sourceScale(input: input, output: output, scale: scale)
        let floors = (0..<output).map { Int((Float($0) * s).rounded(.down)) }
        let indices = floors.map { Swift.min($0, input - 1) }
        // Integer arithmetic where it agrees with float32 everywhere (readable, no conversion).
        if indices.indices.allSatisfy({ indices[$0] == $0 * input / output }) {
            return o * .constant(input) / .constant(output)
        }
        let index = IndexExpr.floor(.index(o) * .constant(Double(s)))
        return floors.contains(where: { $0 > input - 1 }) ? RowLoops.min(index, .constant(input - 1)) : index
    }

    /// Bilinear taps of output index `o` along one axis, as PyTorch's
    /// `compute_indices_weights_linear`: statements binding them, the two input indices and
    /// their weights.
    struct Taps {
        var stmts: [Stmt]
        var i0: IndexExpr, i1: IndexExpr
        var w0: ValueExpr, w1: ValueExpr
    }

    static func linear(_ o: IndexExpr, input: Int, output: Int, scale: Double?, alignCorners: Bool, prefix p: String) -> Taps {
        let s: Float = alignCorners ? (output > 1 ? Float(input - 1) / Float(output - 1) : 0)
                                    : sourceScale(input: input, output: output, scale: scale)
        var stmts: [Stmt] = []
        if alignCorners {
            stmts.append(.declare("\(p)r", .constant(Double(s)) * .index(o)))
        } else {
            // real = max(s * (o + 0.5) - 0.5, 0), the product rounded on its own.
            stmts.append(.declare("\(p)t", .constant(Double(s)) * (.index(o) + .constant(0.5))))
            stmts.append(.declare("\(p)r", .binary(.max, .scalar("\(p)t") - .constant(0.5), .constant(0))))
        }
        let real = ValueExpr.scalar("\(p)r")
        let i0 = RowLoops.bind("\(p)0", RowLoops.min(.floor(real), .constant(input - 1)))
        let i1 = RowLoops.bind("\(p)1", RowLoops.min(i0.expr + 1, .constant(input - 1)))
        stmts += i0.stmts + i1.stmts
        stmts.append(.declare("\(p)l", .binary(.min, .binary(.max, real - .index(i0.expr), .constant(0)), .constant(1))))
        let lambda = ValueExpr.scalar("\(p)l")
        return Taps(stmts: stmts, i0: i0.expr, i1: i1.expr, w0: .constant(1) - lambda, w1: lambda)
    }
}

extension InterpolateOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try ResampleLowering.interpolate(context) }
}
