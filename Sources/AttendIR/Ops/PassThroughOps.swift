import AttendBasic

/// torch.nn.Identity: the output is the input.
public struct IdentityOp: Op {
    public init() {}

    public var name: String { "identity" }
    public var summary: String { "the input unchanged, as torch.nn.Identity" }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? { .rowMajor }
    public var arity: Arity { .exactly(1) }
    public var arguments: [ArgSpec] { [] }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        [inputs[0]]
    }
}

/// torch.nn.Dropout(p) in eval mode: the identity. `p` is checked as PyTorch would, but
/// p = 1 (which zeroes everything in training) is rejected as a likely mistake.
public struct DropoutOp: Op {
    public init() {}

    public var name: String { "dropout" }
    public var summary: String { "dropout, as torch.nn.Dropout(p) in eval mode: the input unchanged" }
    public var fusion: FusionKind { .injective }
    public func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap? { .rowMajor }
    public var arity: Arity { .exactly(1) }

    public var arguments: [ArgSpec] {
        [ArgSpec("p", .float, default: .float(0.5), "probability of zeroing an element in training; must be in [0, 1)")]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let p = a.float("p")
        guard p >= 0, p < 1 else { throw .error("dropout p must be in [0, 1), got \(formatFloat(p))") }
        return [inputs[0]]
    }
}
