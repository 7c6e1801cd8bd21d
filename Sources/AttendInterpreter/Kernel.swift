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
}

/// The reference semantics of one op: plain, obviously-correct Swift.
public typealias Kernel = @Sendable (KernelContext) throws(Diagnostic) -> [Tensor]

/// Reference kernels, by op name. Each op's kernel lives in one file under Kernels/ and is
/// listed here once; a test checks that every op in the registry has one.
public enum KernelTable {
    public static let all: [String: Kernel] = {
        var table: [String: Kernel] = [:]
        for group in [ElementwiseKernels.table, ConvKernels.table, ConvTransposeKernels.table, KernelGroupA.table, KernelGroupB.table] {
            table.merge(group) { first, _ in first }
        }
        return table
    }()

    public static func kernel(for op: any Op) -> Kernel? { all[op.name] }
}
