import AttendBasic
import AttendIR

/// identity, and dropout in inference: the output is the input.
extension IdentityOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { [context.inputs[0]] }
}

extension DropoutOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { [context.inputs[0]] }
}

/// reorder: the interpreter computes logical tensors, and a layout is only how code
/// generation stores one, so the output is the input.
extension ReorderOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { [context.inputs[0]] }
}
