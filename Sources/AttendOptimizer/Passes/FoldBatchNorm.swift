import AttendBasic
import AttendIR

/// `fold-batchnorm`: an inference batchnorm after a convolution or linear layer (whose
/// output nothing else reads) becomes part of that layer's weights:
/// `s = gamma / sqrt(var + eps)`, `W' = W * s` (per output channel),
/// `b' = (b - mean) * s + beta`. The folded weights are derived parameters, computed once
/// from the PyTorch ones when weights load.
public struct FoldBatchNormPass: Pass {
    public init() {}
    public var name: String { "fold-batchnorm" }
    public var summary: String { "fold inference batchnorm into the preceding conv or linear layer's weights" }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        try PatternPass(name: name, summary: summary, patterns: [FoldBatchNormPattern()]).run(on: &graph)
    }
}

struct FoldBatchNormPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let bn = rewriter.graph.nodes[index]
        guard bn.op is BatchNormOp, let mean = bn.parameterName("running_mean"), let variance = bn.parameterName("running_var"),
              rewriter.hasSingleUser(bn.inputs[0]), let producerIndex = rewriter.uses.producer[bn.inputs[0]] else { return false }
        let producer = rewriter.graph.nodes[producerIndex]
        guard let axis = WeightedProducer.channelAxis(producer, in: rewriter.graph), let weight = producer.parameterName("weight"),
              let weightShape = rewriter.graph.parameter(named: weight)?.shape else { return false }
        // The weight dim of output channels: rows for conv and linear, columns for conv_transpose2d.
        let dim = producer.op.weightChannelDim(inputs: producer.inputs.map(rewriter.graph.shape(of:)), attributes: producer.attributes)
        guard dim < weightShape.count else { return false }
        let channels = weightShape[dim]
        // The batchnorm's channel axis (1) must be the producer's output-channel axis: for a
        // conv always, for a linear layer only on [N, C] (BatchNorm1d of [N, L, C] normalizes
        // axis 1, not the features).
        let shape = rewriter.graph.shape(of: bn.inputs[0])
        guard shape.count >= 2, axis == 1, shape[1] == channels else { return false }

        let prefix = bn.layer.isEmpty ? "batchnorm" : bn.layer
        let eps = bn.attributes.float("eps")
        let shifted = try rewriter.graph.derive("\(prefix).fold.var_eps", ElementwiseOp.declared(.add), [variance], [("other", .float(eps))])
        let scale: String
        let gamma = bn.parameterName("weight"), beta = bn.parameterName("bias")
        if let gamma {
            let std = try rewriter.graph.derive("\(prefix).fold.std", ElementwiseOp.declared(.sqrt), [shifted])
            scale = try rewriter.graph.derive("\(prefix).fold.scale", ElementwiseOp.declared(.div), [gamma, std])
        } else {
            scale = try rewriter.graph.derive("\(prefix).fold.scale", ElementwiseOp.declared(.pow), [shifted], [("other", .float(-0.5))])
        }
        let column = try rewriter.graph.derive("\(prefix).fold.scale_column", ReshapeOp(), [scale],
                                      [("shape", .ints(weightShape.indices.map { $0 == dim ? channels : 1 }))])
        let newWeight = try rewriter.graph.derive("\(weight).folded", ElementwiseOp.declared(.mul), [weight, column])
        let shiftedMean: String
        if let bias = producer.parameterName("bias") {
            shiftedMean = try rewriter.graph.derive("\(prefix).fold.bias_minus_mean", ElementwiseOp.declared(.sub), [bias, mean])
        } else {
            shiftedMean = try rewriter.graph.derive("\(prefix).fold.minus_mean", ElementwiseOp.declared(.neg), [mean])
        }
        let scaled = try rewriter.graph.derive("\(prefix).fold.scaled_shift", ElementwiseOp.declared(.mul), [shiftedMean, scale])
        let biasName = producer.parameterName("bias") ?? ((producer.layer.isEmpty ? "" : producer.layer + ".") + "bias")
        let newBias = beta == nil ? scaled : try rewriter.graph.derive("\(biasName).folded", ElementwiseOp.declared(.add), [scaled, beta!])
        let folded = try WeightedProducer.rebind(producer, weight: newWeight, bias: newBias, in: &rewriter.graph)
        // The folded layer replaces the batchnorm; the original layer is left dead.
        rewriter.replace(node: index, with: folded)
        return true
    }
}
