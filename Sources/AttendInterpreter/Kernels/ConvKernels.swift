import AttendBasic
import AttendIR

/// Convolution of any spatial rank up to 3, as PyTorch's ConvNd with zero padding.
/// Lower ranks are run as 3-D with leading unit dims, so one loop nest serves all.
enum ConvKernels {
    static func run(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let a = context.attributes
        let x = context.inputs[0]
        guard let weight = context.parameter("weight") else { throw .error("conv is missing its weight") }
        let bias = context.parameter("bias")
        let rank = x.rank - 2
        func lift(_ v: [Int], _ fill: Int) -> [Int] { [Int](repeating: fill, count: 3 - rank) + v }
        let inSpatial = lift(Array(x.shape[2...]), 1)
        let outShape = context.outputShapes[0]
        let outSpatial = lift(Array(outShape[2...]), 1)
        let kernel = lift(a.ints("kernel"), 1), stride = lift(a.ints("stride"), 1)
        let pad = lift(a.ints("pad"), 0), dilation = lift(a.ints("dilation"), 1)
        let batch = x.shape[0], inChannels = x.shape[1], outChannels = outShape[1]
        let groups = a.int("groups")
        let inPerGroup = inChannels / groups, outPerGroup = outChannels / groups
        let inPlane = inSpatial.reduce(1, *), outPlane = outSpatial.reduce(1, *)
        let kernelVolume = kernel.reduce(1, *)

        var out = [Float](repeating: 0, count: ShapeRules.elementCount(outShape))
        x.data.withUnsafeBufferPointer { src in
            weight.data.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for n in 0..<batch {
                        for oc in 0..<outChannels {
                            let g = oc / outPerGroup
                            let outBase = (n * outChannels + oc) * outPlane
                            let initial = bias?.data[oc] ?? 0
                            for i in 0..<outPlane { dst[outBase + i] = initial }
                            for icg in 0..<inPerGroup {
                                let ic = g * inPerGroup + icg
                                let inBase = (n * inChannels + ic) * inPlane
                                let wBase = (oc * inPerGroup + icg) * kernelVolume
                                for kd in 0..<kernel[0] { for kh in 0..<kernel[1] { for kw in 0..<kernel[2] {
                                    let wv = w[wBase + (kd * kernel[1] + kh) * kernel[2] + kw]
                                    for od in 0..<outSpatial[0] {
                                        let id = od * stride[0] - pad[0] + kd * dilation[0]
                                        if id < 0 || id >= inSpatial[0] { continue }
                                        for oh in 0..<outSpatial[1] {
                                            let ih = oh * stride[1] - pad[1] + kh * dilation[1]
                                            if ih < 0 || ih >= inSpatial[1] { continue }
                                            let rowIn = inBase + (id * inSpatial[1] + ih) * inSpatial[2]
                                            let rowOut = outBase + (od * outSpatial[1] + oh) * outSpatial[2]
                                            for ow in 0..<outSpatial[2] {
                                                let iw = ow * stride[2] - pad[2] + kw * dilation[2]
                                                if iw < 0 || iw >= inSpatial[2] { continue }
                                                dst[rowOut + ow] += wv * src[rowIn + iw]
                                            }
                                        }
                                    }
                                } } }
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: outShape, data: out)]
    }
}

extension ConvOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try ConvKernels.run(context) }
}
