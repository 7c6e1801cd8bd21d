import AttendBasic

/// torch.cat(inputs, dim=axis).
public struct ConcatOp: Op {
    public init() {}
    public var name: String { "concat" }
    public var summary: String { "join inputs along an axis, as torch.cat(dim=axis)" }
    public var arity: Arity { .atLeast(1) }
    public var fusion: FusionKind { .injective }
    public func returnsInputUnchanged(inputs: [[Int]], attributes: Attributes) -> Bool { inputs.count == 1 }
    public var arguments: [ArgSpec] {
        [ArgSpec("axis", .int, default: .int(0), "axis to join along (dim)")]
    }

    public func contiguousInputOffsets(inputs: [[Int]], attributes: Attributes) -> [Int]? {
        let rank = inputs[0].count, given = attributes.int("axis")
        let axis = given < 0 ? given + rank : given
        guard axis >= 0, axis < rank, inputs[0][..<axis].allSatisfy({ $0 == 1 }) else { return nil }
        var offsets: [Int] = [], offset = 0
        for shape in inputs {
            offsets.append(offset)
            offset += shape.reduce(1, *)
        }
        return offsets
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let first = inputs[0]
        guard !first.isEmpty else { throw .error("concat cannot join rank-0 tensors (input 0 is [])") }
        let axis = try LayoutRules.axis(attributes.int("axis"), of: first, op: name, argument: "axis")
        var result = first
        for (index, shape) in inputs.enumerated().dropFirst() {
            guard shape.count == first.count else {
                throw .error("concat inputs must have the same rank: input 0 is \(formatShape(first)), input \(index) is \(formatShape(shape))")
            }
            guard shape.indices.allSatisfy({ $0 == axis || shape[$0] == first[$0] }) else {
                throw .error("concat inputs must match except along axis \(axis): input 0 is \(formatShape(first)), input \(index) is \(formatShape(shape))")
            }
            result[axis] += shape[axis]
        }
        return [result]
    }
}

/// torch.split(x, sizes, dim=axis): several outputs along one axis.
public struct SplitOp: Op {
    public init() {}
    public var name: String { "split" }
    public var summary: String { "cut into pieces along an axis, as torch.split; one output per piece" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? {
        let rank = inputs[0].count, axis = attributes.int("axis") < 0 ? attributes.int("axis") + rank : attributes.int("axis")
        let pieces = Self.sections(attributes.ints("sizes"), size: inputs[0][axis])
        return .strided(axis: axis, start: pieces.prefix(output).reduce(0, +), step: 1)
    }
    public var arguments: [ArgSpec] {
        [ArgSpec("sizes", .ints(count: nil), "one int: chunk size (the last chunk may be smaller); a list: the exact piece sizes"),
         ArgSpec("axis", .int, default: .int(0), "axis to cut (dim)")]
    }

    /// The piece sizes along an axis of `size` elements. A single value is a chunk size, as
    /// `torch.split(x, int)`; `sizes: [n]` cannot be told apart from `sizes: n` and means the same.
    public static func sections(_ sizes: [Int], size: Int) -> [Int] {
        guard sizes.count == 1 else { return sizes }
        let chunk = sizes[0]
        guard chunk > 0 else { return [] }
        return stride(from: 0, to: size, by: chunk).map { min(chunk, size - $0) }
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0], sizes = attributes.ints("sizes")
        let axis = try LayoutRules.axis(attributes.int("axis"), of: x, op: name, argument: "axis")
        let size = x[axis]
        guard size > 0 else { throw .error("split cannot cut axis \(axis) of \(formatShape(x)): it is empty") }
        if sizes.count == 1 {
            guard sizes[0] > 0 else { throw .error("split chunk size must be positive, got \(sizes[0])") }
        } else {
            guard !sizes.isEmpty else { throw .error("split needs at least one size") }
            // Pieces must be non-empty (see LayoutRules); torch would allow size 0.
            guard sizes.allSatisfy({ $0 > 0 }) else {
                throw .error("split sizes \(formatShape(sizes)) must be positive")
            }
            if let big = sizes.first(where: { $0 > size }) {
                throw .error("split size \(big) in \(formatShape(sizes)) is larger than axis \(axis) of \(formatShape(x)) (size \(size))")
            }
            // Each size is at most the axis size, so the sum cannot overflow.
            let sum = sizes.reduce(0, +)
            guard sum == size else {
                throw .error("split sizes \(formatShape(sizes)) sum to \(sum), but axis \(axis) of \(formatShape(x)) has size \(size)")
            }
        }
        return Self.sections(sizes, size: size).map { piece in
            var shape = x
            shape[axis] = piece
            return shape
        }
    }
}

