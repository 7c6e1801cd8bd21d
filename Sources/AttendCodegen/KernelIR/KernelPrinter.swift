import AttendIR

/// What a printer of kernel IR provides: the syntax of each node, given its parts already
/// printed. The traversal (which part is printed when, indentation, blocks, outlining the
/// parallel loops into tasks first) is written once, in this protocol's extension, so every
/// printer prints the same structure.
///
/// `CPrinter` prints C11. A Swift printer would conform the same way with Swift syntax:
/// `var name: Float = value` for `declare`, `for i in lower..<upper {` for `loopOpening`,
/// `SIMD8<Float>` lanes for vectors, buffers as `UnsafeMutablePointer<Float>` in
/// `kernelSource`, each `ParallelTask` as a closure over its captures given to the thread
/// pool in `runParallel`, and `BufferLocation`s as the model's own buffer properties in
/// `location`.
public protocol KernelPrinter {
    /// One level of indentation.
    var indentation: String { get }

    // Index expressions.
    func indexConstant(_ value: Int) -> String
    func indexVariable(_ name: String) -> String
    func indexArithmetic(_ operation: IndexArithmetic, _ a: String, _ b: String) -> String
    /// A float32 value floored to an index.
    func indexFloor(_ value: String) -> String

    // Conditions.
    func comparison(_ comparison: IndexComparison, _ a: String, _ b: String) -> String
    /// Both conditions (`both`), or either one.
    func connective(both: Bool, _ a: String, _ b: String) -> String
    func negation(_ condition: String) -> String

    // Scalar values.
    func floatConstant(_ value: Double) -> String
    func scalar(_ name: String) -> String
    func load(_ buffer: BufferRef, at index: String) -> String
    func unary(_ function: ScalarFormula.UnaryFunction, _ a: String) -> String
    func binary(_ function: ScalarFormula.BinaryFunction, _ a: String, _ b: String) -> String
    func select(_ condition: String, _ a: String, _ b: String) -> String
    /// An index as a float32 value.
    func indexValue(_ index: String) -> String
    func horizontalSum(_ vector: String, width: Int) -> String

    // Vectors.
    func vectorLoad(_ buffer: BufferRef, at index: String, width: Int, aligned: Bool) -> String
    func broadcast(_ value: String, width: Int) -> String
    func register(_ name: String) -> String
    func fma(_ a: String, _ b: String, _ c: String) -> String
    func vectorArithmetic(_ operation: VectorExpr.Arithmetic, _ a: String, _ b: String) -> String

    // Statements: each one's lines, which the traversal indents to their depth. A block's
    // statements go between its opening and `blockClosing`, one level deeper.
    func loopOpening(variable: String, lower: String, upper: String, schedule: LoopSchedule) -> [String]
    func conditionalOpening(_ condition: String) -> String
    /// Between a conditional's statements and its alternative's (printed only when there are some).
    var alternativeOpening: String { get }
    var blockClosing: String { get }
    func letIndex(_ name: String, _ value: String) -> String
    func declare(_ name: String, _ value: String) -> String
    func assign(_ name: String, _ value: String) -> String
    func store(_ buffer: BufferRef, at index: String, _ value: String) -> String
    func call(_ function: String, buffers: [BufferRef], sizes: [String]) -> String
    func comment(_ text: String) -> String
    func localArray(_ buffer: BufferRef, count: Int) -> String
    func declareVector(_ name: String, width: Int, _ value: String) -> String
    func assignVector(_ name: String, _ value: String) -> String
    func storeVector(_ buffer: BufferRef, at index: String, _ value: String, width: Int, aligned: Bool) -> String
    /// The first `count` lanes of `value` stored from `buffer[index]` (`Stmt.storeVectorLanes`).
    func storeVectorLanes(_ buffer: BufferRef, at index: String, _ value: String, width: Int, count: String) -> String
    /// The transpose of `rows` stored from `buffer[index]` (`Stmt.transpose`); a printer may
    /// use the shuffle steps of `LaneTranspose`.
    func transpose(_ buffer: BufferRef, at index: String, rows: [String], width: Int) -> String
    func prefetch(_ buffer: BufferRef, at index: String) -> String
    /// Starts task `number` of `kernel` on the thread pool over `lower..<upper` and waits for it.
    func runParallel(task number: Int, of kernel: Kernel, lower: String, upper: String) -> [String]

    /// The kernel's function declaration: its name, its parameters by role (outputs written,
    /// inputs and weights only read), and what the runtime passes every kernel.
    func signature(_ kernel: Kernel) -> String
    /// A whole kernel after `Kernel.outliningParallelLoops`: its tasks and its own function,
    /// `external` when it is called from another source file. Its statements are
    /// `statements(kernel.body, depth:in:)`, each task's `statements(task.body, depth:in:)`.
    func kernelSource(_ kernel: Kernel, external: Bool) -> String

    // What the model's run does.
    func location(_ location: BufferLocation) -> String
    func runStep(_ step: RunStep) -> String
}

/// The arithmetic of index expressions, as printers see it.
public enum IndexArithmetic: Sendable { case add, sub, mul, div, mod, min, max }
public enum IndexComparison: Sendable { case less, lessEqual, equal }

