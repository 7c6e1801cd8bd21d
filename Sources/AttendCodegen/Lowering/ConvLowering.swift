import AttendBasic
import AttendIR

/// Direct convolution (1-, 2- or 3-D, zero padding, groups, dilation): parallel over
/// batch x output channels, an accumulator per output element, bounds checks only where
/// padding can be reached.
enum ConvLowering {
    static let table: [String: Lowering] = ["conv1d": lower, "conv2d": lower, "conv3d": lower]

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
        let kernelVolume = kernel.reduce(1, *)
        let inSpatialStrides = Loops.strides(inSpatial), outSpatialStrides = Loops.strides(outSpatial)
        let kernelStrides = Loops.strides(kernel)

        // Inner body for one output position: sum over input channels of the group and taps.
        let outCoordinates = (0..<rank).map { IndexExpr.v("o\($0)") }
        var tapBody: [Stmt] = []
        var inCoordinates: [IndexExpr] = []
        var inBounds: Condition?
        for d in 0..<rank {
            let coordinate = outCoordinates[d] * .constant(stride[d]) - .constant(pad[d]) + .v("k\(d)") * .constant(dilation[d])
            inCoordinates.append(.v("p\(d)"))
            tapBody.append(.letIndex("p\(d)", coordinate))
            // Only positions that padding can reach need a check.
            if pad[d] > 0 || (outSpatial[d] - 1) * stride[d] + (kernel[d] - 1) * dilation[d] - pad[d] >= inSpatial[d] {
                let test = Condition.inRange(.v("p\(d)"), 0, .constant(inSpatial[d]))
                inBounds = inBounds.map { .and($0, test) } ?? test
            }
        }
        let load = ValueExpr.load(x, .v("xbase") + Loops.offset(inCoordinates, inSpatialStrides))
        let tap = ValueExpr.load(weight, .v("wbase") + Loops.offset((0..<rank).map { .v("k\($0)") }, kernelStrides))
        let accumulate = Stmt.assign("acc", .scalar("acc") + tap * load)
        tapBody.append(inBounds.map { .when($0, then: [accumulate], otherwise: []) } ?? accumulate)
        var taps = tapBody
        for d in (0..<rank).reversed() {
            taps = [.loop(variable: "k\(d)", lower: 0, upper: .constant(kernel[d]), schedule: .serial, body: taps)]
        }
        let channelLoop = Stmt.loop(variable: "c", lower: 0, upper: .constant(inPerGroup), schedule: .serial, body: [
            .letIndex("xbase", (.v("n") * .constant(inChannels) + .v("g") * .constant(inPerGroup) + .v("c")) * .constant(inPlane)),
            .letIndex("wbase", (.v("oc") * .constant(inPerGroup) + .v("c")) * .constant(kernelVolume)),
        ] + taps)
        let initial: ValueExpr = bias.map { .load($0, .v("oc")) } ?? .constant(0)
        var positions: [Stmt] = [
            .declare("acc", initial),
            channelLoop,
            .store(y, .v("ybase") + Loops.offset(outCoordinates, outSpatialStrides), .scalar("acc")),
        ]
        for d in (0..<rank).reversed() {
            positions = [.loop(variable: "o\(d)", lower: 0, upper: .constant(outSpatial[d]), schedule: .serial, body: positions)]
        }
        return [.loop(variable: "noc", lower: 0, upper: .constant(outShape[0] * outChannels), schedule: .parallel, body: [
            .letIndex("n", .v("noc") / .constant(outChannels)),
            .letIndex("oc", .v("noc") % .constant(outChannels)),
            .letIndex("g", .v("oc") / .constant(outPerGroup)),
            .letIndex("ybase", .v("noc") * .constant(outPlane)),
        ] + positions)]
    }
}
