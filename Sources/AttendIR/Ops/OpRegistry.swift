/// Every primitive op, by name. Ops and blocks share one namespace in the spec language;
/// this registry is the op half, and the single list the JSON schema, `attend check`'s docs,
/// the frontend and the interpreter all read.
public enum OpRegistry {
    public static let all: [any Op] = {
        var ops: [any Op] = ElementwiseOp.declarations
        ops += [ConvOp(spatialRank: 1), ConvOp(spatialRank: 2), ConvOp(spatialRank: 3), ConvTransposeOp()]
        ops += [LinearOp(), MatmulOp()]
        ops += [SoftmaxOp(), LayerNormOp(), BatchNormOp(), BatchNormOp(frozen: true), GroupNormOp()]
        ops += ReductionOp.Kind.allCases.map(ReductionOp.init)
        ops += [IdentityOp(), DropoutOp(), ParameterOp(), PReLUOp()]
        ops += [PoolOp(.average), PoolOp(.max), PoolOp(.average, spatialRank: 3), PoolOp(.max, spatialRank: 3),
                AdaptivePool2dOp(.average), AdaptivePool2dOp(.max)]
        ops += [ReshapeOp(), PermuteOp(), TransposeOp(), FlattenOp(), ConcatOp(), SplitOp(), UnbindOp(), SliceOp(), ExpandOp()]
        ops += [PadOp(), InterpolateOp(), SinePositionEmbeddingOp(), PackPanelsOp(), WinogradFilterOp(), ReorderOp()]
        return ops.sorted { $0.name < $1.name }
    }()

    private static let byName: [String: any Op] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func op(named name: String) -> (any Op)? { byName[name] }

    public static var names: [String] { all.map(\.name) }

    /// The elementwise ops: every backend serves them all with one formula-driven kernel.
    public static var elementwise: [ElementwiseOp] { all.compactMap { $0 as? ElementwiseOp } }
}
