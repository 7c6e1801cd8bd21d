/// Where a buffer a kernel is called on lives while the model runs: the model's run step
/// passes these to each kernel, and printers turn them into source (in C, `inputs[0]`,
/// `(arena + 512)`, `m->params[3]`).
public indirect enum BufferLocation: Hashable, Sendable {
    /// The caller's input buffer `k`.
    case input(Int)
    /// The caller's output buffer `k`.
    case output(Int)
    /// The arena (intermediate values and kernel scratch), from `offset` floats in.
    case arena(offset: Int)
    /// Entry `k` of the model's parameter table: a loaded weight, or a derived one computed
    /// when the model is created.
    case parameter(Int)
    /// The part of another location from `by` floats in (a value written straight into its
    /// slice of a concatenation).
    case offset(BufferLocation, by: Int)
    /// No storage planned for the value, or an unknown parameter: the program generator
    /// refuses to emit a call with one (an internal error), so it never reaches a printer.
    case absent

    /// Whether this is, or is part of, no location at all.
    public var isAbsent: Bool {
        switch self {
        case .absent: true
        case .offset(let base, _): base.isAbsent
        default: false
        }
    }
}

/// An output whose value lives in another buffer (an input, or another output): copied
/// there after the last kernel, `count` floats.
public struct BufferCopy: Hashable, Sendable {
    public var output: Int
    public var source: BufferLocation
    public var count: Int

    public init(output: Int, source: BufferLocation, count: Int) {
        self.output = output
        self.source = source
        self.count = count
    }
}

/// One step of a model's run, in order: a kernel function called on buffers (and the numbers
/// a function shared by several kernels takes), an output copied from where its value lives,
/// or, after kernel `kernel`'s call, its time added to the run's profile when one is kept.
public enum RunStep: Hashable, Sendable {
    case call(function: String, arguments: [BufferLocation], scalars: [ScalarArgument] = [])
    case copy(BufferCopy)
    case profileMark(kernel: Int)
}
