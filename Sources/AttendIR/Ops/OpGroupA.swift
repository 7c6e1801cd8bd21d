/// Declarations of linear algebra, normalization, reduction and parameter ops.
enum OpGroupA {
    static let declarations: [any Op] = []
}
