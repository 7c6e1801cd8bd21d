import AttendBasic
import AttendIR

/// Transposed 2-D convolution as PyTorch's ConvTranspose2d: every input element scatters
/// `x * weight[ic, oc, kh, kw]` to output position `i * stride - pad + k * dilation`. Each
/// output element sums its terms in (input channel, kh, kw) order, as the C lowering does.
enum ConvTransposeKernels {
    static func run(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let a = context.attributes
        let x = context.inputs[0]
        let outShape = context.outputShapes[0]
        let batch = x.shape[0], inChannels = x.shape[1], outChannels = outShape[1]
        let groups = a.int("groups")
        let inPerGroup = inChannels / groups, outPerGroup = outChannels / groups
        let kernel = a.ints("kernel"), stride = a.ints("stride"), pad = a.ints("pad"), dilation = a.ints("dilation")
        let weight = try context.parameter("weight", shape: [inChannels, outPerGroup] + kernel)
        let bias = try a.bool("bias") ? context.parameter("bias", shape: [outChannels]) : nil
        let (inH, inW, outH, outW) = (x.shape[2], x.shape[3], outShape[2], outShape[3])
        let taps = kernel[0] * kernel[1]

        var out = [Float](repeating: 0, count: ShapeRules.elementCount(outShape))
        x.data.withUnsafeBufferPointer { src in
            weight.data.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for n in 0..<batch {
                        for oc in 0..<outChannels {
                            let g = oc / outPerGroup
                            let outBase = (n * outChannels + oc) * outH * outW
                            let initial = bias?.data[oc] ?? 0
                            for i in 0..<(outH * outW) { dst[outBase + i] = initial }
                            for icg in 0..<inPerGroup {
                                let ic = g * inPerGroup + icg
                                let inBase = (n * inChannels + ic) * inH * inW
                                let wBase = (ic * outPerGroup + oc % outPerGroup) * taps
                                for kh in 0..<kernel[0] { for kw in 0..<kernel[1] {
                                    let wv = w[wBase + kh * kernel[1] + kw]
                                    for ih in 0..<inH {
                                        let oh = ih * stride[0] - pad[0] + kh * dilation[0]
                                        if oh < 0 || oh >= outH { continue }
                                        for iw in 0..<inW {
                                            let ow = iw * stride[1] - pad[1] + kw * dilation[1]
                                            if ow < 0 || ow >= outW { continue }
                                            dst[outBase + oh * outW + ow] += wv * src[inBase + ih * inW + iw]
                                        }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: outShape, data: out)]
    }
}

extension ConvTransposeOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try ConvTransposeKernels.run(context) }
}
