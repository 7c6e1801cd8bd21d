import AttendBasic

/// Ops computed element by element. Each declares its formula; unary ops keep the input
/// shape, binary ops broadcast like NumPy (or take a scalar `other`, like `torch.mul(x, 2)`).
public struct ElementwiseOp: Op {
    public let name: String
    public let summary: String
    public let isBinary: Bool
    public let extraArguments: [ArgSpec]
    /// The formula a node computes; ops with variants (gelu's `approximate`) pick by argument.
    private let select: @Sendable (Attributes) -> ScalarFormula

    public init(_ name: String, _ summary: String, binary: Bool = false, arguments: [ArgSpec] = [], _ formula: ScalarFormula) {
        self.init(name, summary, binary: binary, arguments: arguments, select: { _ in formula })
    }

    public init(_ name: String, _ summary: String, binary: Bool = false, arguments: [ArgSpec] = [],
                select: @escaping @Sendable (Attributes) -> ScalarFormula) {
        self.name = name
        self.summary = summary
        self.isBinary = binary
        self.extraArguments = arguments
        self.select = select
    }

    public func formula(for attributes: Attributes) -> ScalarFormula { select(attributes) }

    public var arguments: [ArgSpec] {
        (isBinary ? [ArgSpec("other", .float, default: ArgValue.none, "scalar second operand, when the op is given one input")] : [])
            + extraArguments
    }
    public var arity: Arity { isBinary ? .range(1, 2) : .exactly(1) }
    public var fusion: FusionKind { isBinary ? .broadcast : .elementwise }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        guard isBinary else { return [inputs[0]] }
        if inputs.count == 1 {
            guard attributes.optionalFloat("other") != nil else {
                throw .error("'\(name)' needs two inputs, or one input and a scalar 'other'")
            }
            return [inputs[0]]
        }
        if attributes.optionalFloat("other") != nil {
            throw .error("'\(name)' takes two inputs or 'other', not both")
        }
        guard let shape = ShapeRules.broadcast(inputs[0], inputs[1]) else {
            throw .error("cannot broadcast \(formatShape(inputs[0])) with \(formatShape(inputs[1])) in '\(name)'")
        }
        return [shape]
    }

    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        ShapeRules.elementCount(outputs[0])
    }
}

extension ElementwiseOp {
    static let declarations: [ElementwiseOp] = {
        typealias F = ScalarFormula
        let x = F.x, y = F.y
        let sigmoid = F.c(1) / (F.c(1) + F.exp(-x))
        let hardsigmoid = F.clamp(x + F.c(3), 0, 6) / F.c(6)
        return [
            ElementwiseOp("add", "x + y, broadcasting", binary: true, x + y),
            ElementwiseOp("sub", "x - y, broadcasting", binary: true, x - y),
            ElementwiseOp("mul", "x * y, broadcasting", binary: true, x * y),
            ElementwiseOp("div", "x / y (true division), broadcasting", binary: true, x / y),
            ElementwiseOp("pow", "x ** y, broadcasting", binary: true, .binary(.pow, x, y)),
            ElementwiseOp("neg", "-x", -x),
            ElementwiseOp("sqrt", "square root", .unary(.sqrt, x)),
            ElementwiseOp("abs", "absolute value", .unary(.abs, x)),
            ElementwiseOp("exp", "e ** x", .exp(x)),
            ElementwiseOp("relu", "max(x, 0)", .max(x, .c(0))),
            ElementwiseOp("relu6", "min(max(x, 0), 6)", .clamp(x, 0, 6)),
            ElementwiseOp("sigmoid", "1 / (1 + exp(-x))", sigmoid),
            ElementwiseOp("hardsigmoid", "clamp(x + 3, 0, 6) / 6, as torch.nn.Hardsigmoid", hardsigmoid),
            ElementwiseOp("hardswish", "x * clamp(x + 3, 0, 6) / 6, as torch.nn.Hardswish", x * hardsigmoid),
            ElementwiseOp("silu", "x * sigmoid(x) (swish)", x * sigmoid),
            ElementwiseOp("tanh", "hyperbolic tangent", .tanh(x)),
            GeluOp.declaration,
        ]
    }()
}

/// GELU has two formulas, chosen by `approximate` as in torch.nn.GELU.
enum GeluOp {
    static let exact: ScalarFormula = .c(0.5) * .x * (.c(1) + .erf(.x * .c(0.7071067811865476)))
    static let tanhApproximation: ScalarFormula =
        .c(0.5) * .x * (.c(1) + .tanh(.c(0.7978845608028654) * (.x + .c(0.044715) * .x * .x * .x)))

    static let declaration = ElementwiseOp(
        "gelu", "Gaussian error linear unit; approximate: none (erf) or tanh",
        arguments: [ArgSpec("approximate", .choice(["none", "tanh"]), default: .string("none"), "none: exact erf form; tanh: the tanh approximation")],
        select: { $0.string("approximate") == "tanh" ? tanhApproximation : exact })
}

