import AttendBasic

/// torch.nn.ConvTranspose2d (zero padding), weight `[in, out/groups, kH, kW]` (PyTorch's
/// layout, input channels first), optional bias `[out]`; with `spectral_norm` the weight is
/// torch.nn.utils.spectral_norm's eval-mode weight (see `SpectralNorm`).
public struct ConvTransposeOp: Op {
    public init() {}

    public var name: String { "conv_transpose2d" }
    public var summary: String { "2-D transposed convolution as torch.nn.ConvTranspose2d; input [N, C, H, W], weight [C, out/groups, kH, kW]" }
    /// It accumulates each output plane and then finalizes it, so an epilogue can follow.
    public var fusion: FusionKind { .complexOutFusable }
    /// Output channel `i` is weight column `i` (dim 1) and `bias[i]` when there is one group,
    /// so a batchnorm after it folds into its weights; with groups, dim 1 counts within a group.
    public func outputChannelAxis(inputs: [[Int]], attributes a: Attributes) -> Int? { a.int("groups") == 1 ? 1 : nil }
    public func weightChannelDim(inputs: [[Int]], attributes: Attributes) -> Int { 1 }
    public var arity: Arity { .exactly(1) }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("out", .int, "output channels (out_channels)"),
            ArgSpec("kernel", .ints(count: 2), "kernel size (kernel_size)"),
            ArgSpec("stride", .ints(count: 2), default: .ints([1, 1]), "stride"),
            ArgSpec("pad", .ints(count: 2), default: .ints([0, 0]), "rows and columns trimmed from both sides of the full output (padding)"),
            ArgSpec("output_padding", .ints(count: 2), default: .ints([0, 0]), "extra rows and columns on the bottom and right of the output; smaller than stride or dilation"),
            ArgSpec("groups", .int, default: .int(1), "blocked connections from input to output channels"),
            ArgSpec("dilation", .ints(count: 2), default: .ints([1, 1]), "kernel dilation"),
            ArgSpec("bias", .bool, default: .bool(true), "learn an additive bias"),
            SpectralNorm.argument,
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        guard x.count == 4 else { throw .error("conv_transpose2d expects input [N, C, H, W], got \(formatShape(x))") }
        let out = a.int("out"), groups = a.int("groups")
        guard out > 0 else { throw .error("conv_transpose2d needs out > 0, got \(out)") }
        guard x[1] > 0 else { throw .error("conv_transpose2d needs at least one input channel, got input \(formatShape(x))") }
        guard groups > 0, x[1] % groups == 0, out % groups == 0 else {
            throw .error("conv_transpose2d groups=\(groups) must divide in channels \(x[1]) and out channels \(out)")
        }
        let kernel = a.ints("kernel"), stride = a.ints("stride"), pad = a.ints("pad")
        let outputPadding = a.ints("output_padding"), dilation = a.ints("dilation")
        var spatial: [Int] = []
        for i in 0..<2 {
            guard kernel[i] > 0, stride[i] > 0, dilation[i] > 0, pad[i] >= 0, outputPadding[i] >= 0 else {
                throw .error("conv_transpose2d needs positive kernel, stride and dilation and non-negative pad and output_padding")
            }
            // PyTorch's check: the extra output rows must come from a partial stride or dilation step.
            guard outputPadding[i] < stride[i] || outputPadding[i] < dilation[i] else {
                throw .error("conv_transpose2d output_padding \(formatShape(outputPadding)) must be smaller than either stride \(formatShape(stride)) or dilation \(formatShape(dilation))")
            }
            let extent = (x[2 + i] - 1) * stride[i] - 2 * pad[i] + dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1
            guard extent > 0 else {
                throw .error("conv_transpose2d output size is too small: input \(formatShape(x)) with kernel \(formatShape(kernel)), stride \(formatShape(stride)), pad \(formatShape(pad)) gives \(extent) along spatial dim \(i)")
            }
            spatial.append(extent)
        }
        return [[x[0], out] + spatial]
    }

    /// PyTorch initializes both from the weight's fan-in, `out/groups * kH * kW` (dim 1 of its layout).
    public func parameters(inputs: [[Int]], attributes a: Attributes) -> [ParameterSlot] {
        let out = a.int("out"), kernel = a.ints("kernel")
        let fanIn = out / a.int("groups") * kernel.reduce(1, *)
        var slots = [ParameterSlot("weight", [inputs[0][1], out / a.int("groups")] + kernel, .uniformFanIn(fanIn))]
        if a.bool("bias") { slots.append(ParameterSlot("bias", [out], .uniformFanIn(fanIn))) }
        return slots
    }

    /// ConvTranspose modules normalize along their output-channel dim, 1.
    public func reparametrizations(inputs: [[Int]], attributes a: Attributes) -> [Reparametrization] {
        SpectralNorm.reparametrizations(parameters(inputs: inputs, attributes: a), attributes: a, dim: 1)
    }

    /// Every input element meets every tap of its group's output channels once.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes a: Attributes) -> Int {
        let macsPerInput = outputs[0][1] / a.int("groups") * a.ints("kernel").reduce(1, *)
        return 2 * macsPerInput * ShapeRules.elementCount(inputs[0])
    }
}
