import AttendBasic
import AttendIR

/// softmax, layernorm, batchnorm and groupnorm. Statistics are computed in float (the
/// interpreter uses Double): sums blockwise, variance in two passes around the mean.
/// batchnorm follows PyTorch's float32 inference arithmetic exactly, as the interpreter does.
enum NormalizationLowering {
    /// Stable softmax along one axis: parallel over the other coordinates (outer x inner);
    /// per slice the max, then exp(x - max) stored and summed, then a division by the sum.
    static func softmax(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        // A rank-0 tensor is a single element along a single axis.
        let shape = context.inputShapes[0].isEmpty ? [1] : context.inputShapes[0]
        let axis = try ShapeRules.normalizeAxis(context.attributes.int("axis"), rank: shape.count)
        let outer = ShapeRules.elementCount(Array(shape[..<axis])), extent = shape[axis]
        let inner = ShapeRules.elementCount(Array(shape[(axis + 1)...]))
        let slice = IndexExpr.v("slice")
        func at(_ e: String) -> IndexExpr { .v("base") + .v(e) * .constant(inner) }
        return [.loop(variable: "slice", lower: 0, upper: .constant(outer * inner), schedule: .parallel, body: [
            .letIndex("base", slice / .constant(inner) * .constant(extent * inner) + slice % .constant(inner)),
            // The max, with NaN propagating like the interpreter's.
            .declare("largest", .constant(-.infinity)),
            .loop(variable: "e", lower: 0, upper: .constant(extent), schedule: .serial, body: [
                .assign("largest", .binary(.max, .scalar("largest"), .load(x, at("e")))),
            ]),
            .declare("total", .constant(0)),
        ] + Accumulation.accumulate(into: "total", count: extent, prefix: "f") { f, target in
            [
                .declare("power", .unary(.exp, .load(x, .v("base") + f * .constant(inner)) - .scalar("largest"))),
                .store(y, .v("base") + f * .constant(inner), .scalar("power")),
                Accumulation.add(target, .scalar("power")),
            ]
        } + [
            .loop(variable: "g", lower: 0, upper: .constant(extent), schedule: inner == 1 ? .vectorized : .serial, body: [
                .store(y, at("g"), .load(y, at("g")) / .scalar("total")),
            ]),
            .finalized(y, start: .v("base"), count: .constant(extent), stride: inner, alignment: inner == 1 ? extent : 1),
        ])]
    }

    /// Layer normalization over the last dim: parallel over rows.
    static func layerNorm(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        let shape = context.inputShapes[0]
        let channels = shape.last ?? 1
        let rows = ShapeRules.elementCount(Array(shape.dropLast()))
        let weight = context.weights["weight"], bias = context.weights["bias"]
        var value = (ValueExpr.load(x, .v("base") + .v("c")) - .scalar("mean")) * .scalar("invstd")
        if let weight { value = value * .load(weight, .v("c")) }
        if let bias { value = value + .load(bias, .v("c")) }
        return [.loop(variable: "row", lower: 0, upper: .constant(rows), schedule: .parallel, body: [
            .letIndex("base", .v("row") * .constant(channels)),
        ] + statistics(x, count: channels, eps: context.attributes.float("eps")) + [
            .loop(variable: "c", lower: 0, upper: .constant(channels), schedule: .vectorized, body: [
                .store(y, .v("base") + .v("c"), value),
            ]),
        ])]
    }

    /// Group normalization: parallel over (sample, group); each group's channels and
    /// positions are contiguous.
    static func groupNorm(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        let shape = context.inputShapes[0]
        let batch = shape[0], channels = shape[1]
        let groups = context.attributes.int("groups")
        guard groups > 0, channels % groups == 0 else {
            throw .error("groupnorm groups=\(groups) must divide the channels \(channels)")
        }
        let perGroup = channels / groups
        let plane = ShapeRules.elementCount(Array(shape[2...]))
        let count = perGroup * plane
        var body: [Stmt] = [.letIndex("base", .v("ng") * .constant(count))]
        body += statistics(x, count: count, eps: context.attributes.float("eps"))
        let normalized = ValueExpr.load(x, .v("base") + .v("i")) - .scalar("mean")
        if let weight = context.weights["weight"], let bias = context.weights["bias"] {
            let channel = IndexExpr.v("ng") % .constant(groups) * .constant(perGroup) + .v("cg")
            body.append(.loop(variable: "cg", lower: 0, upper: .constant(perGroup), schedule: .serial, body: [
                .loop(variable: "i", lower: .v("cg") * .constant(plane), upper: (.v("cg") + 1) * .constant(plane), schedule: .vectorized, body: [
                    .store(y, .v("base") + .v("i"), normalized * .scalar("invstd") * .load(weight, channel) + .load(bias, channel)),
                ]),
            ]))
        } else {
            body.append(.loop(variable: "i", lower: 0, upper: .constant(count), schedule: .vectorized, body: [
                .store(y, .v("base") + .v("i"), normalized * .scalar("invstd")),
            ]))
        }
        return [.loop(variable: "ng", lower: 0, upper: .constant(batch * groups), schedule: .parallel, body: body)]
    }

