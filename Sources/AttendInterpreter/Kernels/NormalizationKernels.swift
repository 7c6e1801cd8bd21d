import AttendBasic
import AttendIR
import Foundation

/// Softmax, layer, batch and group normalization. Statistics (sums, means, variances) are
/// computed in Double; batchnorm follows PyTorch's float32 inference arithmetic exactly.
enum NormalizationKernels {
    static func softmax(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        // A rank-0 tensor is a single element along a single axis.
        let shape = x.shape.isEmpty ? [1] : x.shape
        let axis = try ShapeRules.normalizeAxis(context.attributes.int("axis"), rank: shape.count)
        let (outer, extent, inner) = split(shape, at: axis)
        var result = [Float](repeating: 0, count: x.count)
        var exps = [Double](repeating: 0, count: extent)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * extent * inner + i
                // The max, with NaN propagating (a NaN anywhere makes the whole slice NaN).
                var largest = -Float.infinity
                for e in 0..<extent {
                    let v = x.data[base + e * inner]
                    if v.isNaN || v > largest { largest = v }
                }
                var sum = 0.0
                for e in 0..<extent {
                    exps[e] = exp(Double(x.data[base + e * inner]) - Double(largest))
                    sum += exps[e]
                }
                for e in 0..<extent { result[base + e * inner] = Float(exps[e] / sum) }
            }
        }
        return [Tensor(shape: x.shape, data: result)]
    }

    static func layerNorm(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let a = context.attributes
        let x = context.inputs[0]
        let channels = x.shape.last ?? 1
        let rows = ShapeRules.elementCount(Array(x.shape.dropLast()))
        let eps = a.float("eps")
        let affine = a.bool("affine")
        let weight = try affine ? context.parameter("weight", shape: [channels]) : nil
        let bias = try affine && a.bool("bias") ? context.parameter("bias", shape: [channels]) : nil
        var result = [Float](repeating: 0, count: x.count)
        for r in 0..<rows {
            let base = r * channels
            let (mean, invstd) = statistics(x.data, from: base, count: channels, eps: eps)
            for c in 0..<channels {
                var y = (Double(x.data[base + c]) - mean) * invstd
                if let weight { y *= Double(weight.data[c]) }
                if let bias { y += Double(bias.data[c]) }
                result[base + c] = Float(y)
            }
        }
        return [Tensor(shape: x.shape, data: result)]
    }

    /// Inference batchnorm as PyTorch computes it on CPU in float32: per channel
    /// invstd = 1 / sqrt(var + eps), alpha = invstd * weight, beta = bias - mean * alpha,
    /// then y = x * alpha + beta.
    static func batchNorm(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let a = context.attributes
        let x = context.inputs[0]
        let batch = x.shape[0], channels = x.shape[1]
        let plane = ShapeRules.elementCount(Array(x.shape[2...]))
        let runningMean = try context.parameter("running_mean", shape: [channels])
        let runningVar = try context.parameter("running_var", shape: [channels])
        var weight = [Float](repeating: 1, count: channels)
        var bias = [Float](repeating: 0, count: channels)
        if a.bool("affine") {
            weight = try context.parameter("weight", shape: [channels]).data
            bias = try context.parameter("bias", shape: [channels]).data
        }
        let eps = Float(a.float("eps"))
        var alpha = [Float](repeating: 0, count: channels)
        var beta = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            let invstd = 1 / (runningVar.data[c] + eps).squareRoot()
            alpha[c] = invstd * weight[c]
            beta[c] = bias[c] - runningMean.data[c] * alpha[c]
        }
        var result = [Float](repeating: 0, count: x.count)
        for n in 0..<batch {
            for c in 0..<channels {
                let base = (n * channels + c) * plane
                for i in 0..<plane { result[base + i] = x.data[base + i] * alpha[c] + beta[c] }
            }
        }
        return [Tensor(shape: x.shape, data: result)]
    }

    static func groupNorm(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let a = context.attributes
        let x = context.inputs[0]
        let batch = x.shape[0], channels = x.shape[1]
        let groups = a.int("groups")
        guard groups > 0, channels % groups == 0 else {
            throw .error("groupnorm groups=\(groups) must divide the channels \(channels)")
        }
        let perGroup = channels / groups
        let plane = ShapeRules.elementCount(Array(x.shape[2...]))
        let eps = a.float("eps")
        let affine = a.bool("affine")
        let weight = try affine ? context.parameter("weight", shape: [channels]) : nil
        let bias = try affine ? context.parameter("bias", shape: [channels]) : nil
        var result = [Float](repeating: 0, count: x.count)
        for n in 0..<batch {
            for g in 0..<groups {
                let groupBase = (n * channels + g * perGroup) * plane
                let (mean, invstd) = statistics(x.data, from: groupBase, count: perGroup * plane, eps: eps)
                for cg in 0..<perGroup {
                    let c = g * perGroup + cg
                    let base = groupBase + cg * plane
                    for i in 0..<plane {
                        var y = (Double(x.data[base + i]) - mean) * invstd
                        if let weight, let bias { y = y * Double(weight.data[c]) + Double(bias.data[c]) }
                        result[base + i] = Float(y)
                    }
                }
            }
        }
        return [Tensor(shape: x.shape, data: result)]
    }

    /// Splits `shape` around `axis` into (product before, extent, product after).
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, extent: Int, inner: Int) {
        (ShapeRules.elementCount(Array(shape[..<axis])), shape[axis], ShapeRules.elementCount(Array(shape[(axis + 1)...])))
    }

    /// Mean and 1 / sqrt(biased variance + eps) of `count` contiguous elements, in Double.
    static func statistics(_ data: [Float], from start: Int, count: Int, eps: Double) -> (mean: Double, invstd: Double) {
        var sum = 0.0
        for i in start..<(start + count) { sum += Double(data[i]) }
        let mean = sum / Double(count)
        var squares = 0.0
        for i in start..<(start + count) {
            let d = Double(data[i]) - mean
            squares += d * d
        }
        let variance = squares / Double(count)
        return (mean, 1 / (variance + eps).squareRoot())
    }
}

extension SoftmaxOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try NormalizationKernels.softmax(context) }
}

extension LayerNormOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try NormalizationKernels.layerNorm(context) }
}

extension BatchNormOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try NormalizationKernels.batchNorm(context) }
}

extension GroupNormOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try NormalizationKernels.groupNorm(context) }
}
