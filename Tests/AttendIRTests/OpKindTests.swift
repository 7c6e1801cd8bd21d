import AttendIR
import Testing

/// Ops that share a Swift type are told apart by the type's stored kind, which passes and
/// backends dispatch on: every kind is registered, under its own name.
struct OpKindTests {
    @Test func everyElementwiseKindIsRegistered() throws {
        for kind in ElementwiseOp.Kind.allCases {
            let op = try #require(OpRegistry.op(named: kind.rawValue) as? ElementwiseOp, "\(kind)")
            #expect(op.kind == kind)
            #expect(ElementwiseOp.declared(kind).name == kind.rawValue)
        }
        #expect(OpRegistry.elementwise.count == ElementwiseOp.Kind.allCases.count)
    }

    @Test func everyReductionKindIsRegistered() throws {
        for kind in ReductionOp.Kind.allCases {
            let op = try #require(OpRegistry.op(named: kind.rawValue) as? ReductionOp, "\(kind)")
            #expect(op.kind == kind)
        }
    }
}
