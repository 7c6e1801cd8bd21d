import AttendBasic
import AttendIR

/// PReLU as torch computes it: `x > 0 ? x : weight[c] * x`, the slope of channel `c` (axis 1)
/// or the single shared one.
enum PReLUKernels {
    static func prelu(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let count = context.attributes.int("num_parameters")
        let weight = try context.parameter("weight", shape: [count])
        // Elements per channel step: the product of the axes after the channel axis.
        let inner = x.rank >= 2 ? ShapeRules.elementCount(Array(x.shape[2...])) : 1
        var result = x.data
        for i in result.indices where !(result[i] > 0) {
            let slope = count == 1 ? weight.data[0] : weight.data[(i / inner) % count]
            result[i] = slope * result[i]
        }
        return [Tensor(shape: x.shape, data: result)]
    }
}

extension PReLUOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try PReLUKernels.prelu(context) }
}
