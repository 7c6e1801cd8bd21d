import AttendBasic
import AttendIR

/// Every elementwise op lowers the same way: one loop nest over the output's rows, operands
/// read through broadcast strides, the op's declared scalar formula in the middle. The rows
/// (every axis but the last, flattened) split across threads, so a batch of 1 does too: with
/// the batch axis as the parallel loop, CBAM's gate multiplications ran on one thread, and
/// at two threads read the half of their input the other core had written from there (2-7x
/// their one-thread time on Zen 3).
enum ElementwiseLowering {
    static func lower(_ op: ElementwiseOp, _ context: LoweringContext) -> [Stmt] {
        let outShape = context.outputShapes[0]
        return Pruning.pruned(RowLoops.rows(outShape) { coordinates, flat in
            let operands: [ValueExpr] = context.inputs.indices.map { k in
                let strides = Loops.broadcastStrides(context.inputShapes[k], to: outShape)
                return .load(context.inputs[k], Loops.offset(coordinates, strides))
            }
            return [.store(context.outputs[0], flat, value(op, attributes: context.attributes, operands: operands))]
        })
    }

    /// The op's formula on `operands` (a one-input binary op takes its scalar `other`).
    static func value(_ op: ElementwiseOp, attributes: Attributes, operands: [ValueExpr]) -> ValueExpr {
        var operands = operands
        if operands.count == 1, op.isBinary, let other = attributes.optionalFloat("other") {
            operands.append(.constant(other))
        }
        return ValueExpr.formula(op.formula(for: attributes), operands: operands, arguments: attributes)
    }
}

extension ElementwiseOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { ElementwiseLowering.lower(self, context) }
}
