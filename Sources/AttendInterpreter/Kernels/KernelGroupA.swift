import AttendBasic
import AttendIR

/// Kernels for linear algebra, normalization, reductions and parameters (filled in op by op).
enum KernelGroupA {
    static let table: [String: Kernel] = [
        "linear": LinearAlgebraKernels.linear,
        "matmul": LinearAlgebraKernels.matmul,
        "softmax": NormalizationKernels.softmax,
        "layernorm": NormalizationKernels.layerNorm,
        "batchnorm": NormalizationKernels.batchNorm,
        "frozen_batchnorm": NormalizationKernels.batchNorm,
        "groupnorm": NormalizationKernels.groupNorm,
        "mean": ReductionKernels.run,
        "sum": ReductionKernels.run,
        "max": ReductionKernels.run,
        "identity": PassThroughKernels.identity,
        "dropout": PassThroughKernels.identity,
        "parameter": ParameterKernels.parameter,
        "prelu": PReLUKernels.prelu,
    ]

    /// A node's parameter in `slot`, checked to have `shape`, so kernels can index it freely.
    static func parameter(_ context: KernelContext, _ slot: String, shape: [Int]) throws(Diagnostic) -> Tensor {
        guard let tensor = context.parameter(slot) else {
            throw .error("\(context.op.name) is missing its parameter '\(slot)'")
        }
        guard tensor.shape == shape else {
            throw .error("\(context.op.name) parameter '\(slot)' has shape \(formatShape(tensor.shape)), expected \(formatShape(shape))")
        }
        return tensor
    }

    /// Splits `shape` around `axis` into (product before, extent, product after).
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, extent: Int, inner: Int) {
        (ShapeRules.elementCount(Array(shape[..<axis])), shape[axis], ShapeRules.elementCount(Array(shape[(axis + 1)...])))
    }
}
