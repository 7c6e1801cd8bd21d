/// One kernel function for kernels that differ only in numbers: the same strategy and register
/// tile on another shape (the first 1x1 convolution of each block of a stage, a 3x3
/// convolution in every stage, the attention gates of every stage) is the same loop nest with
/// other sizes, strides, offsets and scales. Kernels whose bodies are equal once their
/// literals are set aside (their skeleton) form a group; a literal equal in every member stays
/// a literal, so the C compiler still specializes what they share, and each literal that
/// differs becomes a scalar parameter (one per distinct column of values across the group),
/// which every call passes its own value of. Literals that differ nowhere leave the kernel as
/// it was: then `KernelFunctions` finds its copies by their text, as before.
///
/// What is a literal: every `IndexExpr.constant` (loop bounds, strides, offsets, sizes in
/// index arithmetic) and every `ValueExpr.constant` (a scale such as a mean's divisor). A
/// float32 parameter holds the same float32 the literal prints as, and the C code does the
/// same operations on it (no fast-math: gcc folds nothing between literals that it would not
/// fold exactly); with the bounds of reductions kept (below), the numbers are bit for bit
/// those of the specialized kernels.
///
/// What stays a constant (never a parameter), because the C compiler needs it constant:
/// - vector widths and alignment promises (types, part of the skeleton);
/// - the size of a kernel-local array (`Stmt.localArray`, on the task's stack): the shared
///   function declares the largest of its members' sizes (one of them needed it, so it is
///   within the stack the strategies budget), and each member touches only the part its own
///   literals index, so a 1x1 convolution's partial sums for 8 or 16 output channels per
///   task do not split a group;
/// - the divisor of a division or remainder (`IndexExpr.div`, `.mod`) inside an innermost
///   loop: by a constant, gcc multiplies by a reciprocal; by a variable it issues a hardware
///   division per element (tens of cycles, where a broadcast operand's index is `flat % n`).
///   Outside innermost loops a division runs once per row or task and may vary;
/// - the bounds of an innermost vectorized loop when both are literals (its trip count), and
///   of an innermost vectorized reduction (the order of its sum): `Stmt.keepsTripCount`.
/// `Stmt.finalized` markers print nothing; they are dropped so they do not split a group.
///
/// Kernels with outlined tasks are left alone: this runs on kernels as lowered, before the
/// printer outlines their parallel loops (which then capture the scalars with the buffers).
extension Kernel {
    /// For each kernel in order, the kernel to print (the same one, but for name and comment,
    /// for every member of a group) and the values its call passes for its scalars. Kernels
    /// of different `classes` (as the optimization level their buffers' sizes choose) never
    /// share.
    static func sharingFunctions(_ kernels: [Kernel], classes: (Kernel) -> Int = { _ in 0 }) -> [(kernel: Kernel, scalars: [ScalarArgument])] {
        let abstracted = kernels.map(Skeleton.init)
        var groups: [GroupKey: [Int]] = [:]
        var order: [GroupKey] = []
        for (position, skeleton) in abstracted.enumerated() {
            guard let kernel = skeleton.key else { continue }
            let key = GroupKey(kernel: kernel, kind: classes(kernels[position]))
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(position)
        }
        var result = kernels.map { (kernel: $0, scalars: [ScalarArgument]()) }
        for key in order {
            guard let members = groups[key], members.count > 1 else { continue }
            let shared = SharedFunction(abstracted[members[0]].kernel, literals: members.map { abstracted[$0].literals },
                                        arrays: members.map { abstracted[$0].arrays })
            guard !shared.scalars.isEmpty else { continue }
            for (column, position) in members.enumerated() {
                var kernel = shared.kernel
                kernel.name = kernels[position].name
                // The function is printed with its first member's comment: say whom else it serves.
                kernel.comment = kernels[position].comment + " (one function for \(members.count) kernels: the sizes that differ are arguments)"
                result[position] = (kernel, shared.arguments(column))
            }
        }
        return result
    }
}

private struct GroupKey: Hashable {
    var kernel: Kernel
    var kind: Int
}

