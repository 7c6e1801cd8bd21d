import AttendBasic
import Testing

/// `repeat` and graph size are bounded before the work they cause: `repeat: 1000000000`
/// aborted in an allocation after minutes, and `repeat: 1000000` took 18 s and 0.7 GB.
@Suite struct ElaborationLimitsTests {
    @Test func aRepeatPastTheLimitIsRefusedAtItsCount() throws {
        let error = try #require(SpecHelpers.error("""
            attend: 1
            name: m
            params: {n: 1000000000}
            inputs: {x: [1, 2]}
            layers:
              - r: {op: relu, repeat: n}
            """))
        #expect(error.message == "repeat 1000000000 is more than the limit of \(Limits.repeatCount) copies")
        #expect(error.location?.line == 6)
    }

    @Test func aModelGrowingPastTheNodeLimitStopsThere() throws {
        let copies = Limits.graphNodes / Limits.repeatCount + 1
        let error = try #require(SpecHelpers.error("""
            attend: 1
            name: m
            inputs: {x: [1, 2]}
            blocks:
              chain:
                inputs: {x: [N, C]}
                layers:
                  - r: {op: relu, repeat: \(Limits.repeatCount)}
            layers:
              - c: {op: chain, repeat: \(copies)}
            """))
        #expect(error.message.hasPrefix("the model grows past \(Limits.graphNodes) nodes (the limit) at layer 'c.\(copies - 1).r."))
        #expect(error.location?.line == 8)
        #expect(error.notes.first?.message == "in block 'chain' called as 'c.\(copies - 1)' here")
    }
}
