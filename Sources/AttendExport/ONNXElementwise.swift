import AttendBasic
import AttendIR

/// Elementwise ops are written from their declared `ScalarFormula`, not their names: any
/// formula exports. Subtrees that are one of ONNX's own activations (Relu, Sigmoid, Clip,
/// HardSigmoid, HardSwish, Gelu) become that op, which runtimes implement and fuse better
/// than the same math spelled out.
extension ElementwiseOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        var operands = c.inputs
        if operands.count == 1, let other = c.attributes.optionalFloat("other") { operands.append(b.scalar(other)) }
        var writer = FormulaWriter(operands: operands, attributes: c.attributes, base: c.base)
        return [writer.emit(formula(for: c.attributes), into: &b)]
    }
}

/// Turns a formula tree into ONNX nodes, operands being ONNX value names.
struct FormulaWriter {
    let operands: [String]
    let attributes: Attributes
    let base: String

    mutating func emit(_ f: ScalarFormula, into b: inout ONNXGraphBuilder) -> String {
        if let (opType, x, attributes) = Self.activation(f) {
            return b.add1(opType, [emit(x, into: &b)], base: base, attributes)
        }
        if case .binary(.min, .binary(.max, let x, .constant(let low)), .constant(let high)) = f {
            let value = emit(x, into: &b)
            return b.add1("Clip", [value, b.scalar(low), b.scalar(high)], base: base)
        }
        switch f {
        case .operand(let i): return operands[i]
        case .constant(let v): return b.scalar(v)
        case .argument(let name): return b.scalar(attributes.float(name))
        case .unary(let function, let x):
            let opType = switch function {
            case .neg: "Neg"
            case .abs: "Abs"
            case .sqrt: "Sqrt"
            case .exp: "Exp"
            case .log: "Log"
            case .tanh: "Tanh"
            case .erf: "Erf"
            case .sin: "Sin"
            case .cos: "Cos"
            }
            return b.add1(opType, [emit(x, into: &b)], base: base)
        case .binary(let function, let x, let y):
            let opType = switch function {
            case .add: "Add"
            case .sub: "Sub"
            case .mul: "Mul"
            case .div: "Div"
            case .pow: "Pow"
            case .max: "Max"
            case .min: "Min"
            }
            let left = emit(x, into: &b)
            return b.add1(opType, [left, emit(y, into: &b)], base: base)
        }
    }

    /// The ONNX activation a formula is, with its operand subtree and attributes.
    static func activation(_ f: ScalarFormula) -> (String, ScalarFormula, [Onnx_AttributeProto])? {
        typealias F = ScalarFormula
        // max(x, 0)
        if case .binary(.max, let x, .constant(0)) = f { return ("Relu", x, []) }
        // 1 / (1 + exp(-x))
        if case .binary(.div, .constant(1), .binary(.add, .constant(1), .unary(.exp, .unary(.neg, let x)))) = f {
            return ("Sigmoid", x, [])
        }
        // clamp(x + 3, 0, 6) / 6
        if let x = hardSigmoidOperand(f) {
            return ("HardSigmoid", x, [Attr.float("alpha", 1.0 / 6), Attr.float("beta", 0.5)])
        }
        // x * hardsigmoid(x)
        if case .binary(.mul, let x, let h) = f, hardSigmoidOperand(h) == x { return ("HardSwish", x, []) }
        // 0.5 * x * (1 + erf(x / sqrt 2)), and the tanh form
        if case .binary(.mul, .binary(.mul, .constant(0.5), let x), .binary(.add, .constant(1), let inner)) = f {
            if inner == .erf(x * .c(0.7071067811865476)) { return ("Gelu", x, []) }
            if inner == .tanh(.c(0.7978845608028654) * (x + .c(0.044715) * x * x * x)) {
                return ("Gelu", x, [Attr.string("approximate", "tanh")])
            }
        }
        return nil
    }

    private static func hardSigmoidOperand(_ f: ScalarFormula) -> ScalarFormula? {
        if case .binary(.div, .binary(.min, .binary(.max, .binary(.add, let x, .constant(3)), .constant(0)), .constant(6)), .constant(6)) = f {
            return x
        }
        return nil
    }
}