/// A literal of a kernel as the grouping compares it: float32 values by their bits (as the
/// C code holds them), so a NaN equals itself and -0 differs from 0.
private enum Literal: Hashable {
    case index(Int)
    case float(UInt32)

    init(_ argument: ScalarArgument) {
        switch argument {
        case .index(let value): self = .index(value)
        case .float(let value): self = .float(Float(value).bitPattern)
        }
    }
}

/// A kernel with its literals taken out, in the walker's order, each leaving a hole.
private struct Skeleton {
    /// A name no lowering produces (not an identifier): where a literal was.
    static let hole = "\u{1}literal"

    /// The kernel with holes (name, comment and buffer sizes still its own).
    var kernel: Kernel
    var literals: [ScalarArgument] = []
    /// The sizes of its local arrays, in order (0 in `kernel`).
    var arrays: [Int] = []
    /// What kernels sharing a function have equal: the holed kernel without its name,
    /// comment and buffer sizes (none of which is printed in its body). Nil for a kernel
    /// already outlined.
    var key: Kernel?

    init(_ original: Kernel) {
        kernel = original
        guard original.tasks.isEmpty, original.scalars.isEmpty else { return }
        var literals: [ScalarArgument] = []
        var arrays: [Int] = []
        // Whether each enclosing loop is innermost (holds no loop), the nearest last.
        var innermost: [Bool] = []
        var walker = KernelWalker()
        walker.replace = { stmt in
            switch stmt {
            case .finalized: return []
            case .loop(let variable, let lower, let upper, let schedule, let body):
                innermost.append(!body.containsLoop)
                defer { innermost.removeLast() }
                let bounds = Stmt.keepsTripCount(lower, upper, schedule, innermost: innermost.last == true)
                    ? (lower, upper) : (walker.walk(lower), walker.walk(upper))
                return [.loop(variable: variable, lower: bounds.0, upper: bounds.1, schedule: schedule, body: walker.walk(body))]
            default: return nil
            }
        }
        walker.statement = { stmt in
            guard case .localArray(let buffer, let count) = stmt else { return [stmt] }
            arrays.append(count)
            return [.localArray(buffer, count: 0)]
        }
        walker.index = { expr in
            switch expr {
            case .constant(let value):
                literals.append(.index(value))
                return .variable(Self.hole)
            // The divisor was visited last: its literal is the last one taken; put it back.
            case .div(let a, .variable(Self.hole)) where innermost.last == true:
                guard case .index(let divisor) = literals.removeLast() else { return expr }
                return .div(a, .constant(divisor))
            case .mod(let a, .variable(Self.hole)) where innermost.last == true:
                guard case .index(let divisor) = literals.removeLast() else { return expr }
                return .mod(a, .constant(divisor))
            default:
                return expr
            }
        }
        walker.value = { value in
            guard case .constant(let constant) = value else { return value }
            literals.append(.float(constant))
            return .scalar(Self.hole)
        }
        kernel.body = walker.walk(original.body)
        self.literals = literals
        self.arrays = arrays
        var key = kernel
        key.name = ""
        key.comment = ""
        key.parameters = key.parameters.map { Kernel.Parameter($0.buffer, $0.role, count: 0) }
        self.key = key
    }
}

/// The function a group of kernels with one skeleton shares.
private struct SharedFunction {
    var kernel: Kernel
    /// The scalars' values, one column per member of the group.
    private var values: [[ScalarArgument]] = []

    var scalars: [ScalarParameter] { kernel.scalars }

