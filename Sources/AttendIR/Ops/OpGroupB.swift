/// Declarations of pooling, layout and resampling ops.
enum OpGroupB {
    static let declarations: [any Op] = []
}
