/// Declarations of pooling, layout, resampling, position-embedding and weight-packing ops.
enum OpGroupB {
    static let declarations: [any Op] = [
        PoolOp(.average), PoolOp(.max), PoolOp(.average, spatialRank: 3), PoolOp(.max, spatialRank: 3),
        AdaptivePool2dOp(.average), AdaptivePool2dOp(.max),
        ReshapeOp(), PermuteOp(), TransposeOp(), FlattenOp(),
        ConcatOp(), SplitOp(), UnbindOp(), SliceOp(), ExpandOp(),
        PadOp(), InterpolateOp(),
        SinePositionEmbeddingOp(),
        PackPanelsOp(), WinogradFilterOp(),
    ]
}