    /// `skeleton` with its holes filled from `literals` (one row per member, in hole order)
    /// and its local arrays as large as the largest of `arrays` (one row per member).
    init(_ skeleton: Kernel, literals: [[ScalarArgument]], arrays: [[Int]]) {
        kernel = skeleton
        let used = skeleton.namesUsed
        var scalars: [ScalarParameter] = []
        var values: [[ScalarArgument]] = []
        var scalarByValues: [[Literal]: String] = [:]
        var filling: [IndexOrValue] = []
        for hole in literals[0].indices {
            let column = literals.map { $0[hole] }
            let key = column.map(Literal.init)
            if key.allSatisfy({ $0 == key[0] }) {
                filling.append(.literal(column[0]))
                continue
            }
            if let name = scalarByValues[key] {
                filling.append(.scalar(name))
                continue
            }
            var name = "arg\(scalars.count)"
            while used.contains(name) { name = "_" + name }
            scalarByValues[key] = name
            let kind: ScalarParameter.Kind = if case .index = column[0] { .index } else { .float }
            scalars.append(ScalarParameter(name, kind))
            values.append(column)
            filling.append(.scalar(name))
        }
        var next = 0, nextArray = 0
        func fill() -> IndexOrValue {
            defer { next += 1 }
            return filling[next]
        }
        kernel.body = KernelWalker(statement: { stmt in
            guard case .localArray(let buffer, _) = stmt else { return [stmt] }
            defer { nextArray += 1 }
            return [.localArray(buffer, count: arrays.map { $0[nextArray] }.max() ?? 0)]
        }, index: { expr in
            guard case .variable(Skeleton.hole) = expr else { return expr }
            switch fill() {
            case .literal(.index(let value)): return .constant(value)
            case .scalar(let name): return .variable(name)
            case .literal(.float): return expr
            }
        }, value: { value in
            guard case .scalar(Skeleton.hole) = value else { return value }
            switch fill() {
            case .literal(.float(let value)): return .constant(value)
            case .scalar(let name): return .scalar(name)
            case .literal(.index): return value
            }
        }).walk(skeleton.body)
        kernel.scalars = scalars
        self.values = values
    }

    /// What member `column` passes for each scalar.
    func arguments(_ column: Int) -> [ScalarArgument] { values.map { $0[column] } }

    private enum IndexOrValue {
        case literal(ScalarArgument)
        case scalar(String)
    }
}

extension Stmt {
    /// Whether a loop's bounds stay literals in a shared function: those of an innermost
    /// loop the C compiler vectorizes (`vectorized`) when both are literals, and always those
    /// of an innermost vectorized reduction (`vectorizedReduction`).
    ///
    /// With its trip count known gcc picks the vector width, unrolls and drops or sizes the
    /// remainder loop; with a variable count it adds a run-time check and a scalar remainder,
    /// which (measured on cbam_resnet) made the broadcast multiplications of the attention
    /// gates 1.7-1.9x slower. Other bounds (a clamped tail, a task's range) vary. A
    /// reduction's bounds also decide how gcc splits the sum into lanes and remainder, that is
    /// the order of the additions: with them as arguments the sums of the mean pools rounded
    /// differently (se_resnet's logits moved by 2e-8), so they stay literals and a shared
    /// function computes the numbers of the kernels it replaces, bit for bit.
    static func keepsTripCount(_ lower: IndexExpr, _ upper: IndexExpr, _ schedule: LoopSchedule, innermost: Bool) -> Bool {
        guard innermost else { return false }
        switch schedule {
        case .vectorizedReduction: return true
        case .vectorized: if case .constant = lower, case .constant = upper { return true } else { return false }
        case .serial, .parallel: return false
        }
    }
}

extension [Stmt] {
    /// Whether any of these statements is or holds a loop.
    var containsLoop: Bool {
        contains { stmt in
            var found = false
            stmt.visit(statement: { if case .loop = $0 { found = true } })
            return found
        }
    }
}

extension Kernel {
    /// Every name the kernel declares or reads: buffers, loop variables, indices, scalars and vectors.
    var namesUsed: Set<String> {
        var names = Set(parameters.map(\.buffer.name) + scalars.map(\.name))
        for stmt in body {
            stmt.visit(statement: { stmt in
                switch stmt {
                case .loop(let variable, _, _, _, _): names.insert(variable)
                case .letIndex(let name, _), .declare(let name, _), .assign(let name, _), .declareVector(let name, _, _),
                     .assignVector(let name, _): names.insert(name)
                case .localArray(let buffer, _): names.insert(buffer.name)
                default: break
                }
            }, index: { if case .variable(let name) = $0 { names.insert(name) } },
               value: { if case .scalar(let name) = $0 { names.insert(name) } },
               vector: { if case .register(let name) = $0 { names.insert(name) } })
        }
        return names
    }
}
