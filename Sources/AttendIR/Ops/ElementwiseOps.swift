import AttendBasic

/// Ops computed element by element. Each declares its formula; unary ops keep the input
/// shape, binary ops broadcast like NumPy (or take a scalar `other`, like `torch.mul(x, 2)`).
public struct ElementwiseOp: Op {
    /// Which elementwise op this is: passes match on it (`mul` by a scalar, `neg` of `neg`).
    public enum Kind: String, Sendable, CaseIterable {
        case add, sub, mul, div, pow, neg, sqrt, abs, exp, relu, relu6, sigmoid, hardsigmoid, hardswish, silu, tanh, gelu
    }

    public let kind: Kind
    public let summary: String
    public let isBinary: Bool
    public let extraArguments: [ArgSpec]
    /// The formula a node computes; ops with variants (gelu's `approximate`) pick by argument.
    private let select: @Sendable (Attributes) -> ScalarFormula

    init(_ kind: Kind, _ summary: String, binary: Bool = false, arguments: [ArgSpec] = [], _ formula: ScalarFormula) {
        self.init(kind, summary, binary: binary, arguments: arguments, select: { _ in formula })
    }

    init(_ kind: Kind, _ summary: String, binary: Bool = false, arguments: [ArgSpec] = [],
         select: @escaping @Sendable (Attributes) -> ScalarFormula) {
        self.kind = kind
        self.summary = summary
        self.isBinary = binary
        self.extraArguments = arguments
        self.select = select
    }

    public var name: String { kind.rawValue }
    public var variant: AnyHashable? { kind }

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
    /// Every kind's declaration, as the registry lists them.
    static let declarations: [ElementwiseOp] = Kind.allCases.map(declared)

    /// The declaration of one kind: its summary, arity and formula (passes build nodes of it,
    /// as `ElementwiseOp.declared(.mul)`).
    public static func declared(_ kind: Kind) -> ElementwiseOp {
        typealias F = ScalarFormula
        let x = F.x, y = F.y
        let sigmoid = F.c(1) / (F.c(1) + F.exp(-x))
        let hardsigmoid = F.clamp(x + F.c(3), 0, 6) / F.c(6)
        switch kind {
        case .add: return ElementwiseOp(.add, "x + y, broadcasting", binary: true, x + y)
        case .sub: return ElementwiseOp(.sub, "x - y, broadcasting", binary: true, x - y)
        case .mul: return ElementwiseOp(.mul, "x * y, broadcasting", binary: true, x * y)
        case .div: return ElementwiseOp(.div, "x / y (true division), broadcasting", binary: true, x / y)
        case .pow: return ElementwiseOp(.pow, "x ** y, broadcasting", binary: true, .binary(.pow, x, y))
        case .neg: return ElementwiseOp(.neg, "-x", -x)
        case .sqrt: return ElementwiseOp(.sqrt, "square root", .unary(.sqrt, x))
        case .abs: return ElementwiseOp(.abs, "absolute value", .unary(.abs, x))
        case .exp: return ElementwiseOp(.exp, "e ** x", .exp(x))
        case .relu: return ElementwiseOp(.relu, "max(x, 0)", .max(x, .c(0)))
        case .relu6: return ElementwiseOp(.relu6, "min(max(x, 0), 6)", .clamp(x, 0, 6))
        case .sigmoid: return ElementwiseOp(.sigmoid, "1 / (1 + exp(-x))", sigmoid)
        case .hardsigmoid: return ElementwiseOp(.hardsigmoid, "clamp(x + 3, 0, 6) / 6, as torch.nn.Hardsigmoid", hardsigmoid)
        case .hardswish: return ElementwiseOp(.hardswish, "x * clamp(x + 3, 0, 6) / 6, as torch.nn.Hardswish", x * hardsigmoid)
        case .silu: return ElementwiseOp(.silu, "x * sigmoid(x) (swish)", x * sigmoid)
        case .tanh: return ElementwiseOp(.tanh, "hyperbolic tangent", .tanh(x))
        case .gelu: return GeluOp.declaration
        }
    }
}

/// GELU has two formulas, chosen by `approximate` as in torch.nn.GELU.
enum GeluOp {
    static let exact: ScalarFormula = .c(0.5) * .x * (.c(1) + .erf(.x * .c(0.7071067811865476)))
    static let tanhApproximation: ScalarFormula =
        .c(0.5) * .x * (.c(1) + .tanh(.c(0.7978845608028654) * (.x + .c(0.044715) * .x * .x * .x)))

    static let declaration = ElementwiseOp(
        .gelu, "Gaussian error linear unit; approximate: none (erf) or tanh",
        arguments: [ArgSpec("approximate", .choice(["none", "tanh"]), default: .string("none"), "none: exact erf form; tanh: the tanh approximation")],
        select: { $0.string("approximate") == "tanh" ? tanhApproximation : exact })
}

