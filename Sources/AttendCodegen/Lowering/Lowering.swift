import AttendBasic
import AttendIR

/// What a lowering sees of one node: buffer names for its inputs, outputs and parameters
/// (by PyTorch slot name), shapes, and typed arguments.
public struct LoweringContext: Sendable {
    public var op: any Op
    public var attributes: Attributes
    public var inputs: [BufferRef]
    public var inputShapes: [[Int]]
    public var outputs: [BufferRef]
    public var outputShapes: [[Int]]
    public var weights: [String: BufferRef]
    public var weightShapes: [String: [Int]]
    /// Arena space of the kernel's own (`StrategyPlan.scratch` floats), live only while it
    /// runs; nil when the strategy asks for none.
    public var scratch: BufferRef? = nil
    /// Storage layouts of the inputs and outputs where not row-major (see `Layout`); only
    /// ops that declare they handle a layout (`Op.handlesLayout`) are given one.
    public var inputLayouts: [Int: Layout] = [:]
    public var outputLayouts: [Int: Layout] = [:]

    public func inputLayout(_ k: Int) -> Layout { inputLayouts[k] ?? .rowMajor }
    public func outputLayout(_ k: Int) -> Layout { outputLayouts[k] ?? .rowMajor }

    public func weight(_ slot: String) throws(Diagnostic) -> BufferRef {
        guard let buffer = weights[slot] else { throw .error("'\(op.name)' has no parameter '\(slot)'") }
        return buffer
    }
}

/// How one node becomes loops: an op's direct lowering, or a kernel strategy's plan.
public typealias Lowering = @Sendable (LoweringContext) throws(Diagnostic) -> [Stmt]

/// An op with a direct lowering: loop nests that state what it computes. Each op type
/// conforms in the file under Lowering/ that holds its loops (ops that share a type, as
/// `PoolOp`'s average and max, pick by the type's own stored kind); a test checks that
/// every op in the registry conforms.
public protocol DirectLowering: Op {
    func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt]
    /// Whether the loops, for these input shapes, accumulate in the output buffer (read back
    /// what they stored) and announce each finished region with `Stmt.finalized`, as
    /// `StrategyPlan.finalizesRegions` says of a strategy: a fused epilogue then runs on
    /// finished regions rather than at each store. False by default; a test checks every
    /// declaration against the loops.
    func finalizesRegions(inputs: [[Int]], attributes: Attributes) -> Bool
}

extension DirectLowering {
    public func finalizesRegions(inputs: [[Int]], attributes: Attributes) -> Bool { false }
}

public enum Lowerings {
    /// The direct lowering of `op`'s type, nil when it has none.
    public static func direct(for op: any Op) -> Lowering? {
        guard let op = op as? any DirectLowering else { return nil }
        return { context throws(Diagnostic) in try op.lowerToLoops(context) }
    }
}

/// Building blocks for loop nests over row-major tensors.
public enum Loops {
    /// Row-major strides of a shape as index constants.
    public static func strides(_ shape: [Int]) -> [Int] { Tensor.strides(of: shape) }

    /// `sum(coordinates[i] * strides[i])`, skipping axes of stride 0 or extent 1.
    public static func offset(_ coordinates: [IndexExpr], _ strides: [Int]) -> IndexExpr {
        var result: IndexExpr = 0
        for (coordinate, stride) in zip(coordinates, strides) where stride != 0 {
            result = result + coordinate * .constant(stride)
        }
        return result
    }

    /// Strides of an operand broadcast (NumPy rules) to `outShape`: 0 on broadcast axes.
    public static func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
        let padded = [Int](repeating: 1, count: outShape.count - shape.count) + shape
        let strides = Tensor.strides(of: padded)
        return zip(padded, strides).map { $0 == 1 ? 0 : $1 }
    }
}