    /// Declares `mean` and `invstd` = 1 / sqrt(biased variance + eps) of the `count`
    /// contiguous elements of `x` from index `base`: the mean first, then the squared
    /// deviations from it.
    static func statistics(_ x: BufferRef, count: Int, eps: Double) -> [Stmt] {
        let denominator = ValueExpr.constant(Double(count))
        var stmts: [Stmt] = [.declare("sum", .constant(0))]
        stmts += Accumulation.accumulate(into: "sum", count: count, prefix: "s") { s, target in
            [Accumulation.add(target, .load(x, .v("base") + s))]
        }
        stmts += [.declare("mean", .scalar("sum") / denominator), .declare("squares", .constant(0))]
        stmts += Accumulation.accumulate(into: "squares", count: count, prefix: "q") { q, target in
            [
                .declare("deviation", .load(x, .v("base") + q) - .scalar("mean")),
                Accumulation.add(target, .scalar("deviation") * .scalar("deviation")),
            ]
        }
        let variance = ValueExpr.scalar("squares") / denominator
        stmts.append(.declare("invstd", .constant(1) / .unary(.sqrt, variance + .constant(eps))))
        return stmts
    }

    /// Inference batch normalization with running statistics, as PyTorch computes it in
    /// float32: invstd = 1 / sqrt(var + eps), alpha = invstd * weight,
    /// beta = bias - mean * alpha, y = x * alpha + beta. Parallel over (sample, channel)
    /// planes; without spatial dims, over samples with the channels innermost.
    static func batchNorm(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        let shape = context.inputShapes[0]
        let batch = shape[0], channels = shape[1]
        let plane = ShapeRules.elementCount(Array(shape[2...]))
        let mean = try context.weight("running_mean"), variance = try context.weight("running_var")
        let weight = context.weights["weight"], bias = context.weights["bias"]

        func coefficients(_ c: IndexExpr) -> [Stmt] {
            let invstd = ValueExpr.constant(1) / .unary(.sqrt, .load(variance, c) + .constant(context.attributes.float("eps")))
            let alpha: ValueExpr = weight.map { invstd * .load($0, c) } ?? invstd
            let shift: ValueExpr = bias.map { .load($0, c) } ?? .constant(0)
            return [.declare("alpha", alpha), .declare("beta", shift - .load(mean, c) * .scalar("alpha"))]
        }
        let scaled = { (index: IndexExpr) -> Stmt in
            .store(y, index, .load(x, index) * .scalar("alpha") + .scalar("beta"))
        }
        if plane == 1 {
            return [.loop(variable: "n", lower: 0, upper: .constant(batch), schedule: .parallel, body: [
                .loop(variable: "c", lower: 0, upper: .constant(channels), schedule: .vectorized,
                      body: coefficients(.v("c")) + [scaled(.v("n") * .constant(channels) + .v("c"))]),
            ])]
        }
        return [.loop(variable: "nc", lower: 0, upper: .constant(batch * channels), schedule: .parallel, body: [
            .letIndex("base", .v("nc") * .constant(plane)),
        ] + coefficients(.v("nc") % .constant(channels)) + [
            .loop(variable: "i", lower: 0, upper: .constant(plane), schedule: .vectorized, body: [scaled(.v("base") + .v("i"))]),
        ])]
    }
}

extension SoftmaxOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try NormalizationLowering.softmax(context) }
    /// The powers are stored, then divided by their sum in place.
    public func finalizesRegions(inputs: [[Int]], attributes: Attributes) -> Bool { true }
}

extension LayerNormOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try NormalizationLowering.layerNorm(context) }
}

extension BatchNormOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try NormalizationLowering.batchNorm(context) }
}

extension GroupNormOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try NormalizationLowering.groupNorm(context) }
}
