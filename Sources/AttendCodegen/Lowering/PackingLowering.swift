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

    /// winograd_filter: one parallel loop over panels; each position of each row's transform
    /// is one sum over the taps with the transform's coefficients as constants (see
    /// `WinogradFilterOp`), rows past their group's last output channel zeros.
    static func winogradFilter(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let w = context.inputs[0], out = context.outputs[0]
        let shape = context.outputShapes[0]
        let (positions, panels, channels, rows) = (shape[0], shape[1], shape[2], shape[3])
        guard let transform = WinogradTransform(m: context.attributes.int("tile")) else {
            throw .error("winograd_filter: no transform for tile \(context.attributes.int("tile"))")
        }
        let layout = WinogradPanels(outChannels: context.inputShapes[0][0], groups: context.attributes.int("groups"), rows: rows)
        func c(_ v: Int) -> IndexExpr { .constant(v) }
        let row = layout.channel(ofPanel: .v("b")) + .v("i")
        let tap = (row * c(channels) + .v("c")) * c(9)
        let stores: [Stmt] = (0..<positions).map { p in
            var sum: ValueExpr?
            for u in 0..<3 {
                for v in 0..<3 {
                    let coefficient = transform.filterCoefficient(p / transform.alpha, p % transform.alpha, u, v)
                    guard coefficient != 0 else { continue }
                    let term = ValueExpr.constant(coefficient) * .load(w, tap + c(u * 3 + v))
                    sum = sum.map { $0 + term } ?? term
                }
            }
            return .store(out, ((c(p * panels) + .v("b")) * c(channels) + .v("c")) * c(rows) + .v("i"),
                          .select(.less(layout.offset(ofPanel: .v("b")) + .v("i"), c(layout.rowLimit)), sum ?? .constant(0), .constant(0)))
        }
        return [.loop(variable: "b", lower: 0, upper: c(panels), schedule: .parallel, body: [
            .loop(variable: "c", lower: 0, upper: c(channels), schedule: .serial, body: [
                .loop(variable: "i", lower: 0, upper: c(rows), schedule: .serial, body: stores),
            ]),
        ])]
    }
}

extension WinogradPanels {
    /// Panel `b`'s first row's position among its group's rows (among all channels where
    /// groups are not padded): its rows are channels while below `rowLimit`.
    func offset(ofPanel b: IndexExpr) -> IndexExpr {
        padsGroups ? b % .constant(perGroupPanels) * .constant(rows) : b * .constant(rows)
    }

    /// Panel `b`'s first channel.
    func channel(ofPanel b: IndexExpr) -> IndexExpr {
        padsGroups ? b / .constant(perGroupPanels) * .constant(perGroup) + offset(ofPanel: b) : offset(ofPanel: b)
    }
}

extension PackPanelsOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try PackingLowering.packPanels(context) }
}

extension WinogradFilterOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try PackingLowering.winogradFilter(context) }
}
