/// Declarations of pooling, layout and resampling ops.
enum OpGroupB {
    static let declarations: [any Op] = [
        Pool2dOp(.average), Pool2dOp(.max),
        AdaptivePool2dOp(.average), AdaptivePool2dOp(.max),
        ReshapeOp(), PermuteOp(), TransposeOp(), FlattenOp(),
        ConcatOp(), SplitOp(), UnbindOp(), SliceOp(),
        PadOp(), InterpolateOp(),
    ]
}
