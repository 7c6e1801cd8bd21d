import AttendBasic

/// x.expand(*sizes): size-1 axes repeated to `shape`, as torch's Tensor.expand (the ViT's
/// `cls_token.expand(B, -1, -1)`); -1 keeps an axis, new leading axes may be added.
public struct ExpandOp: Op {
    public init() {}
    public var name: String { "expand" }
    public var summary: String { "x.expand(*shape): repeat size-1 axes to shape; -1 keeps an axis, new leading axes allowed" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public var arguments: [ArgSpec] {
        [ArgSpec("shape", .ints(count: nil), "the output shape; -1 keeps the input's size; only size-1 axes (and new leading ones) grow")]
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0], target = attributes.ints("shape")
        guard target.count >= x.count else {
            throw .error("expand shape \(formatShape(target)) has fewer axes than input \(formatShape(x)) (the number of sizes must be at least the rank)")
        }
        let added = target.count - x.count
        var result: [Int] = []
        for (axis, size) in target.enumerated() {
            if axis < added {
                guard size >= 1 else {
                    throw .error("expand shape \(formatShape(target)): the new leading axis \(axis) needs a positive size, got \(size)")
                }
                result.append(size)
                continue
            }
            let existing = x[axis - added]
            if size == -1 || size == existing {
                result.append(existing)
            } else if existing == 1, size >= 1 {
                result.append(size)
            } else {
                throw .error("expand cannot grow axis \(axis) of \(formatShape(x)) from \(existing) to \(size) (only size-1 axes expand; -1 keeps a size)")
            }
        }
        try ShapeRules.checkSize(result, "the expanded shape")
        return [result]
    }

    /// For each output axis, whether it reads the input at coordinate 0 (a grown or added
    /// axis) rather than at the output's coordinate.
    public static func repeatedAxes(input: [Int], output: [Int]) -> [Bool] {
        let added = output.count - input.count
        return output.indices.map { $0 < added || input[$0 - added] != output[$0] }
    }
}