/// torch.unbind(x, dim=axis): one output per index along the axis, with that axis removed.
public struct UnbindOp: Op {
    public init() {}
    public var name: String { "unbind" }
    public var summary: String { "one output per index along an axis, the axis removed, as torch.unbind" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? {
        let rank = inputs[0].count, axis = attributes.int("axis")
        return .select(axis: axis < 0 ? axis + rank : axis, index: output)
    }
    public var arguments: [ArgSpec] {
        [ArgSpec("axis", .int, default: .int(0), "axis to remove (dim)")]
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        let axis = try LayoutRules.axis(attributes.int("axis"), of: x, op: name, argument: "axis")
        guard x[axis] > 0 else { throw .error("unbind along axis \(axis) of \(formatShape(x)) would give no outputs") }
        var shape = x
        shape.remove(at: axis)
        return Array(repeating: shape, count: x[axis])
    }
}

/// x[..., start:end:step] along one axis, with Python's slicing rules.
public struct SliceOp: Op {
    public init() {}
    public var name: String { "slice" }
    public var summary: String { "x[..., start:end:step] along one axis (Python semantics: negatives count from the end, out-of-range clamps)" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? {
        let rank = inputs[0].count, axis = attributes.int("axis") < 0 ? attributes.int("axis") + rank : attributes.int("axis")
        return .strided(axis: axis, start: Self.resolve(attributes, size: inputs[0][axis]).start, step: attributes.int("step"))
    }
    public var arguments: [ArgSpec] {
        [ArgSpec("axis", .int, "axis to slice"),
         ArgSpec("start", .int, default: .int(0), "first index"),
         ArgSpec("end", .optionalInt, default: ArgValue.none, "index past the last; None means the end of the axis"),
         ArgSpec("step", .int, default: .int(1), "step, at least 1 (torch has no negative steps)")]
    }

    /// Python's `range(size)[start:end:step]` for a positive step: the first index and the count.
    public static func resolve(start: Int, end: Int?, step: Int, size: Int) -> (start: Int, count: Int) {
        func clamp(_ index: Int) -> Int { min(max(index < 0 ? index + size : index, 0), size) }
        let first = clamp(start), last = end.map(clamp) ?? size
        guard step > 0, last > first else { return (first, 0) }
        return (first, (last - first - 1) / step + 1)
    }

    public static func resolve(_ attributes: Attributes, size: Int) -> (start: Int, count: Int) {
        resolve(start: attributes.int("start"), end: attributes.optionalInt("end"), step: attributes.int("step"), size: size)
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        let axis = try LayoutRules.axis(attributes.int("axis"), of: x, op: name, argument: "axis")
        let step = attributes.int("step")
        guard step >= 1 else { throw .error("slice step must be at least 1, got \(step)") }
        let (_, count) = Self.resolve(attributes, size: x[axis])
        // Empty results are rejected (see LayoutRules), although torch would give a size-0 axis.
        guard count > 0 else {
            let end = attributes.optionalInt("end").map(String.init) ?? ""
            throw .error("slice [\(attributes.int("start")):\(end):\(step)] of axis \(axis) (size \(x[axis])) of \(formatShape(x)) selects no elements")
        }
        var shape = x
        shape[axis] = count
        return [shape]
    }
}
