/// Declarations of linear algebra, normalization, reduction and parameter ops.
enum OpGroupA {
    static let declarations: [any Op] = [
        LinearOp(),
        MatmulOp(),
        SoftmaxOp(),
        LayerNormOp(),
        BatchNormOp(),
        BatchNormOp(frozen: true),
        GroupNormOp(),
        ReductionOp(.mean),
        ReductionOp(.sum),
        ReductionOp(.max),
        IdentityOp(),
        DropoutOp(),
        ParameterOp(),
        PReLUOp(),
    ]
}
