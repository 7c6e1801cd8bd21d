import AttendBasic
import AttendIR

/// pack_panels: one parallel loop over panels; each writes its panel column by column, rows
/// past the input's last one as zeros (see `PackPanelsOp`).
enum PackingLowering {
    static func packPanels(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let w = context.inputs[0], out = context.outputs[0]
        let shape = context.outputShapes[0], height = context.inputShapes[0][0]
        let (panels, columns, rows) = (shape[0], shape[1], shape[2])
        let row = IndexExpr.v("b") * .constant(rows) + .v("i")
        return [.loop(variable: "b", lower: 0, upper: .constant(panels), schedule: .parallel, body: [
            .loop(variable: "k", lower: 0, upper: .constant(columns), schedule: .serial, body: [
                .loop(variable: "i", lower: 0, upper: .constant(rows), schedule: .serial, body: [
                    .store(out, (.v("b") * .constant(columns) + .v("k")) * .constant(rows) + .v("i"),
                           .select(.less(row, .constant(height)), .load(w, row * .constant(columns) + .v("k")), .constant(0))),
                ]),
            ]),
        ])]
    }
}

extension PackPanelsOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try PackingLowering.packPanels(context) }
}
