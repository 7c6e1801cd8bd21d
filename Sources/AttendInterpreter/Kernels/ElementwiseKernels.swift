import AttendBasic
import AttendIR
import Foundation

/// One kernel serves every elementwise op: it evaluates the op's declared scalar formula
/// over NumPy-broadcast operands.
enum ElementwiseKernels {
    static func run(_ op: ElementwiseOp, _ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let formula = op.formula(for: context.attributes)
        let outShape = context.outputShapes[0]
        var operands = context.inputs
        if op.isBinary, operands.count == 1, let other = context.attributes.optionalFloat("other") {
            operands.append(Tensor(shape: [], data: [Float(other)]))
        }
        let evaluate = compile(formula, attributes: context.attributes)
        let count = ShapeRules.elementCount(outShape)
        var result = [Float](repeating: 0, count: count)
        if operands.count == 1 {
            let x = operands[0].data
            for i in 0..<count { result[i] = evaluate(x[i], 0) }
        } else {
            let a = BroadcastIndex(from: operands[0].shape, to: outShape)
            let b = BroadcastIndex(from: operands[1].shape, to: outShape)
            let x = operands[0].data, y = operands[1].data
            for i in 0..<count { result[i] = evaluate(x[a.source(i)], y[b.source(i)]) }
        }
        return [Tensor(shape: outShape, data: result)]
    }

    /// Turns a formula into a closure of (operand 0, operand 1), computed in float32 like PyTorch.
    static func compile(_ formula: ScalarFormula, attributes: Attributes) -> (Float, Float) -> Float {
        switch formula {
        case .operand(let i):
            return i == 0 ? { x, _ in x } : { _, y in y }
        case .constant(let v):
            let c = Float(v)
            return { _, _ in c }
        case .argument(let name):
            let c = Float(attributes.optionalFloat(name) ?? 0)
            return { _, _ in c }
        case .unary(let function, let a):
            let f = compile(a, attributes: attributes)
            switch function {
            case .neg: return { -f($0, $1) }
            case .abs: return { Swift.abs(f($0, $1)) }
            case .sqrt: return { f($0, $1).squareRoot() }
            case .exp: return { Foundation.exp(f($0, $1)) }
            case .log: return { Foundation.log(f($0, $1)) }
            case .tanh: return { Foundation.tanh(f($0, $1)) }
            case .erf: return { Foundation.erf(f($0, $1)) }
            case .sin: return { Foundation.sin(f($0, $1)) }
            case .cos: return { Foundation.cos(f($0, $1)) }
            }
        case .binary(let function, let a, let b):
            let f = compile(a, attributes: attributes), g = compile(b, attributes: attributes)
            switch function {
            case .add: return { f($0, $1) + g($0, $1) }
            case .sub: return { f($0, $1) - g($0, $1) }
            case .mul: return { f($0, $1) * g($0, $1) }
            case .div: return { f($0, $1) / g($0, $1) }
            case .pow: return { Foundation.pow(f($0, $1), g($0, $1)) }
            // NaN propagates through max/min as in torch.clamp and relu.
            case .max: return { let p = f($0, $1), q = g($0, $1); return p.isNaN || q.isNaN ? .nan : Swift.max(p, q) }
            case .min: return { let p = f($0, $1), q = g($0, $1); return p.isNaN || q.isNaN ? .nan : Swift.min(p, q) }
            }
        }
    }
}

/// Maps a flat index of a broadcast result back to the flat index of one operand.
public struct BroadcastIndex {
    let outStrides: [Int]
    let sourceStrides: [Int]
    let outShape: [Int]
    let identity: Bool

    public init(from shape: [Int], to outShape: [Int]) {
        self.outShape = outShape
        outStrides = Tensor.strides(of: outShape)
        let padded = [Int](repeating: 1, count: outShape.count - shape.count) + shape
        let strides = Tensor.strides(of: padded)
        sourceStrides = zip(padded, strides).map { $0 == 1 ? 0 : $1 }
        identity = padded == outShape
    }

    @inline(__always) public func source(_ index: Int) -> Int {
        if identity { return index }
        var remaining = index, result = 0
        for axis in 0..<outShape.count {
            let coordinate = remaining / outStrides[axis]
            remaining -= coordinate * outStrides[axis]
            result += coordinate * sourceStrides[axis]
        }
        return result
    }
}

extension ElementwiseOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try ElementwiseKernels.run(self, context) }
}
