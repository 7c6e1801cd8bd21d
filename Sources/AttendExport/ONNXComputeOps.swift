import AttendBasic
import AttendIR

// Convolution, linear algebra and normalization as ONNX ops. Weights stay in PyTorch's
// layout under their state_dict names; where ONNX wants another layout (Linear's W^T) a
// Transpose of the initializer is emitted, which ONNX Runtime folds at load time.

extension ConvOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let a = c.attributes
        var inputs = [c.inputs[0], c.parameter("weight")!]
        if let bias = c.parameter("bias") { inputs.append(bias) }
        return [b.add1("Conv", inputs, base: c.base, ConvOp.windowAttributes(a))]
    }

    /// The window of a convolution or transposed convolution as ONNX spells it: symmetric
    /// `pad` is `pads` begins then ends.
    static func windowAttributes(_ a: Attributes) -> [Onnx_AttributeProto] {
        let pad = a.ints("pad")
        return [
            Attr.ints("kernel_shape", a.ints("kernel")), Attr.ints("strides", a.ints("stride")),
            Attr.ints("pads", pad + pad), Attr.ints("dilations", a.ints("dilation")), Attr.int("group", a.int("groups")),
        ]
    }
}

extension LinearOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let weight = c.parameter("weight")!, bias = c.parameter("bias")
        if c.rank == 2 {
            return [b.add1("Gemm", [c.inputs[0], weight] + (bias.map { [$0] } ?? []), base: c.base, [Attr.int("transB", 1)])]
        }
        let transposed = b.add1("Transpose", [weight], base: c.base, [Attr.ints("perm", [1, 0])])
        let product = b.add1("MatMul", [c.inputs[0], transposed], base: c.base)
        guard let bias else { return [product] }
        return [b.add1("Add", [product, bias], base: c.base)]
    }
}

extension MatmulOp: ONNXLowering {
    /// ONNX MatMul is numpy.matmul, which torch.matmul follows (1-D operands included).
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        [b.add1("MatMul", c.inputs, base: c.base)]
    }
}

extension SoftmaxOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        [b.add1("Softmax", c.inputs, base: c.base, [Attr.int("axis", c.axis("axis"))])]
    }
}

extension LayerNormOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let channels = c.inputShapes[0].last ?? 1
        // Without affine, LayerNormalization still takes a scale: ones.
        let scale = c.parameter("weight") ?? b.constant(Array(repeating: 1, count: channels), shape: [channels], base: c.base + ".ones")
        let inputs = [c.inputs[0], scale] + (c.parameter("bias").map { [$0] } ?? [])
        return [b.add1("LayerNormalization", inputs, base: c.base,
                       [Attr.int("axis", -1), Attr.float("epsilon", c.attributes.float("eps"))])]
    }
}

extension BatchNormOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let channels = c.inputShapes[0][1]
        let scale = c.parameter("weight") ?? b.constant(Array(repeating: 1, count: channels), shape: [channels], base: c.base + ".ones")
        let shift = c.parameter("bias") ?? b.constant(Array(repeating: 0, count: channels), shape: [channels], base: c.base + ".zeros")
        return [b.add1("BatchNormalization",
                       [c.inputs[0], scale, shift, c.parameter("running_mean")!, c.parameter("running_var")!],
                       base: c.base, [Attr.float("epsilon", c.attributes.float("eps"))])]
    }
}

extension GroupNormOp: ONNXLowering {
    /// Opset 20's GroupNormalization scales per group (fixed per channel only in opset 21), so
    /// the statistics are written out: mean and biased variance of each [N, G, C/G * spatial]
    /// row, then the per-channel affine.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let shape = c.inputShapes[0], groups = c.attributes.int("groups")
        let rows = b.add1("Reshape", [c.inputs[0], b.int64s([shape[0], groups, -1])], base: c.base)
        let axes = b.int64s([2])
        let mean = b.add1("ReduceMean", [rows, axes], base: c.base, [Attr.int("keepdims", 1)])
        let centered = b.add1("Sub", [rows, mean], base: c.base)
        let squared = b.add1("Mul", [centered, centered], base: c.base)
        let variance = b.add1("ReduceMean", [squared, axes], base: c.base, [Attr.int("keepdims", 1)])
        let deviation = b.add1("Sqrt", [b.add1("Add", [variance, b.scalar(c.attributes.float("eps"))], base: c.base)], base: c.base)
        let normalized = b.add1("Reshape", [b.add1("Div", [centered, deviation], base: c.base), b.int64s(shape)], base: c.base)
        guard let weight = c.parameter("weight"), let bias = c.parameter("bias") else { return [normalized] }
        // [C] -> [C, 1, ...] so it broadcasts over the spatial axes.
        let perChannel = b.int64s([shape[1]] + Array(repeating: 1, count: shape.count - 2))
        let scaled = b.add1("Mul", [normalized, b.add1("Reshape", [weight, perChannel], base: c.base)], base: c.base)
        return [b.add1("Add", [scaled, b.add1("Reshape", [bias, perChannel], base: c.base)], base: c.base)]
    }
}

extension ConvTransposeOp: ONNXLowering {
    /// ONNX ConvTranspose takes PyTorch's weight layout `[C, out/groups, kH, kW]` as it is.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let a = c.attributes
        var inputs = [c.inputs[0], c.parameter("weight")!]
        if let bias = c.parameter("bias") { inputs.append(bias) }
        return [b.add1("ConvTranspose", inputs, base: c.base,
                       ConvOp.windowAttributes(a) + [Attr.ints("output_padding", a.ints("output_padding"))])]
    }
}

extension PReLUOp: ONNXLowering {
    /// ONNX PRelu broadcasts the slope from the right, so per-channel slopes `[C]` become `[C, 1, ...]`.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        var slope = c.parameter("weight")!
        let count = c.attributes.int("num_parameters")
        if count > 1 {
            slope = b.add1("Reshape", [slope, b.int64s([count] + Array(repeating: 1, count: c.rank - 2))], base: c.base)
        }
        return [b.add1("PRelu", [c.inputs[0], slope], base: c.base)]
    }
}
