import AttendBasic

/// A parameter slot a state_dict does not hold as itself but as other tensors it is computed
/// from when weights load, as torch.nn.utils.spectral_norm stores a module's `weight` as
/// `weight_orig`, `weight_u` and `weight_v`. `Graph.apply` creates the stored tensors as
/// parameters of the layer and the steps as derived parameters (`ParameterDefinition`), and
/// binds the slot to the last step, so kernels see an ordinary weight.
public struct Reparametrization: Sendable {
    /// One derived parameter: `op(operands) {arguments}`; names are relative to the layer
    /// (stored slot names or earlier steps' names).
    public struct Step: Sendable {
        public var name: String
        public var op: any Op
        public var operands: [String]
        public var arguments: [(name: String, value: ArgValue)]

        public init(_ name: String, _ op: any Op, _ operands: [String], _ arguments: [(name: String, value: ArgValue)] = []) {
            self.name = name
            self.op = op
            self.operands = operands
            self.arguments = arguments
        }
    }

    /// The op's slot this computes (`weight`).
    public var slot: String
    /// The state_dict tensors it is computed from, named as PyTorch names them in the module.
    public var stored: [ParameterSlot]
    /// In order; the last one's value is the slot's, and it is named as the slot.
    public var steps: [Step]
}

extension Op {
    public func reparametrizations(inputs: [[Int]], attributes: Attributes) -> [Reparametrization] { [] }
}

/// torch.nn.utils.spectral_norm in eval mode, for ops with a `spectral_norm` argument: the
/// weight is `weight_orig / sigma`, `sigma = u · (W v)` with the stored `weight_u` and
/// `weight_v` (eval mode runs no power iteration), `W` being `weight_orig` with dim `dim`
/// moved first and flattened to `[size(dim), -1]`.
public enum SpectralNorm {
    public static let argument = ArgSpec(
        "spectral_norm", .bool, default: .bool(false),
        "the weight as torch.nn.utils.spectral_norm stores it (weight_orig, buffers weight_u, weight_v), normalized when weights load as in eval mode")

    /// The reparametrization of `slots`' weight when the node asks for spectral norm.
    public static func reparametrizations(_ slots: [ParameterSlot], attributes: Attributes, dim: Int) -> [Reparametrization] {
        guard attributes.bool("spectral_norm"), let weight = slots.first(where: { $0.name == "weight" }),
              dim < weight.shape.count, weight.shape[dim] > 0 else { return [] }
        let shape = weight.shape
        let height = shape[dim], width = ShapeRules.elementCount(shape) / height
        // torch.nn.utils.spectral_norm initializes u and v as normalized normal draws; a
        // standard normal keeps sigma (and so the seeded weights) finite.
        let stored = [
            ParameterSlot("weight_orig", shape, weight.initializer),
            ParameterSlot("weight_u", [height], .normal(std: 1), isBuffer: true),
            ParameterSlot("weight_v", [width], .normal(std: 1), isBuffer: true),
        ]
        typealias Step = Reparametrization.Step
        var steps: [Step] = []
        var rows = "weight_orig"
        if dim != 0 {
            let order = [dim] + shape.indices.filter { $0 != dim }
            steps.append(Step("weight.sn_rows", PermuteOp(), [rows], [("dims", .ints(order))]))
            rows = "weight.sn_rows"
        }
        steps += [
            Step("weight.sn_matrix", ReshapeOp(), [rows], [("shape", .ints([height, width]))]),
            Step("weight.sn_v", ReshapeOp(), ["weight_v"], [("shape", .ints([width, 1]))]),
            Step("weight.sn_wv", MatmulOp(), ["weight.sn_matrix", "weight.sn_v"]),
            Step("weight.sn_u", ReshapeOp(), ["weight_u"], [("shape", .ints([1, height]))]),
            Step("weight.sn_sigma", MatmulOp(), ["weight.sn_u", "weight.sn_wv"]),
            Step("weight", ElementwiseOp.declared(.div), ["weight_orig", "weight.sn_sigma"]),
        ]
        return [Reparametrization(slot: "weight", stored: stored, steps: steps)]
    }
}
