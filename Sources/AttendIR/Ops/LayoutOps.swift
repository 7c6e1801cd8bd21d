import AttendBasic

/// Axis checks for layout ops, with messages that name the op, the argument and the shape.
///
/// Policy shared by the layout, split and pad ops: they never produce a tensor with a size-0
/// axis. PyTorch allows such tensors, but in a vision network one is a mistake, and later
/// ops are simpler for never seeing them.
enum LayoutRules {
    /// `axis` (negative counts from the end) as an index into the axes of `shape`.
    /// `rank` overrides the shape's rank: torch wraps dims of a rank-0 tensor as if it had one axis.
    static func axis(_ axis: Int, of shape: [Int], rank: Int? = nil, op: String, argument: String) throws(Diagnostic) -> Int {
        let rank = rank ?? shape.count
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 0, normalized < rank else {
            let valid = rank == 0 ? "it has no axes" : "expected \(-rank)...\(rank - 1)"
            throw .error("\(op) \(argument) \(axis) is out of range for input \(formatShape(shape)) (\(valid))")
        }
        return normalized
    }

    /// The product of `sizes`, or nil when it overflows.
    static func checkedProduct(_ sizes: [Int]) -> Int? {
        var product = 1
        for size in sizes {
            let (result, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            product = result
        }
        return product
    }
}

/// x.reshape(shape): the same elements in row-major order under a new shape.
public struct ReshapeOp: Op {
    public init() {}
    public var name: String { "reshape" }
    public var summary: String { "x.reshape(shape): same elements, new shape; one -1 is inferred" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? { .rowMajor }
    public var arguments: [ArgSpec] {
        [ArgSpec("shape", .ints(count: nil), "target shape; one entry may be -1 (inferred from the element count)")]
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0], target = attributes.ints("shape")
        let count = ShapeRules.elementCount(x)
        if let bad = target.first(where: { $0 == 0 || $0 < -1 }) {
            throw .error("reshape shape \(formatShape(target)) has size \(bad); sizes must be positive, or -1 once to infer one "
                         + "(0 is not 'keep this dim': torch.reshape reads it as an empty dim)")
        }
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1 else {
            throw .error("reshape shape \(formatShape(target)) has more than one -1; only one size can be inferred")
        }
        guard let known = LayoutRules.checkedProduct(target.filter { $0 != -1 }) else {
            throw .error("reshape shape \(formatShape(target)) has too many elements for input \(formatShape(x)) (\(count) elements)")
        }
        var result = target
        if let index = inferred.first {
            guard count % known == 0 else {
                throw .error("reshape cannot view \(formatShape(x)) (\(count) elements) as \(formatShape(target)): "
                             + "\(count) is not a multiple of \(known)")
            }
            result[index] = count / known
        } else {
            guard known == count else {
                throw .error("reshape cannot view \(formatShape(x)) (\(count) elements) as \(formatShape(target)) (\(known) elements)")
            }
        }
        return [result]
    }
}

/// x.permute(dims): output axis k is input axis dims[k].
public struct PermuteOp: Op {
    public init() {}
    public var name: String { "permute" }
    public var summary: String { "x.permute(dims): reorder axes; output axis k is input axis dims[k]" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? {
        .permute(Self.permutation(attributes, rank: inputs[0].count))
    }
    public var arguments: [ArgSpec] {
        [ArgSpec("dims", .ints(count: nil), "a permutation of the input axes (negatives count from the end)")]
    }

    /// `dims` with negatives wrapped; a permutation once the shape rule has accepted it.
    public static func permutation(_ attributes: Attributes, rank: Int) -> [Int] {
        attributes.ints("dims").map { $0 < 0 ? $0 + rank : $0 }
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0], dims = attributes.ints("dims")
        guard dims.count == x.count else {
            throw .error("permute needs \(x.count) dims for input \(formatShape(x)), got \(formatShape(dims))")
        }
        let perm = Self.permutation(attributes, rank: x.count)
        guard perm.sorted() == Array(0..<x.count) else {
            throw .error("permute dims \(formatShape(dims)) are not a permutation of the axes 0..<\(x.count) of input \(formatShape(x))")
        }
        return [perm.map { x[$0] }]
    }
}

/// x.transpose(dim0, dim1): swaps two axes.
public struct TransposeOp: Op {
    public init() {}
    public var name: String { "transpose" }
    public var summary: String { "x.transpose(dim0, dim1): swap two axes" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? {
        .permute(Self.permutation(attributes, rank: inputs[0].count))
    }
    public var arguments: [ArgSpec] {
        [ArgSpec("dim0", .int, "first axis (negatives count from the end)"),
         ArgSpec("dim1", .int, "second axis")]
    }

    /// The axis permutation the node applies (identity for rank 0, which torch allows with dims 0 or -1).
    public static func permutation(_ attributes: Attributes, rank: Int) -> [Int] {
        var perm = Array(0..<rank)
        guard rank > 0 else { return perm }
        let wrap = { (d: Int) in d < 0 ? d + rank : d }
        perm.swapAt(wrap(attributes.int("dim0")), wrap(attributes.int("dim1")))
        return perm
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        for argument in ["dim0", "dim1"] {
            _ = try LayoutRules.axis(attributes.int(argument), of: x, rank: max(x.count, 1), op: name, argument: argument)
        }
        return [Self.permutation(attributes, rank: x.count).map { x[$0] }]
    }
}

/// torch.flatten(x, start, end) / nn.Flatten: merges axes start...end into one.
public struct FlattenOp: Op {
    public init() {}
    public var name: String { "flatten" }
    public var summary: String { "merge axes start...end into one, as torch.nn.Flatten(start_dim, end_dim)" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? { .rowMajor }
    public var arguments: [ArgSpec] {
        [ArgSpec("start", .int, default: .int(1), "first axis to merge (start_dim)"),
         ArgSpec("end", .int, default: .int(-1), "last axis to merge (end_dim)")]
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        let start = attributes.int("start"), end = attributes.int("end")
        // As torch: a rank-0 input wraps dims as if it had one axis and flattens to [1].
        let rank = max(x.count, 1)
        let s = try LayoutRules.axis(start, of: x, rank: rank, op: name, argument: "start")
        let e = try LayoutRules.axis(end, of: x, rank: rank, op: name, argument: "end")
        guard s <= e else {
            throw .error("flatten start \(start) comes after end \(end) for input \(formatShape(x))")
        }
        if x.isEmpty { return [[1]] }
        return [Array(x[..<s]) + [x[s...e].reduce(1, *)] + Array(x[(e + 1)...])]
    }
}
