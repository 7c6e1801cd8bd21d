import AttendIR

/// Prints kernel IR as C11: only syntax; the traversal is `KernelPrinter`'s. Kernels are
/// functions over `restrict` float buffers and the runtime's thread pool (`static`, or
/// external with hidden visibility when called from another file); each outlined parallel
/// task is a function of a range of its loop, reading the kernel's buffers from a context
/// struct, which `attend_parallel_for` splits across the pool's threads. Buffer locations
/// are the generated `run` function's: its `inputs` and `outputs`, its `arena`, the model's
/// `m->params`.
public struct CPrinter: KernelPrinter {
    public init() {}

    public let indentation = "    "

    // MARK: Kernels

    public func kernelSource(_ kernel: Kernel, external: Bool) -> String {
        var lines = ["/* \(Naming.comment(kernel.comment)) */"]
        if !kernel.tasks.isEmpty {
            lines.append("typedef struct {")
            for parameter in kernel.parameters { lines.append("    \(declaration(parameter));") }
            for scalar in kernel.scalars { lines.append("    \(declaration(scalar));") }
            lines.append("} \(context(kernel));")
            for (number, task) in kernel.tasks.enumerated() { lines += outlined(task, number: number, of: kernel) }
        }
        lines.append("\(external ? "ATTEND_KERNEL" : "static") \(signature(kernel)) {")
        // A kernel run inline (small enough for one thread) may leave buffers unread, as a task does.
        if kernel.tasks.isEmpty {
            lines.append(unusedCasts(kernel.parameters.map(\.buffer.name) + kernel.scalars.map(\.name) + ["pool"]))
        }
        lines += statements(kernel.body, depth: 1, in: kernel)
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The declaration of an external kernel, for the file that calls it.
    public func prototype(_ kernel: Kernel) -> String { "ATTEND_KERNEL \(signature(kernel));" }

    /// Its buffers in order (inputs and weights read-only), its scalars, then the thread pool
    /// its tasks run on.
    public func signature(_ kernel: Kernel) -> String {
        "void \(kernel.name)(\((kernel.parameters.map(declaration) + kernel.scalars.map(declaration) + ["attend_pool *pool"]).joined(separator: ", ")))"
    }

    /// `(void)name;` for each name, as one indented line: a function (a task, or a kernel run
    /// inline) need not read every buffer it is given, and the build allows no warnings.
    private func unusedCasts(_ names: [String]) -> String { "    " + names.map { "(void)\($0);" }.joined(separator: " ") }

    private func taskName(_ number: Int, of kernel: Kernel) -> String { "\(kernel.name)_task\(number)" }
    private func context(_ kernel: Kernel) -> String { "\(kernel.name)_context" }

    /// A task's function: the range `begin..<end` of its loop, the kernel's buffers from the context.
    private func outlined(_ task: ParallelTask, number: Int, of kernel: Kernel) -> [String] {
        var lines = ["static void \(taskName(number, of: kernel))(void *opaque, int64_t begin, int64_t end) {",
                     "    const \(context(kernel)) *context = opaque;"]
        for parameter in task.captures {
            lines.append("    \(declaration(parameter)) = context->\(parameter.buffer.name);")
        }
        for scalar in task.scalars {
            lines.append("    const \(declaration(scalar)) = context->\(scalar.name);")
        }
        // A kernel with several parallel loops gives each task every buffer; not all use all.
        lines.append(unusedCasts(task.captures.map(\.buffer.name) + task.scalars.map(\.name)))
        lines.append("    for (int64_t \(task.variable) = begin; \(task.variable) < end; \(task.variable)++) {")
        lines += statements(task.body, depth: 2, in: kernel)
        lines.append("    }")
        lines.append("}")
        return lines
    }

    public func runParallel(task number: Int, of kernel: Kernel, lower: String, upper: String) -> [String] {
        let task = kernel.tasks[number]
        let captured = (task.captures.map(\.buffer.name) + task.scalars.map(\.name)).joined(separator: ", ")
        return ["{ \(context(kernel)) context = { \(captured) };",
                "  attend_parallel_for(pool, \(lower), \(upper), \(taskName(number, of: kernel)), &context); }"]
    }

    private func declaration(_ parameter: Kernel.Parameter) -> String {
        parameter.role == .output ? "float *restrict \(parameter.buffer.name)" : "const float *restrict \(parameter.buffer.name)"
    }

    private func declaration(_ scalar: ScalarParameter) -> String {
        switch scalar.kind {
        case .index: "int64_t \(scalar.name)"
        case .float: "float \(scalar.name)"
        }
    }

    // MARK: Statements

    public func loopOpening(variable: String, lower: String, upper: String, schedule: LoopSchedule) -> [String] {
        var lines: [String] = []
        if case .vectorizedReduction(let sums, let maxima) = schedule {
            let clauses = (sums.isEmpty ? [] : ["reduction(+:\(sums.joined(separator: ", ")))"])
                + (maxima.isEmpty ? [] : ["reduction(\(Self.maxReduction):\(maxima.joined(separator: ", ")))"])
            lines.append("#pragma omp simd \(clauses.joined(separator: " "))")
        }
        lines.append("for (int64_t \(variable) = \(lower); \(variable) < \(upper); \(variable)++) {")
        return lines
    }

    public func conditionalOpening(_ condition: String) -> String { "if (\(condition)) {" }
    public let alternativeOpening = "} else {"
    public let blockClosing = "}"
    public func letIndex(_ name: String, _ value: String) -> String { "const int64_t \(name) = \(value);" }
    public func declare(_ name: String, _ value: String) -> String { "float \(name) = \(value);" }
    public func assign(_ name: String, _ value: String) -> String { "\(name) = \(value);" }
    public func store(_ buffer: BufferRef, at index: String, _ value: String) -> String { "\(buffer.name)[\(index)] = \(value);" }
    public func call(_ function: String, buffers: [BufferRef], sizes: [String]) -> String {
        "\(function)(\((buffers.map(\.name) + sizes).joined(separator: ", ")));"
    }
    public func comment(_ text: String) -> String { "/* \(Naming.comment(text)) */" }
    public func localArray(_ buffer: BufferRef, count: Int) -> String { "_Alignas(64) float \(buffer.name)[\(count)];" }
    public func declareVector(_ name: String, width: Int, _ value: String) -> String { "\(Self.vectorType(width)) \(name) = \(value);" }
    public func assignVector(_ name: String, _ value: String) -> String { "\(name) = \(value);" }
    public func storeVector(_ buffer: BufferRef, at index: String, _ value: String, width: Int, aligned: Bool) -> String {
        "attend_store\(aligned ? "a" : "")_f32x\(width)(\(buffer.name) + \(index), \(value));"
    }
    public func storeVectorLanes(_ buffer: BufferRef, at index: String, _ value: String, width: Int, count: String) -> String {
        "attend_storen_f32x\(width)(\(buffer.name) + \(index), \(value), \(count));"
    }
    /// The rows as a compound literal array, which the prelude's `attend_transpose_f32x<width>`
    /// (one out-of-line copy per file) transposes into the buffer.
    public func transpose(_ buffer: BufferRef, at index: String, rows: [String], width: Int) -> String {
        "attend_transpose_f32x\(width)(\(buffer.name) + \(index), (\(Self.vectorType(width))[\(width)]){\(rows.joined(separator: ", "))});"
    }
    /// For reading, kept in every cache level.
    /// Into L2 (`Stmt.prefetch`): locality 2 prints as `prefetcht1` on x86.
    public func prefetch(_ buffer: BufferRef, at index: String) -> String { "__builtin_prefetch(\(buffer.name) + \(index), 0, 2);" }

    // MARK: Expressions

    public func indexConstant(_ value: Int) -> String { value < 0 ? "(\(value))" : String(value) }
    public func indexVariable(_ name: String) -> String { name }
    public func indexArithmetic(_ operation: IndexArithmetic, _ a: String, _ b: String) -> String {
        switch operation {
        case .add: "(\(a) + \(b))"
        case .sub: "(\(a) - \(b))"
        case .mul: "(\(a) * \(b))"
        case .div: "(\(a) / \(b))"
        case .mod: "(\(a) % \(b))"
        case .min: "attend_min_i64(\(a), \(b))"
        case .max: "attend_max_i64(\(a), \(b))"
        }
    }
    public func indexFloor(_ value: String) -> String { "((int64_t)floorf(\(value)))" }

    public func comparison(_ comparison: IndexComparison, _ a: String, _ b: String) -> String {
        switch comparison {
        case .less: "\(a) < \(b)"
        case .lessEqual: "\(a) <= \(b)"
        case .equal: "\(a) == \(b)"
        }
    }
    public func connective(both: Bool, _ a: String, _ b: String) -> String { "(\(a)) \(both ? "&&" : "||") (\(b))" }
    public func negation(_ condition: String) -> String { "!(\(condition))" }

    public func floatConstant(_ value: Double) -> String { Self.floatLiteral(value) }
    public func scalar(_ name: String) -> String { name }
    public func load(_ buffer: BufferRef, at index: String) -> String { "\(buffer.name)[\(index)]" }
    public func indexValue(_ index: String) -> String { "(float)\(index)" }
    public func select(_ condition: String, _ a: String, _ b: String) -> String { "((\(condition)) ? \(a) : \(b))" }
    public func horizontalSum(_ vector: String, width: Int) -> String { "attend_hsum_f32x\(width)(\(vector))" }
    public func unary(_ function: ScalarFormula.UnaryFunction, _ a: String) -> String {
        switch function {
        case .neg: "(-\(a))"
        case .abs: "fabsf(\(a))"
        case .sqrt: "sqrtf(\(a))"
        case .exp: "expf(\(a))"
        case .log: "logf(\(a))"
        case .tanh: "tanhf(\(a))"
        case .erf: "erff(\(a))"
        case .sin: "sinf(\(a))"
        case .cos: "cosf(\(a))"
        }
    }
    public func binary(_ function: ScalarFormula.BinaryFunction, _ a: String, _ b: String) -> String {
        switch function {
        case .add: "(\(a) + \(b))"
        case .sub: "(\(a) - \(b))"
        case .mul: "(\(a) * \(b))"
        case .div: "(\(a) / \(b))"
        case .pow: "powf(\(a), \(b))"
        case .max: "attend_maxf(\(a), \(b))"
        case .min: "attend_minf(\(a), \(b))"
        }
    }

    /// Vectors are GCC/Clang vector extensions (`a * b + c` contracts into FMA under
    /// `-ffp-contract=fast`, which every build passes).
    public func vectorLoad(_ buffer: BufferRef, at index: String, width: Int, aligned: Bool) -> String {
        "attend_load\(aligned ? "a" : "")_f32x\(width)(\(buffer.name) + \(index))"
    }
    public func broadcast(_ value: String, width: Int) -> String { "attend_broadcast_f32x\(width)(\(value))" }
    public func register(_ name: String) -> String { name }
    public func fma(_ a: String, _ b: String, _ c: String) -> String { "(\(a) * \(b) + \(c))" }
    public func vectorArithmetic(_ operation: VectorExpr.Arithmetic, _ a: String, _ b: String) -> String {
        let symbol = switch operation {
        case .add: "+"
        case .sub: "-"
        case .mul: "*"
        case .div: "/"
        }
        return "(\(a) \(symbol) \(b))"
    }

    // MARK: The model's run

    /// A location as the generated `run` function sees it.
    public func location(_ location: BufferLocation) -> String {
        switch location {
        case .input(let k): "inputs[\(k)]"
        case .output(let k): "outputs[\(k)]"
        case .arena(let offset): "(arena + \(offset))"
        case .parameter(let k): "m->params[\(k)]"
        case .offset(let base, let offset): "(\(self.location(base)) + \(offset))"
        case .absent: "NULL"
        }
    }

    /// A line of `run`: a kernel called on its buffers and the model's pool, or an output copied.
    public func runStep(_ step: RunStep) -> String {
        switch step {
        case .call(let function, let arguments, let scalars):
            "    \(function)(\((arguments.map(location) + scalars.map(scalar) + ["m->pool"]).joined(separator: ", ")));"
        case .copy(let copy):
            "    memcpy(\(location(.output(copy.output))), \(location(copy.source)), sizeof(float) * \(copy.count));"
        case .profileMark(let kernel):
            "    if (profile) attend_profile_mark(profile + \(kernel), &mark);"
        }
    }

    /// A number passed to a kernel's scalar parameter: the literal the kernel would have held.
    public func scalar(_ argument: ScalarArgument) -> String {
        switch argument {
        case .index(let value): indexConstant(value)
        case .float(let value): floatConstant(value)
        }
    }

    static func vectorType(_ width: Int) -> String { "attend_f32x\(width)" }

    /// Vector types and helpers for each width up to `maxWidth` lanes (4, 8, 16; wider ones
    /// would pass vectors in registers the target lacks): unaligned access goes through a
    /// `may_alias`, 4-byte-aligned type, so any float address is valid.
    static func vectorPrelude(maxWidth: Int) -> String { [4, 8, 16].filter { $0 <= max(4, maxWidth) }.map { width in
        let t = vectorType(width), bytes = width * 4
        let lanes = Array(repeating: "x", count: width).joined(separator: ", ")
        return """
        typedef float \(t) __attribute__((vector_size(\(bytes))));
        typedef float \(t)_u __attribute__((vector_size(\(bytes)), aligned(4), may_alias));
        typedef float \(t)_a __attribute__((vector_size(\(bytes)), may_alias));
        ATTEND_HELPER \(t) attend_load_f32x\(width)(const float *p) { return *(const \(t)_u *)p; }
        ATTEND_HELPER \(t) attend_loada_f32x\(width)(const float *p) { return *(const \(t)_a *)p; }
        ATTEND_HELPER void attend_store_f32x\(width)(float *p, \(t) v) { *(\(t)_u *)p = v; }
        ATTEND_HELPER void attend_storea_f32x\(width)(float *p, \(t) v) { *(\(t)_a *)p = v; }
        ATTEND_HELPER \(t) attend_broadcast_f32x\(width)(float x) { \(t) v = {\(lanes)}; return v; }
        ATTEND_HELPER float attend_hsum_f32x\(width)(\(t) v) { float s = 0.0f; for (int i = 0; i < \(width); i++) s += v[i]; return s; }
        \(storeLanes(width))
        \(transposeHelper(width))
        """
    }.joined() }

    /// `attend_storen_f32x<width>(p, v, n)`: lanes `0 ..< n` of `v` to `p[0 ..< n]`, as one
    /// masked store where the ISA has one (AVX-512, or AVX2's `vmaskmovps`), else lane by lane.
    /// Through the compilers' builtins (the same names in gcc and clang): `immintrin.h`
    /// doubled gcc's time for a kernel file, mostly in reading it.
    static func storeLanes(_ width: Int) -> String {
        let t = vectorType(width), lanes = (0..<width).map(String.init).joined(separator: ", ")
        // As `void *`: the builtins' pointer types differ by width and compiler.
        let masked = "__builtin_ia32_storeups\(width * 32)_mask((void *)p, v, (\(width == 16 ? "unsigned short" : "unsigned char"))((1u << (unsigned)n) - 1u));"
        let avx2 = width == 4 ? "__builtin_ia32_maskstoreps" : "__builtin_ia32_maskstoreps256"
        let vectorMask = width == 16 ? "" : """
        #elif defined(__AVX2__)
            typedef int32_t attend_lanes_i32x\(width) __attribute__((vector_size(\(width * 4))));
            \(avx2)((void *)p, (attend_lanes_i32x\(width)){\(lanes)} < (int32_t)n, v);
        """
        return """
        ATTEND_HELPER void attend_storen_f32x\(width)(float *p, \(t) v, int64_t n) {
        #if defined(\(width == 16 ? "__AVX512F__" : "__AVX512VL__"))
            \(masked)
        \(vectorMask)
        #else
            for (int64_t i = 0; i < n; i++) p[i] = v[i];
        #endif
        }
        """
    }

    /// `attend_transpose_f32x<width>(out, m)`: the `width x width` tile `m` transposed into
    /// `out` by `LaneTranspose`'s shuffles (`__builtin_shufflevector` on clang,
    /// `__builtin_shuffle` on gcc, which has it in every version). Not inlined: one copy of
    /// its shuffles per file rather than one at each of a network's few dozen tile stores.
    static func transposeHelper(_ width: Int) -> String {
        let t = vectorType(width), macro = "ATTEND_SHUFFLE_F32X\(width)"
        let stages = LaneTranspose.stages(width: width)
        var lines = ["#if defined(__clang__)", "#define \(macro)(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)", "#else",
                     "typedef int32_t attend_i32x\(width) __attribute__((vector_size(\(width * 4))));",
                     "#define \(macro)(a, b, ...) __builtin_shuffle(a, b, (attend_i32x\(width)){__VA_ARGS__})", "#endif",
                     "ATTEND_OUTLINED void attend_transpose_f32x\(width)(float *out, const \(t) *m) {"]
        for (number, stage) in stages.enumerated() {
            let source = { (slot: Int) in number == 0 ? "m[\(slot)]" : "s\(number - 1)_\(slot)" }
            for step in stage.sorted(by: { $0.output < $1.output }) {
                let shuffle = "\(macro)(\(source(step.a)), \(source(step.b)), \(step.lanes.map(String.init).joined(separator: ", ")))"
                lines.append(number == stages.count - 1 ? "    attend_store_f32x\(width)(out + \(step.output * width), \(shuffle));"
                                                        : "    \(t) s\(number)_\(step.output) = \(shuffle);")
            }
        }
        return (lines + ["}", ""]).joined(separator: "\n")
    }

    /// A float literal that reads back as the same float32 (`%.9g` digits), or a macro.
    static func floatLiteral(_ v: Double) -> String {
        let f = Float(v)
        if f.isNaN { return "NAN" }
        if f.isInfinite { return f > 0 ? "INFINITY" : "(-INFINITY)" }
        var text = "\(f)"
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return (f < 0 || text.hasPrefix("-") ? "(\(text)f)" : "\(text)f")
    }

    /// The OpenMP reduction combining the lanes of a vectorized maximum: `attend_maxf`, so a
    /// NaN in any lane wins (OpenMP's own `max` would drop it).
    static let maxReduction = "attend_max"

    /// Helpers every generated file defines once: NaN-propagating min/max as the interpreter
    /// computes them, integer min/max for index arithmetic, and vector types and helpers up
    /// to the target's vector width. The float min/max return `b` if it is NaN, else the
    /// ordered comparison's pick, which is `a` when `a` is NaN: both NaN cases then cost one
    /// compare and blend beside the comparison, and a constant `b` (ReLU's 0) none, where
    /// testing both operands first took gcc 4 mask operations more per vector (twice the
    /// instructions of a vectorized 3x3 max pooling's inner loop). Equal operands give `a`
    /// (only -0 against +0 tells).
    public static func prelude(vectorWidth: Int) -> String { scalarPrelude + vectorPrelude(maxWidth: vectorWidth) }

    static let scalarPrelude = """
    #if defined(__GNUC__)
    #define ATTEND_HELPER static inline __attribute__((unused))
    #define ATTEND_KERNEL __attribute__((visibility("hidden")))
    #define ATTEND_OUTLINED static __attribute__((noinline, unused))
    #else
    #define ATTEND_HELPER static inline
    #define ATTEND_KERNEL
    #define ATTEND_OUTLINED static
    #endif
    ATTEND_HELPER float attend_maxf(float a, float b) { return (b != b) ? b : (b > a ? b : a); }
    #pragma omp declare reduction(attend_max : float : omp_out = attend_maxf(omp_out, omp_in)) initializer(omp_priv = -INFINITY)
    ATTEND_HELPER float attend_minf(float a, float b) { return (b != b) ? b : (b < a ? b : a); }
    ATTEND_HELPER int64_t attend_max_i64(int64_t a, int64_t b) { return a > b ? a : b; }
    ATTEND_HELPER int64_t attend_min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

    """
}
