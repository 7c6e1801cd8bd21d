import AttendBasic
import AttendIR

/// Direct convolution (1-, 2- or 3-D, zero padding, groups, dilation), shaped for the C
/// compiler: parallel over batch x output channels; the output plane starts at the bias and
/// gathers one tap at a time, with the innermost loop running over the last spatial axis
/// between bounds computed so it never needs a check (and so vectorizes).
enum ConvLowering {
    static func lower(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let a = context.attributes
        let x = context.inputs[0], y = context.outputs[0]
        let weight = try context.weight("weight")
        let bias = context.weights["bias"]
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        let rank = inShape.count - 2
        let kernel = a.ints("kernel"), stride = a.ints("stride"), pad = a.ints("pad"), dilation = a.ints("dilation")
        let groups = a.int("groups")
        let inChannels = inShape[1], outChannels = outShape[1]
        let inPerGroup = inChannels / groups, outPerGroup = outChannels / groups
        let inSpatial = Array(inShape[2...]), outSpatial = Array(outShape[2...])
        let inPlane = inSpatial.reduce(1, *), outPlane = outSpatial.reduce(1, *)
        let inStrides = Loops.strides(inSpatial), outStrides = Loops.strides(outSpatial), kernelStrides = Loops.strides(kernel)
        let last = rank - 1

        // Innermost: the last spatial axis, from the first to one past the last output
        // position whose input position is inside the (unpadded) input.
        let shift = IndexExpr.constant(pad[last]) - .v("k\(last)") * .constant(dilation[last])  // pad - k*dilation
        let lowerBound = IndexExpr.max(0, (shift + .constant(stride[last] - 1)) / .constant(stride[last]))
        let upperBound = IndexExpr.min(.constant(outSpatial[last]),
                                       (.constant(inSpatial[last]) + shift + .constant(stride[last] - 1)) / .constant(stride[last]))
        let inLast = IndexExpr.v("o\(last)") * .constant(stride[last]) - shift
        let outer = (0..<last)
        let inRow = outer.reduce(IndexExpr.v("xbase")) { $0 + .v("p\($1)") * .constant(inStrides[$1]) }
        let outRow = outer.reduce(IndexExpr.v("ybase")) { $0 + .v("o\($1)") * .constant(outStrides[$1]) }
        // Output channels are computed `block` at a time: each input element loaded feeds
        // `block` accumulating rows (register blocking). Every output still sums its terms in
        // the same order as the interpreter.
        let block = [4, 2, 1].first { outPerGroup % $0 == 0 } ?? 1
        let kernelVolume = kernel.reduce(1, *)
        let tapOffset = Loops.offset((0..<rank).map { .v("k\($0)") }, kernelStrides)
        let taps: [Stmt] = (0..<block).map { j in
            .declare("tap\(j)", .load(weight, .v("wbase") + .constant(j * inPerGroup * kernelVolume) + tapOffset))
        }
        let updates: [Stmt] = (0..<block).map { j in
            let target = outRow + .constant(j * outPlane) + .v("o\(last)")
            return .store(y, target, .load(y, target) + .scalar("tap\(j)") * .load(x, inRow + inLast))
        }
        var body: [Stmt] = taps + [
            .loop(variable: "o\(last)", lower: lowerBound, upper: upperBound, schedule: .vectorized, body: updates),
        ]
        // Outer spatial axes: loop over output positions, skipping rows in the padding.
        for d in outer.reversed() {
            let position = IndexExpr.v("o\(d)") * .constant(stride[d]) - .constant(pad[d]) + .v("k\(d)") * .constant(dilation[d])
            body = [.loop(variable: "o\(d)", lower: 0, upper: .constant(outSpatial[d]), schedule: .serial, body: [
                .letIndex("p\(d)", position),
                .when(.inRange(.v("p\(d)"), 0, .constant(inSpatial[d])), then: body, otherwise: []),
            ])]
        }
        for d in (0..<rank).reversed() {
            body = [.loop(variable: "k\(d)", lower: 0, upper: .constant(kernel[d]), schedule: .serial, body: body)]
        }
        let channels = Stmt.loop(variable: "c", lower: 0, upper: .constant(inPerGroup), schedule: .serial, body: [
            .letIndex("xbase", (.v("n") * .constant(inChannels) + .v("g") * .constant(inPerGroup) + .v("c")) * .constant(inPlane)),
            .letIndex("wbase", (.v("oc") * .constant(inPerGroup) + .v("c")) * .constant(kernelVolume)),
        ] + body)
        let initial: [Stmt] = (0..<block).map { j in
            .loop(variable: "i", lower: 0, upper: .constant(outPlane), schedule: .vectorized, body: [
                .store(y, .v("ybase") + .constant(j * outPlane) + .v("i"), bias.map { .load($0, .v("oc") + .constant(j)) } ?? .constant(0)),
            ])
        }
        let blocksPerImage = outChannels / block
        return [.loop(variable: "nob", lower: 0, upper: .constant(outShape[0] * blocksPerImage), schedule: .parallel, body: [
            .letIndex("n", .v("nob") / .constant(blocksPerImage)),
            .letIndex("oc", (.v("nob") % .constant(blocksPerImage)) * .constant(block)),
            .letIndex("g", .v("oc") / .constant(outPerGroup)),
            .letIndex("ybase", (.v("n") * .constant(outChannels) + .v("oc")) * .constant(outPlane)),
        ] + initial + [channels, .finalized(y, start: .v("ybase"), count: .constant(block * outPlane), stride: 1, alignment: outPlane)])]
    }
}

extension ConvOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try ConvLowering.lower(context) }
    /// Output-channel blocks are summed over input channels and taps in place.
    public func finalizesRegions(inputs: [[Int]], attributes: Attributes) -> Bool { true }
}
