import AttendIR

/// Lowerings of linear algebra, normalization, reduction and parameter ops.
enum LoweringGroupA {
    static let table: [String: Lowering] = [:]
}
