/// A step of a straight-line program, for liveness: the values it reads and those it writes.
/// Graph nodes are steps (inputs, outputs); so are code generation's kernels (the buffers
/// they read and store), which is why one analysis serves the interpreter, the scheduler
/// and the arena planner.
public protocol LivenessStep {
    var reads: [ValueID] { get }
    var writes: [ValueID] { get }
}

extension Node: LivenessStep {
    public var reads: [ValueID] { inputs }
    public var writes: [ValueID] { outputs }
}

/// When each value of a straight-line program is needed: the steps that write and read it,
/// in program order. The one liveness analysis of the project: the interpreter frees a value
/// after its last read, the `schedule` pass and the arena planner measure the peak of what
/// is alive at once, and the arena planner places values by lifetime.
public struct Liveness: Sendable {
    /// Steps given explicitly (what a kernel unit reads and stores, say).
    public struct Step: LivenessStep, Sendable {
        public var reads: [ValueID]
        public var writes: [ValueID]

        public init(reads: [ValueID], writes: [ValueID]) {
            self.reads = reads
            self.writes = writes
        }
    }

    /// The number of steps.
    public let stepCount: Int
    /// Values that stay alive to the end (graph outputs): never freed.
    public let kept: Set<ValueID>
    /// The first step writing each written value.
    public private(set) var firstWrite: [ValueID: Int] = [:]
    /// The last step writing each written value (a value assembled in parts is written by several).
    public private(set) var lastWrite: [ValueID: Int] = [:]
    /// The last step reading each read value.
    public private(set) var lastRead: [ValueID: Int] = [:]
    /// The steps reading each value, in program order, each once.
    public private(set) var readers: [ValueID: [Int]] = [:]

    public init<Steps: Sequence>(_ steps: Steps, keeping kept: Set<ValueID> = []) where Steps.Element: LivenessStep {
        var count = 0
        for (position, step) in steps.enumerated() {
            for value in step.writes {
                if firstWrite[value] == nil { firstWrite[value] = position }
                lastWrite[value] = position
            }
            for value in step.reads where lastRead[value] != position {
                lastRead[value] = position
                readers[value, default: []].append(position)
            }
            count = position + 1
        }
        stepCount = count
        self.kept = kept
    }

    /// Whether `step` is the last to read `value` and the value is not kept: it may be freed
    /// once the step is done.
    public func isLastRead(_ value: ValueID, at step: Int) -> Bool {
        lastRead[value] == step && !kept.contains(value)
    }

    /// The last step that reads or writes `value`, nil when none does.
    public func lastAccess(_ value: ValueID) -> Int? {
        switch (lastRead[value], lastWrite[value]) {
        case let (read?, write?): return max(read, write)
        case let (read, write): return read ?? write
        }
    }

    /// The steps a written value occupies memory: from its first write to its last access,
    /// or to the last step when it is kept. Nil for values no step writes (graph inputs:
    /// the caller's memory).
    public func lifetime(of value: ValueID) -> ClosedRange<Int>? {
        guard let first = firstWrite[value] else { return nil }
        let last = kept.contains(value) ? max(stepCount - 1, first) : max(lastAccess(value) ?? first, first)
        return first...last
    }

    /// The largest summed size of written values alive during one step (a step's outputs
    /// and inputs count together: it reads the one while writing the other).
    public func peak(size: (ValueID) -> Int) -> Int {
        Self.peak(firstWrite.keys.map { (lifetime(of: $0)!, size($0)) })
    }

    /// The largest summed size of intervals that overlap one position.
    public static func peak(_ intervals: [(lifetime: ClosedRange<Int>, size: Int)]) -> Int {
        guard let horizon = intervals.map(\.lifetime.upperBound).max() else { return 0 }
        // Sizes enter at their first position and leave after their last.
        var change = [Int](repeating: 0, count: horizon + 2)
        for (lifetime, size) in intervals where lifetime.upperBound >= 0 {
            change[max(lifetime.lowerBound, 0)] += size
            change[lifetime.upperBound + 1] -= size
        }
        var live = 0, peak = 0
        for delta in change {
            live += delta
            peak = max(peak, live)
        }
        return peak
    }
}
