import AttendBasic
import AttendIR
import Foundation

/// Kernels for pad and interpolate, as torch.nn.functional.pad and F.interpolate on CPU.
enum ResampleKernels {
    static func pad(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0], a = context.attributes
        let shape = try inferredShapes(context)[0]
        let mode = a.string("mode")
        let pads = PadOp.axisPads(a.ints("pads"), rank: x.rank)
        let strides = x.strides
        let offsets = x.shape.indices.map { axis in
            let size = x.shape[axis], before = pads[axis].before
            return Gather.axis(count: shape[axis], stride: strides[axis]) { o -> Int? in
                let i = o - before
                switch mode {
                case "reflect": // pads are smaller than the axis, so one reflection suffices
                    return i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i
                case "replicate":
                    return min(max(i, 0), size - 1)
                case "circular": // pads are at most the axis size, so one wrap suffices
                    return i < 0 ? i + size : i >= size ? i - size : i
                default:
                    return i >= 0 && i < size ? i : nil
                }
            }
        }
        return [Gather.run(x, shape: shape, offsets: offsets, fill: Float(a.float("value")))]
    }

    static func interpolate(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0], a = context.attributes
        let shape = try inferredShapes(context)[0]
        let scales = InterpolateOp.scaleFactors(a)
        if a.string("mode") == "bilinear" {
            return [bilinear(x, shape: shape, scales: scales, alignCorners: a.bool("align_corners"))]
        }
        let strides = x.strides
        var offsets = (0..<2).map { axis in Gather.axis(count: shape[axis], stride: strides[axis]) { $0 } }
        for axis in 2..<4 {
            let input = x.shape[axis], output = shape[axis], scale = scales?[axis - 2]
            offsets.append(Gather.axis(count: output, stride: strides[axis]) {
                nearestSource($0, input: input, output: output, scale: scale)
            })
        }
        return [Gather.run(x, shape: shape, offsets: offsets)]
    }

    /// PyTorch's `nearest_idx`, including its shortcuts for equal and doubled sizes, in float32.
    static func nearestSource(_ index: Int, input: Int, output: Int, scale: Double?) -> Int {
        if output == input { return index }
        if output == 2 * input { return index >> 1 }
        let s = sourceScale(input: input, output: output, scale: scale)
        return min(Int(floorf(Float(index) * s)), input - 1)
    }

    /// PyTorch's `compute_scales_value`: 1/scale_factor when one was given, else input/output.
    static func sourceScale(input: Int, output: Int, scale: Double?) -> Float {
        if let scale, scale > 0 { return Float(1.0 / scale) }
        return Float(input) / Float(output)
    }

    /// The two input indices and their weights for each output index along one axis, as
    /// PyTorch's `compute_indices_weights_linear` (float32 arithmetic).
    static func linearTaps(input: Int, output: Int, scale: Double?, alignCorners: Bool)
        -> [(i0: Int, i1: Int, w0: Float, w1: Float)] {
        let s: Float = alignCorners ? (output > 1 ? Float(input - 1) / Float(output - 1) : 0)
                                    : sourceScale(input: input, output: output, scale: scale)
        return (0..<output).map { o in
            let real = alignCorners ? s * Float(o) : max(s * (Float(o) + 0.5) - 0.5, 0)
            let i0 = min(Int(floorf(real)), input - 1)
            let lambda = min(max(real - Float(i0), 0), 1)
            let i1 = i0 < input - 1 ? i0 + 1 : i0
            return (i0, i1, 1 - lambda, lambda)
        }
    }

    static func bilinear(_ x: Tensor, shape: [Int], scales: [Double]?, alignCorners: Bool) -> Tensor {
        let inH = x.shape[2], inW = x.shape[3], outH = shape[2], outW = shape[3]
        let rows = linearTaps(input: inH, output: outH, scale: scales?[0], alignCorners: alignCorners)
        let columns = linearTaps(input: inW, output: outW, scale: scales?[1], alignCorners: alignCorners)
        let planes = shape[0] * shape[1]
        var out = [Float](repeating: 0, count: ShapeRules.elementCount(shape))
        x.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for plane in 0..<planes {
                    let inBase = plane * inH * inW, outBase = plane * outH * outW
                    for (oh, r) in rows.enumerated() {
                        let top = inBase + r.i0 * inW, bottom = inBase + r.i1 * inW
                        for (ow, c) in columns.enumerated() {
                            let upper = src[top + c.i0] * c.w0 + src[top + c.i1] * c.w1
                            let lower = src[bottom + c.i0] * c.w0 + src[bottom + c.i1] * c.w1
                            dst[outBase + oh * outW + ow] = upper * r.w0 + lower * r.w1
                        }
                    }
                }
            }
        }
        return Tensor(shape: shape, data: out)
    }
}

extension PadOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try ResampleKernels.pad(context) }
}

extension InterpolateOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try ResampleKernels.interpolate(context) }
}
