import AttendBasic
import AttendIR

/// What a kernel sees of one node: its input tensors, its parameters by PyTorch slot name,
/// its typed arguments and the output shapes the op's shape rule inferred.
public struct KernelContext {
    public var inputs: [Tensor]
    public var parameters: [String: Tensor]
    public var attributes: Attributes
    public var outputShapes: [[Int]]
    public var op: any Op

    public func parameter(_ slot: String) -> Tensor? { parameters[slot] }

    /// The node's parameter in `slot`, checked to have `shape`, so kernels can index it freely.
    func parameter(_ slot: String, shape: [Int]) throws(Diagnostic) -> Tensor {
        guard let tensor = parameters[slot] else {
            throw .error("\(op.name) is missing its parameter '\(slot)'")
        }
        guard tensor.shape == shape else {
            throw .error("\(op.name) parameter '\(slot)' has shape \(formatShape(tensor.shape)), expected \(formatShape(shape))")
        }
        return tensor
    }
}

/// An op with a reference kernel: plain, obviously-correct Swift. Each op type conforms in
/// the file under Kernels/ that holds its kernel (ops that share a type, as `ReductionOp`'s
/// mean, sum and max, pick by the type's own stored kind); a test checks that every op in
/// the registry conforms.
public protocol Interpretable: Op {
    /// The node's outputs, computed from its inputs, parameters and arguments.
    func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor]
}
