import AttendBasic
import AttendIR

/// sine_position_embedding (see `SinePositionEmbeddingOp`): one loop nest per half (rows,
/// then columns), parallel over the half's channels. After `fold-constants` it runs once, as
/// the kernel of a derived parameter, when the model is created.
enum PositionLowering {
    static func sinePositionEmbedding(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let out = context.outputs[0]
        let g = SinePositionEmbeddingOp.Geometry(context.attributes)
        let plane = g.height * g.width
        let k = IndexExpr.v("k"), h = IndexExpr.v("h"), w = IndexExpr.v("w")
        // t_k = temperature ** (2 * (k // 2) / features), in float32 as PyTorch computes it.
        let wavelength = ValueExpr.binary(.pow, .constant(g.temperature), .index(k / 2 * 2) / .constant(Double(g.features)))
        func half(first: Int, position: ValueExpr) -> Stmt {
            let phase = position / .scalar("t")
            let value = ValueExpr.select(.equal(k % 2, 0), .unary(.sin, phase), .unary(.cos, phase))
            return .loop(variable: "k", lower: 0, upper: .constant(g.features), schedule: .parallel, body: [
                .declare("t", wavelength),
                .loop(variable: "h", lower: 0, upper: .constant(g.height), schedule: .serial, body: [
                    .loop(variable: "w", lower: 0, upper: .constant(g.width), schedule: .vectorized, body: [
                        .store(out, (.constant(first) + k) * .constant(plane) + h * .constant(g.width) + w, value),
                    ]),
                ]),
            ])
        }
        return [
            half(first: 0, position: .index(h + 1) * .constant(g.rowFactor)),
            half(first: g.features, position: .index(w + 1) * .constant(g.columnFactor)),
        ]
    }
}

extension SinePositionEmbeddingOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try PositionLowering.sinePositionEmbedding(context) }
}