extension KernelPrinter {
    /// `kernel` as source, its parallel loops outlined into tasks.
    public func kernel(_ kernel: Kernel, external: Bool = false) -> String {
        kernelSource(kernel.outliningParallelLoops(), external: external)
    }

    /// Statements at `depth` levels of indentation, in `kernel` (whose tasks a
    /// `runParallel` starts); `finalized` markers print nothing.
    public func statements(_ stmts: [Stmt], depth: Int, in kernel: Kernel) -> [String] {
        let pad = String(repeating: indentation, count: depth)
        var lines: [String] = []
        func add(_ text: String) { lines.append(pad + text) }
        func block(_ body: [Stmt]) { lines += statements(body, depth: depth + 1, in: kernel) }
        for stmt in stmts {
            switch stmt {
            case .loop(let variable, let lower, let upper, let schedule, let body):
                loopOpening(variable: variable, lower: index(lower), upper: index(upper), schedule: schedule).forEach(add)
                block(body)
                add(blockClosing)
            case .letIndex(let name, let bound): add(letIndex(name, index(bound)))
            case .declare(let name, let initial): add(declare(name, value(initial)))
            case .assign(let name, let newValue): add(assign(name, value(newValue)))
            case .store(let buffer, let position, let stored): add(store(buffer, at: index(position), value(stored)))
            case .when(let test, let then, let otherwise):
                add(conditionalOpening(condition(test)))
                block(then)
                if !otherwise.isEmpty {
                    add(alternativeOpening)
                    block(otherwise)
                }
                add(blockClosing)
            case .call(let function, let buffers, let sizes): add(call(function, buffers: buffers, sizes: sizes.map(index)))
            case .comment(let text): add(comment(text))
            case .finalized: break
            case .localArray(let buffer, let count): add(localArray(buffer, count: count))
            case .declareVector(let name, let width, let initial): add(declareVector(name, width: width, vector(initial)))
            case .assignVector(let name, let newValue): add(assignVector(name, vector(newValue)))
            case .storeVector(let buffer, let position, let stored, let width, let aligned):
                add(storeVector(buffer, at: index(position), vector(stored), width: width, aligned: aligned))
            case .storeVectorLanes(let buffer, let position, let stored, let width, let count):
                add(storeVectorLanes(buffer, at: index(position), vector(stored), width: width, count: index(count)))
            case .transpose(let buffer, let position, let rows, let width):
                add(transpose(buffer, at: index(position), rows: rows.map(vector), width: width))
            case .prefetch(let buffer, let position): add(prefetch(buffer, at: index(position)))
            case .runParallel(let number):
                let task = kernel.tasks[number]
                runParallel(task: number, of: kernel, lower: index(task.lower), upper: index(task.upper)).forEach(add)
            }
        }
        return lines
    }

    public func index(_ expr: IndexExpr) -> String {
        switch expr {
        case .constant(let v): return indexConstant(v)
        case .variable(let name): return indexVariable(name)
        case .add(let a, let b): return indexArithmetic(.add, index(a), index(b))
        case .sub(let a, let b): return indexArithmetic(.sub, index(a), index(b))
        case .mul(let a, let b): return indexArithmetic(.mul, index(a), index(b))
        case .div(let a, let b): return indexArithmetic(.div, index(a), index(b))
        case .mod(let a, let b): return indexArithmetic(.mod, index(a), index(b))
        case .min(let a, let b): return indexArithmetic(.min, index(a), index(b))
        case .max(let a, let b): return indexArithmetic(.max, index(a), index(b))
        case .floor(let v): return indexFloor(value(v))
        }
    }

    public func condition(_ test: Condition) -> String {
        switch test {
        case .less(let a, let b): return comparison(.less, index(a), index(b))
        case .lessEqual(let a, let b): return comparison(.lessEqual, index(a), index(b))
        case .equal(let a, let b): return comparison(.equal, index(a), index(b))
        case .and(let a, let b): return connective(both: true, condition(a), condition(b))
        case .or(let a, let b): return connective(both: false, condition(a), condition(b))
        case .not(let a): return negation(condition(a))
        }
    }

    public func value(_ expr: ValueExpr) -> String {
        switch expr {
        case .constant(let v): return floatConstant(v)
        case .scalar(let name): return scalar(name)
        case .load(let buffer, let position): return load(buffer, at: index(position))
        case .unary(let function, let a): return unary(function, value(a))
        case .binary(let function, let a, let b): return binary(function, value(a), value(b))
        case .select(let test, let a, let b): return select(condition(test), value(a), value(b))
        case .index(let i): return indexValue(index(i))
        case .horizontalSum(let v, let width): return horizontalSum(vector(v), width: width)
        }
    }

    public func vector(_ expr: VectorExpr) -> String {
        switch expr {
        case .load(let buffer, let position, let width, let aligned): return vectorLoad(buffer, at: index(position), width: width, aligned: aligned)
        case .broadcast(let scalar, let width): return broadcast(value(scalar), width: width)
        case .register(let name): return register(name)
        case .fma(let a, let b, let c): return fma(vector(a), vector(b), vector(c))
        case .arithmetic(let operation, let a, let b): return vectorArithmetic(operation, vector(a), vector(b))
        }
    }
}
