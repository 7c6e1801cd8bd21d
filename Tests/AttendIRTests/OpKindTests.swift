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

    /// CSE and derived-parameter merging compare ops by identity (type and variant), not by
    /// name: every registered op needs its own, or two different ops would merge.
    @Test func everyRegisteredOpHasItsOwnIdentity() throws {
        #expect(Set(OpRegistry.all.map(\.identity)).count == OpRegistry.all.count)
        for op in OpRegistry.all { #expect(try #require(OpRegistry.op(named: op.name)).identity == op.identity) }
        for kind in ElementwiseOp.Kind.allCases {
            #expect(ElementwiseOp.declared(kind).identity == OpRegistry.op(named: kind.rawValue)?.identity)
        }
        #expect(PoolOp(.max).identity != PoolOp(.max, spatialRank: 3).identity)
        #expect(PoolOp(.max).identity != AdaptivePool2dOp(.max).identity)
    }
}
