import AttendBasic

/// x.mean(dims), x.sum(dims) and x.amax(dims): one declaration for the reductions, which
/// share their arguments and shape rule and differ only in how elements combine.
public struct ReductionOp: Op {
    public enum Kind: String, Sendable, CaseIterable {
        case mean, sum, max
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var name: String { kind.rawValue }
    public var variant: AnyHashable? { kind }
    public var summary: String {
        switch kind {
        case .mean: return "mean over axes (all by default), as x.mean(dim, keepdim)"
        case .sum: return "sum over axes (all by default), as x.sum(dim, keepdim)"
        case .max: return "maximum over axes (all by default), as x.amax(dim, keepdim); NaN propagates"
        }
    }
    public var fusion: FusionKind { .reduction }
    public var arity: Arity { .exactly(1) }

    public func reductionWindow(inputs: [[Int]], attributes: Attributes) -> Int? {
        let input = inputs[0]
        guard let axes = try? reducedAxes(input: input, attributes: attributes), !axes.isEmpty,
              axes == Array((input.count - axes.count)..<input.count), axes.count < input.count else { return nil }
        return axes.reduce(1) { $0 * input[$1] }
    }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("axes", .ints(count: nil), default: ArgValue.none, "axes to reduce (dim); None reduces all"),
            ArgSpec("keepdim", .bool, default: .bool(false), "keep reduced axes as size 1"),
        ]
    }

    /// The normalized axes this node reduces, sorted, or a diagnostic for bad axes.
    /// A rank-0 input reduces to itself; like PyTorch it accepts axis 0 or -1.
    public func reducedAxes(input: [Int], attributes a: Attributes) throws(Diagnostic) -> [Int] {
        guard let axes = a.optionalInts("axes") else { return Array(input.indices) }
        guard !axes.isEmpty else {
            throw .error("\(name) needs at least one axis in 'axes'; omit 'axes' to reduce all axes")
        }
        let normalized = try ShapeRules.normalizeAxes(axes, rank: max(input.count, 1))
        return input.isEmpty ? [] : normalized.sorted()
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        let axes = try reducedAxes(input: x, attributes: a)
        if kind == .max, let empty = axes.first(where: { x[$0] == 0 }) {
            throw .error("max over axis \(empty) of \(formatShape(x)) has no elements to reduce")
        }
        let keepdim = a.bool("keepdim")
        var shape: [Int] = []
        for (axis, extent) in x.enumerated() {
            if !axes.contains(axis) { shape.append(extent) } else if keepdim { shape.append(1) }
        }
        return [shape]
    }

    /// One operation per input element.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        ShapeRules.elementCount(inputs[0])
    }
}
