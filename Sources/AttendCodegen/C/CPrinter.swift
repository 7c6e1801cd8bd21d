import AttendIR

/// Prints kernel IR as C11. Kernels are functions over `restrict` float buffers (`static`, or
/// external with hidden visibility when called from another file); a top-level parallel
/// loop is outlined into a task that the runtime's thread pool splits.
/// Everything here is syntax: the Swift printer shares the same kernel IR.
public struct CPrinter {
    public init() {}

    public func kernel(_ kernel: Kernel, external: Bool = false) -> String {
        var lines = ["/* \(Naming.comment(kernel.comment)) */"]
        var tasks: [String] = []
        var body: [String] = []
        var taskIndex = 0
        for stmt in kernel.body {
            if case .loop(let variable, let lower, let upper, .parallel, let loopBody) = stmt {
                let task = "\(kernel.name)_task\(taskIndex)"
                taskIndex += 1
                tasks.append(outlined(task, kernel: kernel, variable: variable, body: loopBody))
                let context = kernel.parameters.map(\.buffer.name).joined(separator: ", ")
                body.append("    { \(kernel.name)_context context = { \(context) };")
                body.append("      attend_parallel_for(pool, \(index(lower)), \(index(upper)), \(task), &context); }")
            } else {
                body += statements([stmt], indent: 1)
            }
        }
        if taskIndex > 0 {
            lines.append("typedef struct {")
            for parameter in kernel.parameters { lines.append("    \(declaration(parameter));") }
            lines.append("} \(kernel.name)_context;")
            lines += tasks
        }
        lines.append("\(external ? "ATTEND_KERNEL" : "static") \(signature(kernel)) {")
        if taskIndex == 0 { lines.append("    (void)pool;") }
        lines += body
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The declaration of an external kernel, for the file that calls it.
    public func prototype(_ kernel: Kernel) -> String { "ATTEND_KERNEL \(signature(kernel));" }

    private func signature(_ kernel: Kernel) -> String {
        "void \(kernel.name)(\((kernel.parameters.map(declaration) + ["attend_pool *pool"]).joined(separator: ", ")))"
    }

    private func outlined(_ name: String, kernel: Kernel, variable: String, body: [Stmt]) -> String {
        var lines = ["static void \(name)(void *opaque, int64_t begin, int64_t end) {",
                     "    const \(kernel.name)_context *context = opaque;"]
        for parameter in kernel.parameters {
            lines.append("    \(declaration(parameter)) = context->\(parameter.buffer.name);")
        }
        // A kernel with several parallel loops gives each task every buffer; not all use all.
        lines.append("    " + kernel.parameters.map { "(void)\($0.buffer.name);" }.joined(separator: " "))
        lines.append("    for (int64_t \(variable) = begin; \(variable) < end; \(variable)++) {")
        lines += statements(body, indent: 2)
        lines.append("    }")
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    private func declaration(_ parameter: Kernel.Parameter) -> String {
        parameter.role == .output ? "float *restrict \(parameter.buffer.name)" : "const float *restrict \(parameter.buffer.name)"
    }

    func statements(_ stmts: [Stmt], indent: Int) -> [String] {
        let pad = String(repeating: "    ", count: indent)
        var lines: [String] = []
        for stmt in stmts {
            switch stmt {
            case .loop(let variable, let lower, let upper, let schedule, let body):
                if case .vectorizedReduction(let sums, let maxima) = schedule {
                    let clauses = (sums.isEmpty ? [] : ["reduction(+:\(sums.joined(separator: ", ")))"])
                        + (maxima.isEmpty ? [] : ["reduction(\(Self.maxReduction):\(maxima.joined(separator: ", ")))"])
                    lines.append("\(pad)#pragma omp simd \(clauses.joined(separator: " "))")
                }
                lines.append("\(pad)for (int64_t \(variable) = \(index(lower)); \(variable) < \(index(upper)); \(variable)++) {")
                lines += statements(body, indent: indent + 1)
                lines.append("\(pad)}")
            case .letIndex(let name, let value):
                lines.append("\(pad)const int64_t \(name) = \(index(value));")
            case .declare(let name, let initial):
                lines.append("\(pad)float \(name) = \(value(initial));")
            case .assign(let name, let newValue):
                lines.append("\(pad)\(name) = \(value(newValue));")
            case .store(let buffer, let position, let stored):
                lines.append("\(pad)\(buffer.name)[\(index(position))] = \(value(stored));")
            case .when(let test, let then, let otherwise):
                lines.append("\(pad)if (\(condition(test))) {")
                lines += statements(then, indent: indent + 1)
                if !otherwise.isEmpty {
                    lines.append("\(pad)} else {")
                    lines += statements(otherwise, indent: indent + 1)
                }
                lines.append("\(pad)}")
            case .call(let function, let buffers, let sizes):
                let arguments = buffers.map(\.name) + sizes.map(index)
                lines.append("\(pad)\(function)(\(arguments.joined(separator: ", ")));")
            case .comment(let text):
                lines.append("\(pad)/* \(Naming.comment(text)) */")
            case .finalized:
                break
            case .localArray(let buffer, let count):
                lines.append("\(pad)_Alignas(64) float \(buffer.name)[\(count)];")
            case .declareVector(let name, let width, let initial):
                lines.append("\(pad)\(Self.vectorType(width)) \(name) = \(vector(initial));")
            case .assignVector(let name, let newValue):
                lines.append("\(pad)\(name) = \(vector(newValue));")
            case .storeVector(let buffer, let position, let stored, let width, let aligned):
                lines.append("\(pad)attend_store\(aligned ? "a" : "")_f32x\(width)(\(buffer.name) + \(index(position)), \(vector(stored)));")
            case .prefetch(let buffer, let position):
                // For reading, kept in every cache level.
                lines.append("\(pad)__builtin_prefetch(\(buffer.name) + \(index(position)), 0, 3);")
            }
        }
        return lines
    }

    func index(_ expr: IndexExpr) -> String {
        switch expr {
        case .constant(let v): return v < 0 ? "(\(v))" : String(v)
        case .variable(let name): return name
        case .add(let a, let b): return "(\(index(a)) + \(index(b)))"
        case .sub(let a, let b): return "(\(index(a)) - \(index(b)))"
        case .mul(let a, let b): return "(\(index(a)) * \(index(b)))"
        case .div(let a, let b): return "(\(index(a)) / \(index(b)))"
        case .mod(let a, let b): return "(\(index(a)) % \(index(b)))"
        case .min(let a, let b): return "attend_min_i64(\(index(a)), \(index(b)))"
        case .max(let a, let b): return "attend_max_i64(\(index(a)), \(index(b)))"
        case .floor(let v): return "((int64_t)floorf(\(value(v))))"
        }
    }

    func condition(_ test: Condition) -> String {
        switch test {
        case .less(let a, let b): return "\(index(a)) < \(index(b))"
        case .lessEqual(let a, let b): return "\(index(a)) <= \(index(b))"
        case .equal(let a, let b): return "\(index(a)) == \(index(b))"
        case .and(let a, let b): return "(\(condition(a))) && (\(condition(b)))"
        case .or(let a, let b): return "(\(condition(a))) || (\(condition(b)))"
        case .not(let a): return "!(\(condition(a)))"
        }
    }

    func value(_ expr: ValueExpr) -> String {
        switch expr {
        case .constant(let v): return Self.floatLiteral(v)
        case .scalar(let name): return name
        case .load(let buffer, let position): return "\(buffer.name)[\(index(position))]"
        case .index(let i): return "(float)\(index(i))"
        case .select(let test, let a, let b): return "((\(condition(test))) ? \(value(a)) : \(value(b)))"
        case .horizontalSum(let v, let width): return "attend_hsum_f32x\(width)(\(vector(v)))"
        case .unary(let function, let a):
            let inner = value(a)
            switch function {
            case .neg: return "(-\(inner))"
            case .abs: return "fabsf(\(inner))"
            case .sqrt: return "sqrtf(\(inner))"
            case .exp: return "expf(\(inner))"
            case .log: return "logf(\(inner))"
            case .tanh: return "tanhf(\(inner))"
            case .erf: return "erff(\(inner))"
            case .sin: return "sinf(\(inner))"
            case .cos: return "cosf(\(inner))"
            }
        case .binary(let function, let a, let b):
            let (x, y) = (value(a), value(b))
            switch function {
            case .add: return "(\(x) + \(y))"
            case .sub: return "(\(x) - \(y))"
            case .mul: return "(\(x) * \(y))"
            case .div: return "(\(x) / \(y))"
            case .pow: return "powf(\(x), \(y))"
            case .max: return "attend_maxf(\(x), \(y))"
            case .min: return "attend_minf(\(x), \(y))"
            }
        }
    }

    /// A vector expression: GCC/Clang vector extensions (`a * b + c` contracts into FMA
    /// under `-ffp-contract=fast`, which every build passes).
    func vector(_ expr: VectorExpr) -> String {
        switch expr {
        case .load(let buffer, let position, let width, let aligned):
            return "attend_load\(aligned ? "a" : "")_f32x\(width)(\(buffer.name) + \(index(position)))"
        case .broadcast(let scalar, let width): return "attend_broadcast_f32x\(width)(\(value(scalar)))"
        case .register(let name): return name
        case .fma(let a, let b, let c): return "(\(vector(a)) * \(vector(b)) + \(vector(c)))"
        case .arithmetic(let operation, let a, let b):
            let symbol: String
            switch operation {
            case .add: symbol = "+"
            case .sub: symbol = "-"
            case .mul: symbol = "*"
            case .div: symbol = "/"
            }
            return "(\(vector(a)) \(symbol) \(vector(b)))"
        }
    }

    /// A location as the generated `run` function sees it: its `inputs`, `outputs` and
    /// `arena`, the model's parameter table `m->params`.
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
        case .call(let function, let arguments):
            "    \(function)(\((arguments.map(location) + ["m->pool"]).joined(separator: ", ")));"
        case .copy(let copy):
            "    memcpy(\(location(.output(copy.output))), \(location(copy.source)), sizeof(float) * \(copy.count));"
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

        """
    }.joined() }

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
    /// to the target's vector width.
    public static func prelude(vectorWidth: Int) -> String { scalarPrelude + vectorPrelude(maxWidth: vectorWidth) }

    static let scalarPrelude = """
    #if defined(__GNUC__)
    #define ATTEND_HELPER static inline __attribute__((unused))
    #define ATTEND_KERNEL __attribute__((visibility("hidden")))
    #else
    #define ATTEND_HELPER static inline
    #define ATTEND_KERNEL
    #endif
    ATTEND_HELPER float attend_maxf(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); }
    #pragma omp declare reduction(attend_max : float : omp_out = attend_maxf(omp_out, omp_in)) initializer(omp_priv = -INFINITY)
    ATTEND_HELPER float attend_minf(float a, float b) { return (a != a || b != b) ? NAN : (a < b ? a : b); }
    ATTEND_HELPER int64_t attend_max_i64(int64_t a, int64_t b) { return a > b ? a : b; }
    ATTEND_HELPER int64_t attend_min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

    """
}
