import AttendBasic
import AttendIR

/// Direct transposed 2-D convolution: parallel over batch x output channels; each output
/// plane starts at the bias, and every (input channel, tap) scatters the input plane onto it,
/// rows and columns limited to those landing inside the output (so the innermost loop needs
/// no check). Each output element sums its terms in the interpreter's order.
enum ConvTransposeLowering {
    static func lower(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let a = context.attributes
        let x = context.inputs[0], y = context.outputs[0]
        let weight = try context.weight("weight")
        let bias = context.weights["bias"]
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        let kernel = a.ints("kernel"), stride = a.ints("stride"), pad = a.ints("pad"), dilation = a.ints("dilation")
        let groups = a.int("groups")
        let inChannels = inShape[1], outChannels = outShape[1]
        let inPerGroup = inChannels / groups, outPerGroup = outChannels / groups
        let inPlane = inShape[2] * inShape[3], outPlane = outShape[2] * outShape[3]
        let taps = kernel[0] * kernel[1]

        // Input rows (columns) i whose output position i * stride - shift lies in [0, out),
        // shift = pad - k * dilation: from ceil(shift / stride) to ceil((out + shift) / stride).
        func range(_ d: Int) -> (lower: IndexExpr, upper: IndexExpr, position: IndexExpr) {
            let shift = IndexExpr.constant(pad[d]) - .v("k\(d)") * .constant(dilation[d])
            let lower = IndexExpr.max(0, (shift + .constant(stride[d] - 1)) / .constant(stride[d]))
            let upper = IndexExpr.min(.constant(inShape[2 + d]), (.constant(outShape[2 + d]) + shift + .constant(stride[d] - 1)) / .constant(stride[d]))
            return (lower, upper, .v("i\(d)") * .constant(stride[d]) - shift)
        }
        let (rows, columns) = (range(0), range(1))
        let target = IndexExpr.v("ybase") + .v("o0") * .constant(outShape[3]) + columns.position
        let scatter = Stmt.loop(variable: "i0", lower: rows.lower, upper: rows.upper, schedule: .serial, body: [
            .letIndex("o0", rows.position),
            .loop(variable: "i1", lower: columns.lower, upper: columns.upper, schedule: .vectorized, body: [
                .store(y, target, .load(y, target) + .scalar("tap") * .load(x, .v("xbase") + .v("i0") * .constant(inShape[3]) + .v("i1"))),
            ]),
        ])
        let tapsLoop = Stmt.loop(variable: "k0", lower: 0, upper: .constant(kernel[0]), schedule: .serial, body: [
            .loop(variable: "k1", lower: 0, upper: .constant(kernel[1]), schedule: .serial, body: [
                .declare("tap", .load(weight, .v("wbase") + .v("k0") * .constant(kernel[1]) + .v("k1"))),
                scatter,
            ]),
        ])
        let channels = Stmt.loop(variable: "c", lower: 0, upper: .constant(inPerGroup), schedule: .serial, body: [
            .letIndex("ic", .v("g") * .constant(inPerGroup) + .v("c")),
            .letIndex("xbase", (.v("n") * .constant(inChannels) + .v("ic")) * .constant(inPlane)),
            .letIndex("wbase", (.v("ic") * .constant(outPerGroup) + .v("oc") % .constant(outPerGroup)) * .constant(taps)),
            tapsLoop,
        ])
        let initial = Stmt.loop(variable: "i", lower: 0, upper: .constant(outPlane), schedule: .vectorized, body: [
            .store(y, .v("ybase") + .v("i"), bias.map { .load($0, .v("oc")) } ?? .constant(0)),
        ])
        return [.loop(variable: "noc", lower: 0, upper: .constant(outShape[0] * outChannels), schedule: .parallel, body: [
            .letIndex("n", .v("noc") / .constant(outChannels)),
            .letIndex("oc", .v("noc") % .constant(outChannels)),
            .letIndex("g", .v("oc") / .constant(outPerGroup)),
            .letIndex("ybase", .v("noc") * .constant(outPlane)),
            initial, channels,
            .finalized(y, start: .v("ybase"), count: .constant(outPlane), stride: 1, alignment: outPlane),
        ])]
    }
}

extension ConvTransposeOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try ConvTransposeLowering.lower(context) }
    /// Each input pixel's taps are scattered into the output plane, summed in place.
    public func finalizesRegions(inputs: [[Int]], attributes: Attributes) -> Bool { true }
}
