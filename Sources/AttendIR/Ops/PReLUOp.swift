import AttendBasic

/// torch.nn.PReLU(num_parameters, init): `x` where positive, `weight[c] * x` elsewhere, with
/// one learned slope for every channel (axis 1) or a single one shared by all.
public struct PReLUOp: Op {
    public init() {}

    public var name: String { "prelu" }
    public var summary: String { "x if x > 0 else weight * x, as torch.nn.PReLU; one slope, or one per channel of [N, C, ...]" }
    /// A per-channel factor, like inference batchnorm; its learned slope keeps it out of
    /// formula-only epilogues.
    public var fusion: FusionKind { .broadcast }
    public var arity: Arity { .exactly(1) }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("num_parameters", .int, default: .int(1), "slopes to learn: 1, or the channel count C (axis 1)"),
            ArgSpec("init", .float, default: .float(0.25), "initial slope when no weights are given"),
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0], count = a.int("num_parameters")
        guard count >= 1 else { throw .error("prelu needs num_parameters >= 1, got \(count)") }
        // As torch: the channel axis is 1, and a tensor of rank below 2 has one channel.
        let channels = x.count >= 2 ? x[1] : 1
        guard count == 1 || count == channels else {
            throw .error("prelu num_parameters=\(count) must be 1 or the channel count \(channels) of input \(formatShape(x))")
        }
        return [x]
    }

    public func parameters(inputs: [[Int]], attributes a: Attributes) -> [ParameterSlot] {
        [ParameterSlot("weight", [a.int("num_parameters")], .constant(a.float("init")))]
    }

    /// A compare, a multiply and a select per element.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        2 * ShapeRules.elementCount(outputs[0])
    }
}
