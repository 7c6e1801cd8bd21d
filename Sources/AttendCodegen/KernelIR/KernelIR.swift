import AttendIR

/// The kernel IR: small loop nests over flat float32 buffers, the form every op (and, once
/// the optimizer fuses them, every fused group) lowers to. Printers (C today, Swift next)
/// turn it into source; they share everything but syntax (`KernelPrinter`). Passes over it
/// are hooks for its one traversal (`KernelWalker`).
///
/// It is built for the performance work that follows: loops carry a schedule hint
/// (`serial`, `parallel` outermost loops the runtime splits across threads, `vectorized`
/// innermost loops the C compiler can vectorize), bounds are static expressions, and a
/// `call` statement leaves room for hand-tuned microkernels.

/// A buffer a kernel reads or writes: flat, row-major float32.
public struct BufferRef: Hashable, Sendable {
    public var name: String
    public init(_ name: String) { self.name = name }
}

/// Integer index arithmetic (64-bit). Division and remainder are only emitted on
/// non-negative operands, where C's truncation equals flooring.
public indirect enum IndexExpr: Hashable, Sendable, ExpressibleByIntegerLiteral {
    case constant(Int)
    case variable(String)
    case add(IndexExpr, IndexExpr)
    case sub(IndexExpr, IndexExpr)
    case mul(IndexExpr, IndexExpr)
    case div(IndexExpr, IndexExpr)
    case mod(IndexExpr, IndexExpr)
    case min(IndexExpr, IndexExpr)
    case max(IndexExpr, IndexExpr)
    /// `floor(value)` of a float32 value as an index (resampling: source coordinates
    /// computed in float32 exactly as PyTorch does, then floored).
    case floor(ValueExpr)

    public init(integerLiteral value: Int) { self = .constant(value) }

    /// Builders that fold constants, so generated code stays readable (`i * 1 + 0` is `i`).
    public static func + (a: IndexExpr, b: IndexExpr) -> IndexExpr {
        switch (a, b) {
        case (.constant(0), _): return b
        case (_, .constant(0)): return a
        case (.constant(let x), .constant(let y)): return .constant(x + y)
        default: return .add(a, b)
        }
    }

    public static func - (a: IndexExpr, b: IndexExpr) -> IndexExpr {
        switch (a, b) {
        case (_, .constant(0)): return a
        case (.constant(let x), .constant(let y)): return .constant(x - y)
        default: return .sub(a, b)
        }
    }

    public static func * (a: IndexExpr, b: IndexExpr) -> IndexExpr {
        switch (a, b) {
        case (.constant(0), _), (_, .constant(0)): return .constant(0)
        case (.constant(1), _): return b
        case (_, .constant(1)): return a
        case (.constant(let x), .constant(let y)): return .constant(x * y)
        default: return .mul(a, b)
        }
    }

    public static func / (a: IndexExpr, b: IndexExpr) -> IndexExpr {
        switch (a, b) {
        case (_, .constant(1)): return a
        case (.constant(let x), .constant(let y)) where y > 0 && x >= 0: return .constant(x / y)
        default: return .div(a, b)
        }
    }

    public static func % (a: IndexExpr, b: IndexExpr) -> IndexExpr {
        switch (a, b) {
        case (_, .constant(1)): return .constant(0)
        case (.constant(let x), .constant(let y)) where y > 0 && x >= 0: return .constant(x % y)
        default: return .mod(a, b)
        }
    }

    public static func v(_ name: String) -> IndexExpr { .variable(name) }
}

/// A comparison of indices, for bounds checks (padding) and conditional reads.
public indirect enum Condition: Hashable, Sendable {
    case less(IndexExpr, IndexExpr)
    case lessEqual(IndexExpr, IndexExpr)
    case equal(IndexExpr, IndexExpr)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)

    /// `low <= index < high`.
    public static func inRange(_ index: IndexExpr, _ low: IndexExpr, _ high: IndexExpr) -> Condition {
        .and(.lessEqual(low, index), .less(index, high))
    }
}

