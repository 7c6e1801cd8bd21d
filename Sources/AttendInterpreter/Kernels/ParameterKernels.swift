import AttendBasic
import AttendIR

/// A `parameter` node's value is its own learned tensor.
extension ParameterOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        [try context.parameter("", shape: context.outputShapes[0])]
    }
}
