import AttendIR

/// Lowerings of pooling, layout and resampling ops.
enum LoweringGroupB {
    static let table: [String: Lowering] = [:]
}
