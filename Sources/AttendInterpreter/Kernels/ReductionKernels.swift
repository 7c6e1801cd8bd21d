import AttendBasic
import AttendIR

/// mean, sum and amax over any set of axes. Sums are accumulated in Double; max propagates
/// NaN like torch.amax.
enum ReductionKernels {
    static func run(_ op: ReductionOp, _ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let outShape = context.outputShapes[0]
        let axes = try op.reducedAxes(input: x.shape, attributes: context.attributes)

        // Where each input axis moves the output index: kept axes by their output stride,
        // reduced axes not at all.
        let keptShape = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
        let outStrides = zip(Tensor.strides(of: keptShape), x.shape.indices).map { axes.contains($1) ? 0 : $0 }
        let reducedCount = axes.reduce(1) { $0 * x.shape[$1] }
        let outCount = ShapeRules.elementCount(outShape)

        var sums = [Double](repeating: 0, count: op.kind == .max ? 0 : outCount)
        var maxima = [Float](repeating: -.infinity, count: op.kind == .max ? outCount : 0)
        var coordinate = [Int](repeating: 0, count: x.rank)
        var outIndex = 0
        for i in 0..<x.count {
            let v = x.data[i]
            if op.kind == .max {
                if v.isNaN || v > maxima[outIndex] { maxima[outIndex] = v }
            } else {
                sums[outIndex] += Double(v)
            }
            // Step to the next input element in row-major order, keeping outIndex in sync.
            var axis = x.rank - 1
            while axis >= 0 {
                coordinate[axis] += 1
                outIndex += outStrides[axis]
                if coordinate[axis] < x.shape[axis] { break }
                outIndex -= outStrides[axis] * x.shape[axis]
                coordinate[axis] = 0
                axis -= 1
            }
        }

        let result: [Float]
        switch op.kind {
        case .max: result = maxima
        case .sum: result = sums.map { Float($0) }
        case .mean: result = sums.map { Float($0 / Double(reducedCount)) }
        }
        return [Tensor(shape: outShape, data: result)]
    }
}

extension ReductionOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try ReductionKernels.run(self, context) }
}
