import AttendBasic
import AttendIR

/// A `parameter` node's value is its own learned tensor.
enum ParameterKernels {
    static func parameter(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        [try KernelGroupA.parameter(context, "", shape: context.outputShapes[0])]
    }
}

/// identity, and dropout in inference: the output is the input.
enum PassThroughKernels {
    static func identity(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        [context.inputs[0]]
    }
}