/// A float32 value.
public indirect enum ValueExpr: Hashable, Sendable {
    case constant(Double)
    /// A scalar declared by `.declare` (accumulators, temporaries).
    case scalar(String)
    case load(BufferRef, IndexExpr)
    case unary(ScalarFormula.UnaryFunction, ValueExpr)
    case binary(ScalarFormula.BinaryFunction, ValueExpr, ValueExpr)
    case select(Condition, ValueExpr, ValueExpr)
    /// An index converted to float (interpolation weights).
    case index(IndexExpr)
    /// The sum of the lanes of a vector of `width` lanes (in an unspecified order).
    case horizontalSum(VectorExpr, width: Int)

    /// The value of an op's scalar formula with its operands replaced by `operands`.
    public static func formula(_ formula: ScalarFormula, operands: [ValueExpr], arguments: Attributes = Attributes()) -> ValueExpr {
        switch formula {
        case .operand(let i): return operands[Swift.min(i, operands.count - 1)]
        case .constant(let v): return .constant(v)
        case .argument(let name): return .constant(arguments.optionalFloat(name) ?? 0)
        case .unary(let f, let a): return .unary(f, Self.formula(a, operands: operands, arguments: arguments))
        case .binary(let f, let a, let b):
            return .binary(f, Self.formula(a, operands: operands, arguments: arguments), Self.formula(b, operands: operands, arguments: arguments))
        }
    }

    public static func + (a: ValueExpr, b: ValueExpr) -> ValueExpr { .binary(.add, a, b) }
    public static func - (a: ValueExpr, b: ValueExpr) -> ValueExpr { .binary(.sub, a, b) }
    public static func * (a: ValueExpr, b: ValueExpr) -> ValueExpr { .binary(.mul, a, b) }
    public static func / (a: ValueExpr, b: ValueExpr) -> ValueExpr { .binary(.div, a, b) }
}

/// A vector of `width` float32 lanes (the target's vector width, or a divisor of it).
/// Printers map it to the target's SIMD type: GCC/Clang vector extensions in C, `SIMDn<Float>`
/// in Swift.
public indirect enum VectorExpr: Hashable, Sendable {
    /// `width` consecutive elements from `buffer[index]`; `aligned` promises that the address
    /// is a multiple of the vector's size.
    case load(BufferRef, IndexExpr, width: Int, aligned: Bool)
    /// A scalar in every lane.
    case broadcast(ValueExpr, width: Int)
    /// A vector declared by `Stmt.declareVector` (a register-tile accumulator or an operand).
    case register(String)
    /// `a * b + c` lane by lane, with one rounding (builds contract it into FMA instructions).
    case fma(VectorExpr, VectorExpr, VectorExpr)
    /// Lane-by-lane arithmetic.
    case arithmetic(Arithmetic, VectorExpr, VectorExpr)

    public enum Arithmetic: Hashable, Sendable { case add, sub, mul, div }

    public static func + (a: VectorExpr, b: VectorExpr) -> VectorExpr { .arithmetic(.add, a, b) }
    public static func * (a: VectorExpr, b: VectorExpr) -> VectorExpr { .arithmetic(.mul, a, b) }
}

/// How a loop may be executed.
public enum LoopSchedule: Hashable, Sendable {
    case serial
    /// Iterations are independent and may run on different threads (outermost loops only).
    case parallel
    /// The innermost loop: contiguous, independent iterations the C compiler can vectorize.
    case vectorized
    /// The innermost loop of sums into the scalars `sums` and NaN-propagating maxima (as
    /// `ScalarFormula.BinaryFunction.max`) into `maxima`: iterations may be reassociated and
    /// vectorized (printed as an OpenMP SIMD reduction; builds pass `-fopenmp-simd`). A
    /// maximum is exact in any order, a sum rounds differently.
    case vectorizedReduction(sums: [String], maxima: [String])

    /// A vectorized loop summing into `accumulator`.
    public static func vectorizedSum(_ accumulator: String) -> LoopSchedule { .vectorizedReduction(sums: [accumulator], maxima: []) }
}

