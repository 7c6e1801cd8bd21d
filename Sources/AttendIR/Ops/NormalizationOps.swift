import AttendBasic

// Fusion kinds of the normalizations:
// - softmax, layernorm and groupnorm compute statistics over many input elements (a max and
//   sum, a mean and variance) before each output element can be produced, so they are
//   `.reduction`, like mean.
// - batchnorm in inference reads no statistics of its input: with running stats it is one
//   multiply-add per element by per-channel constants, so it is `.broadcast` and may be
//   folded into a preceding conv's epilogue.

/// torch.softmax(x, dim=axis), computed stably (the max along the axis is subtracted first).
public struct SoftmaxOp: Op {
    public init() {}

    public var name: String { "softmax" }
    public var summary: String { "exp(x) / sum(exp(x)) along an axis, as torch.softmax(dim=axis)" }
    public var fusion: FusionKind { .reduction }
    public var arity: Arity { .exactly(1) }

    public func normalizesRows(inputs: [[Int]], attributes: Attributes) -> Bool {
        let rank = inputs[0].count, axis = attributes.int("axis")
        return rank >= 1 && (axis == -1 || axis == rank - 1)
    }

    public var arguments: [ArgSpec] {
        [ArgSpec("axis", .int, default: .int(-1), "the axis to normalize over (dim); negative counts from the end")]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        // Like PyTorch, a rank-0 tensor accepts axis 0 or -1.
        _ = try ShapeRules.normalizeAxis(a.int("axis"), rank: max(x.count, 1))
        return [x]
    }

    /// Per element: a max compare, a subtract, an exp, a sum and a divide.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        5 * ShapeRules.elementCount(outputs[0])
    }
}

/// torch.nn.LayerNorm(C) over the last dim: biased variance, optional weight and bias `[C]`.
public struct LayerNormOp: Op {
    public init() {}

    public var name: String { "layernorm" }
    public var summary: String { "layer normalization over the last dim, as torch.nn.LayerNorm(C); input [..., C]" }
    public var fusion: FusionKind { .reduction }
    public var arity: Arity { .exactly(1) }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("eps", .float, default: .float(1e-5), "added to the variance for numerical stability"),
            ArgSpec("affine", .bool, default: .bool(true), "learn a per-element weight and bias (elementwise_affine)"),
            ArgSpec("bias", .bool, default: .bool(true), "learn the bias when affine"),
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        guard !x.isEmpty else { throw .error("layernorm expects input [..., C] of rank at least 1, got \(formatShape(x))") }
        return [x]
    }

    public func parameters(inputs: [[Int]], attributes a: Attributes) -> [ParameterSlot] {
        guard a.bool("affine"), let channels = inputs[0].last else { return [] }
        var slots = [ParameterSlot("weight", [channels], .constant(1))]
        if a.bool("bias") { slots.append(ParameterSlot("bias", [channels], .constant(0))) }
        return slots
    }

    /// Per element: 1 for the mean, 3 for the variance, 2 to normalize, 2 more for the affine.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes a: Attributes) -> Int {
        (a.bool("affine") ? 8 : 6) * ShapeRules.elementCount(outputs[0])
    }
}

/// torch.nn.BatchNorm1d/2d in eval mode: normalizes axis 1 of `[N, C, ...]` with running
/// statistics. Parameters in state_dict order: weight, bias (when affine), running_mean,
/// running_var; `num_batches_tracked` is accepted and ignored.
///
/// `frozen_batchnorm` is the same computation with the weight and bias held as buffers, as
/// torchvision.ops.FrozenBatchNorm2d (and DETR's copy of it) registers them: same state_dict
/// keys, but nothing counted as a learned parameter.
public struct BatchNormOp: Op {
    public let frozen: Bool

    public init(frozen: Bool = false) { self.frozen = frozen }

    public var name: String { frozen ? "frozen_batchnorm" : "batchnorm" }
    public var variant: AnyHashable? { frozen }
    public var summary: String {
        frozen
            ? "batch normalization with frozen statistics and affine (all four tensors buffers), as torchvision.ops.FrozenBatchNorm2d; input [N, C, ...]"
            : "batch normalization with running statistics, as torch.nn.BatchNorm1d/2d in eval mode; input [N, C, ...]"
    }
    public var fusion: FusionKind { .broadcast }
    public var arity: Arity { .exactly(1) }
    public var ignoredStateNames: [String] { ["num_batches_tracked"] }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("eps", .float, default: .float(1e-5), "added to the running variance for numerical stability"),
            ArgSpec("affine", .bool, default: .bool(true), "learn a per-channel weight and bias"),
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        guard x.count >= 2 else { throw .error("batchnorm expects input [N, C, ...] of rank at least 2, got \(formatShape(x))") }
        return [x]
    }

    public func parameters(inputs: [[Int]], attributes a: Attributes) -> [ParameterSlot] {
        guard inputs[0].count >= 2 else { return [] }
        let channels = inputs[0][1]
        var slots: [ParameterSlot] = []
        if a.bool("affine") {
            slots.append(ParameterSlot("weight", [channels], .constant(1), isBuffer: frozen))
            slots.append(ParameterSlot("bias", [channels], .constant(0), isBuffer: frozen))
        }
        slots.append(ParameterSlot("running_mean", [channels], .constant(0), isBuffer: true))
        slots.append(ParameterSlot("running_var", [channels], .constant(1), isBuffer: true))
        return slots
    }

    /// One multiply-add per element once the per-channel scale and shift are folded.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        2 * ShapeRules.elementCount(outputs[0])
    }
}

/// torch.nn.GroupNorm(groups, C): normalizes each group of C/groups channels of `[N, C, ...]`
/// (with all spatial positions) by its own mean and biased variance; weight and bias `[C]`.
public struct GroupNormOp: Op {
    public init() {}

    public var name: String { "groupnorm" }
    public var summary: String { "group normalization, as torch.nn.GroupNorm(groups, C); input [N, C, ...]" }
    public var fusion: FusionKind { .reduction }
    public var arity: Arity { .exactly(1) }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("groups", .int, "number of channel groups (num_groups); must divide C"),
            ArgSpec("eps", .float, default: .float(1e-5), "added to the variance for numerical stability"),
            ArgSpec("affine", .bool, default: .bool(true), "learn a per-channel weight and bias"),
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        guard x.count >= 2 else { throw .error("groupnorm expects input [N, C, ...] of rank at least 2, got \(formatShape(x))") }
        let groups = a.int("groups")
        guard groups > 0 else { throw .error("groupnorm needs groups > 0, got \(groups)") }
        guard x[1] % groups == 0 else {
            throw .error("groupnorm groups=\(groups) must divide the channels \(x[1]) of input \(formatShape(x))")
        }
        return [x]
    }

    public func parameters(inputs: [[Int]], attributes a: Attributes) -> [ParameterSlot] {
        guard a.bool("affine"), inputs[0].count >= 2 else { return [] }
        let channels = inputs[0][1]
        return [ParameterSlot("weight", [channels], .constant(1)), ParameterSlot("bias", [channels], .constant(0))]
    }

    /// As layernorm: statistics, normalization and the affine.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes a: Attributes) -> Int {
        (a.bool("affine") ? 8 : 6) * ShapeRules.elementCount(outputs[0])
    }
}
