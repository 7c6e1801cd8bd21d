import AttendIR
import Testing

/// The one liveness analysis: lifetimes, last reads and peaks over a small program.
struct LivenessTests {
    let a = ValueID(0), b = ValueID(1), c = ValueID(2), d = ValueID(3), e = ValueID(4)

    /// `a` is an input; step 0 writes b from a, step 1 writes c from a and b (a's last read),
    /// step 2 writes d from b and c and writes e, which nothing reads; d is kept.
    var liveness: Liveness {
        Liveness([
            Liveness.Step(reads: [a], writes: [b]),
            Liveness.Step(reads: [a, b, a], writes: [c]),
            Liveness.Step(reads: [b, c], writes: [d, e]),
        ], keeping: [d])
    }

    @Test func lifetimesRunFromFirstWriteToLastAccess() {
        #expect(liveness.lifetime(of: a) == nil)
        #expect(liveness.lifetime(of: b) == 0...2)
        #expect(liveness.lifetime(of: c) == 1...2)
        #expect(liveness.lifetime(of: d) == 2...2)
        #expect(liveness.lifetime(of: e) == 2...2)
        #expect(liveness.readers[a] == [0, 1])
        #expect(liveness.readers[e] == nil)
    }

    @Test func keptValuesAreNeverFreed() {
        #expect(liveness.isLastRead(a, at: 1))
        #expect(!liveness.isLastRead(a, at: 0))
        #expect(liveness.isLastRead(c, at: 2))
        let kept = Liveness([Liveness.Step(reads: [a], writes: [b]), Liveness.Step(reads: [b], writes: [c])], keeping: [b])
        #expect(!kept.isLastRead(b, at: 1))
        #expect(kept.lifetime(of: b) == 0...1)
    }

    @Test func peakCountsWhatIsAliveDuringOneStep() {
        let sizes: [ValueID: Int] = [a: 1000, b: 10, c: 20, d: 40, e: 80]
        // Step 2 holds b, c, d and e (a is the caller's).
        #expect(liveness.peak { sizes[$0]! } == 150)
        #expect(Liveness.peak([(0...0, 5), (1...3, 7), (3...4, 2)]) == 9)
        #expect(Liveness.peak([]) == 0)
    }

    @Test func aValueWrittenInPartsLivesFromTheFirstPartToTheLastAccess() {
        let parts = Liveness([
            Liveness.Step(reads: [], writes: [a]),
            Liveness.Step(reads: [], writes: [b]),
            Liveness.Step(reads: [], writes: [a]),
        ])
        #expect(parts.lifetime(of: a) == 0...2)
        #expect(parts.lastRead[a] == nil)
        #expect(parts.lastAccess(a) == 2)
    }
}