/// A statement of a kernel body.
public indirect enum Stmt: Hashable, Sendable {
    /// `for (variable = lower; variable < upper; variable += 1)`.
    case loop(variable: String, lower: IndexExpr, upper: IndexExpr, schedule: LoopSchedule, body: [Stmt])
    /// `int64_t name = value;`
    case letIndex(String, IndexExpr)
    /// `float name = value;` (a new scalar).
    case declare(String, ValueExpr)
    /// `name = value;` (an existing scalar).
    case assign(String, ValueExpr)
    /// `buffer[index] = value;`
    case store(BufferRef, IndexExpr, ValueExpr)
    case when(Condition, then: [Stmt], otherwise: [Stmt])
    /// A call of a runtime microkernel by name with buffers and sizes, for hand-tuned code.
    case call(String, buffers: [BufferRef], sizes: [IndexExpr])
    /// A comment in the generated source.
    case comment(String)
    /// Elements `start + stride * i` (i < count) of `buffer` hold their final values from
    /// here on; `start` is a multiple of `alignment`. Lowerings that accumulate in their
    /// output mark each finished region, so a fused epilogue (and a reduction over whole
    /// windows of it) can run on it while it is still in cache; printers ignore it.
    /// With `values`, the region's final values are still elsewhere (a register tile parked
    /// in a local array) and the marker stands for storing them: a fused epilogue then reads
    /// them from there and stores the anchor's output only if something else reads it,
    /// saving the round trip through the output; without an epilogue the marker becomes
    /// the copy (`expandingFinalizedValues`).
    case finalized(BufferRef, start: IndexExpr, count: IndexExpr, stride: Int, alignment: Int, values: FinalizedValues? = nil)
    /// A kernel-local array of `count` floats (one row of attention scores, a packed panel),
    /// named like a buffer; aligned to the target's vector size.
    case localArray(BufferRef, count: Int)
    /// A new vector of `width` lanes: `name = value` (register-tile accumulators, operands).
    case declareVector(String, width: Int, VectorExpr)
    /// `name = value` for a declared vector.
    case assignVector(String, VectorExpr)
    /// Stores a vector's lanes to `width` consecutive elements from `buffer[index]`.
    case storeVector(BufferRef, IndexExpr, VectorExpr, width: Int, aligned: Bool)
    /// Stores the first `count` lanes of a vector (`0 <= count <= width`) to consecutive
    /// elements from `buffer[index]`; the lanes past `count` are not written.
    case storeVectorLanes(BufferRef, IndexExpr, VectorExpr, width: Int, count: IndexExpr)
    /// The transpose of `rows` (`width` vectors of `width` lanes) stored as `width * width`
    /// consecutive elements from `buffer[index]`: element `j * width + i` is lane `j` of
    /// `rows[i]`. A register tile with channels along its vectors becomes one run of pixels
    /// per channel (in a local array), each then stored into its plane.
    case transpose(BufferRef, IndexExpr, rows: [VectorExpr], width: Int)
    /// A hint that the cache line holding `buffer[index]` is read soon (weights streaming
    /// from memory while the current ones are in use), to be fetched into L2, not L1: the
    /// next block of a register-tiled product's weights is as large as the current one,
    /// which fills half of L1 (measured against fetching into L1: 0.95-0.98x the time on
    /// the 3x3 512x7x7 layer, 0.98-0.99x on se_resnet). Computes nothing; `index` must lie
    /// within the buffer.
    case prefetch(BufferRef, IndexExpr)
    /// Runs `Kernel.tasks[task]` on the thread pool and waits for it to finish: a top-level
    /// parallel loop once `Kernel.outliningParallelLoops` took it out.
    case runParallel(task: Int)
}

/// One kernel: a function over named buffers.
public struct Kernel: Hashable, Sendable {
    public enum Role: Hashable, Sendable { case input, output, weight }

    public struct Parameter: Hashable, Sendable {
        public var buffer: BufferRef
        public var role: Role
        /// Elements of the buffer the kernel may touch (checked in tests, documented in code).
        public var count: Int
        public init(_ buffer: BufferRef, _ role: Role, count: Int) {
            self.buffer = buffer
            self.role = role
            self.count = count
        }
    }

    /// A C identifier (already mangled and unique).
    public var name: String
    /// What the kernel computes, e.g. the layers it covers; printed as a comment (sanitized).
    public var comment: String
    public var parameters: [Parameter]
    /// Numbers the kernel takes after its buffers (empty unless `sharingFunctions` made the
    /// kernel serve several shapes).
    public var scalars: [ScalarParameter]
    public var body: [Stmt]
    /// The parallel loops outlined from `body` (empty until `outliningParallelLoops`).
    public var tasks: [ParallelTask]

    public init(name: String, comment: String, parameters: [Parameter], scalars: [ScalarParameter] = [], body: [Stmt], tasks: [ParallelTask] = []) {
        self.name = name
        self.comment = comment
        self.parameters = parameters
        self.scalars = scalars
        self.body = body
        self.tasks = tasks
    }
}

/// Where a finalized region's values are until stored: element `i` of the region is
/// `buffer[start + i]` (consecutive, whatever the region's stride).
public struct FinalizedValues: Hashable, Sendable {
    public var buffer: BufferRef
    public var start: IndexExpr

    public init(buffer: BufferRef, start: IndexExpr) {
        self.buffer = buffer
        self.start = start
    }

    /// The value of the region's element `offset`.
    func value(at offset: IndexExpr) -> ValueExpr { .load(buffer, start + offset) }
}

/// A number a kernel is called with besides its buffers: a size, stride or offset (an index,
/// which the body reads as `IndexExpr.variable(name)`) or a float32 value (a scale, which the
/// body reads as `ValueExpr.scalar(name)`). One kernel function then serves kernels that
/// differ only in these numbers (`Kernel.sharingFunctions`).
public struct ScalarParameter: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case index, float }
    public var name: String
    public var kind: Kind
    public init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// The value a call passes for a `ScalarParameter`.
public enum ScalarArgument: Hashable, Sendable {
    case index(Int)
    case float(Double)
}
