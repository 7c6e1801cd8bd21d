import AttendBasic

/// torch.nn.Conv1d/Conv2d/Conv3d (zero padding), weight `[out, in/groups, *kernel]`, optional bias.
public struct ConvOp: Op {
    /// Spatial rank: 1 for conv1d, 2 for conv2d, 3 for conv3d.
    public let spatialRank: Int

    public var name: String { "conv\(spatialRank)d" }
    public var variant: AnyHashable? { spatialRank }
    public var summary: String { "\(spatialRank)-D convolution as torch.nn.Conv\(spatialRank)d; input [N, C, \(spatialDimNames)]" }
    public var fusion: FusionKind { .complexOutFusable }
    public func outputChannelAxis(inputs: [[Int]], attributes: Attributes) -> Int? { 1 }
    public var arity: Arity { .exactly(1) }
    private var spatialDimNames: String { [["L"], ["H", "W"], ["D", "H", "W"]][spatialRank - 1].joined(separator: ", ") }

    public var arguments: [ArgSpec] {
        let n = spatialRank
        return [
            ArgSpec("out", .int, "output channels (out_channels)"),
            ArgSpec("kernel", .ints(count: n), "kernel size (kernel_size)"),
            ArgSpec("stride", .ints(count: n), default: .ints(Array(repeating: 1, count: n)), "stride"),
            ArgSpec("pad", .ints(count: n), default: .ints(Array(repeating: 0, count: n)), "zero padding on both sides of each spatial dim (padding)"),
            ArgSpec("dilation", .ints(count: n), default: .ints(Array(repeating: 1, count: n)), "kernel dilation"),
            ArgSpec("groups", .int, default: .int(1), "blocked connections from input to output channels"),
            ArgSpec("bias", .bool, default: .bool(true), "learn an additive bias"),
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        guard x.count == spatialRank + 2 else {
            throw .error("\(name) expects input [N, C, \(spatialDimNames)], got \(formatShape(x))")
        }
        let out = a.int("out"), groups = a.int("groups")
        guard out > 0 else { throw .error("\(name) needs out > 0, got \(out)") }
        guard groups > 0, x[1] % groups == 0, out % groups == 0 else {
            throw .error("\(name) groups=\(groups) must divide in channels \(x[1]) and out channels \(out)")
        }
        let spatial = try Self.windowOutput(input: Array(x[2...]), kernel: a.ints("kernel"), stride: a.ints("stride"),
                                            pad: a.ints("pad"), padEnd: a.ints("pad"), dilation: a.ints("dilation"),
                                            ceilMode: false, op: name)
        return [[x[0], out] + spatial]
    }

    public func parameters(inputs: [[Int]], attributes a: Attributes) -> [ParameterSlot] {
        let inPerGroup = inputs[0][1] / a.int("groups")
        let kernel = a.ints("kernel")
        let fanIn = inPerGroup * kernel.reduce(1, *)
        var slots = [ParameterSlot("weight", [a.int("out"), inPerGroup] + kernel, .uniformFanIn(fanIn))]
        if a.bool("bias") { slots.append(ParameterSlot("bias", [a.int("out")], .uniformFanIn(fanIn))) }
        return slots
    }

    public func flops(inputs: [[Int]], outputs: [[Int]], attributes a: Attributes) -> Int {
        let macsPerOutput = inputs[0][1] / a.int("groups") * a.ints("kernel").reduce(1, *)
        return 2 * macsPerOutput * ShapeRules.elementCount(outputs[0])
    }

    /// The output extent of a sliding window per spatial dim, as PyTorch computes it for
    /// convolution and pooling: floor (or ceil) of (in + pads - dilation*(k-1) - 1)/stride + 1.
    public static func windowOutput(input: [Int], kernel: [Int], stride: [Int], pad: [Int], padEnd: [Int],
                                    dilation: [Int], ceilMode: Bool, op: String) throws(Diagnostic) -> [Int] {
        var result: [Int] = []
        for i in input.indices {
            guard kernel[i] > 0, stride[i] > 0, dilation[i] > 0, pad[i] >= 0, padEnd[i] >= 0 else {
                throw .error("\(op) needs positive kernel, stride and dilation and non-negative padding")
            }
            let span = input[i] + pad[i] + padEnd[i] - dilation[i] * (kernel[i] - 1) - 1
            guard span >= 0 else {
                throw .error("\(op) kernel \(formatShape(kernel)) (dilation \(formatShape(dilation))) is larger than the padded input \(formatShape(input))")
            }
            var extent = (ceilMode ? (span + stride[i] - 1) / stride[i] : span / stride[i]) + 1
            // PyTorch: with ceil_mode the last window must start inside the input or left padding.
            if ceilMode, (extent - 1) * stride[i] >= input[i] + pad[i] { extent -= 1 }
            result.append(extent)
        }
        return result
    }
}
