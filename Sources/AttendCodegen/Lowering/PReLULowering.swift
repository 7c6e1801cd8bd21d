import AttendBasic
import AttendIR

/// PReLU as `max(x, 0) + weight[c] * min(x, 0)` (min and max propagate NaN): equal to
/// torch's `x > 0 ? x : weight[c] * x` for every x when the slope is finite.
enum PReLULowering {
    static func lower(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0], weight = try context.weight("weight")
        let shape = context.inputShapes[0]
        let count = context.attributes.int("num_parameters")
        // [batch, channels, inner], the slope indexed by the channel coordinate; a tensor of
        // rank below 2 has one channel, as in torch.
        let grid = shape.count >= 2 ? [shape[0], shape[1], ShapeRules.elementCount(Array(shape[2...]))]
                                    : [1, 1, ShapeRules.elementCount(shape)]
        // Rows of the grid split across threads (a batch of 1 too), as elementwise ops' do.
        return Pruning.pruned(RowLoops.rows(grid) { c, flat in
            let value = ValueExpr.load(x, flat)
            let slope = ValueExpr.load(weight, count == 1 ? 0 : c[1])
            return [.store(y, flat, .binary(.max, value, .constant(0)) + slope * .binary(.min, value, .constant(0)))]
        })
    }
}

extension PReLUOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try PReLULowering.lower(context) }
}
