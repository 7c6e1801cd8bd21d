import AttendBasic
import AttendIR

// Pooling and reductions as ONNX ops.

extension ReductionOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let axes = try reducedAxes(input: c.inputShapes[0], attributes: c.attributes)
        let opType = switch kind {
        case .mean: "ReduceMean"
        case .sum: "ReduceSum"
        case .max: "ReduceMax"
        }
        return [b.add1(opType, [c.inputs[0], b.int64s(axes)], base: c.base,
                       [Attr.int("keepdims", c.attributes.bool("keepdim") ? 1 : 0)])]
    }
}

extension PoolOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let w = PoolWindow(c.attributes)
        let spatial = Array(c.inputShapes[0][2...]), out = Array(c.outputShapes[0][2...])
        var attributes = [Attr.ints("kernel_shape", w.kernel), Attr.ints("strides", w.stride),
                          Attr.ints("pads", w.pad + w.pad), Attr.int("ceil_mode", w.ceilMode ? 1 : 0)]
        switch reduction {
        case .max:
            attributes.append(Attr.ints("dilations", w.dilation))
            return [b.add1("MaxPool", c.inputs, base: c.base, attributes)]
        case .average:
            let countPad = c.attributes.bool("count_include_pad")
            // With ceil_mode, torch divides a last window that overhangs the padded input by
            // the part inside it; ONNX's divisor for that window is not specified the same way.
            let overhangs = (0..<spatial.count).contains { (axis: Int) -> Bool in
                let lastWindowEnd: Int = (out[axis] - 1) * w.stride[axis] + w.kernel[axis]
                return lastWindowEnd > spatial[axis] + 2 * w.pad[axis]
            }
            if countPad, overhangs {
                throw .error("\(name) with ceil_mode and count_include_pad, whose last window overhangs the padded input, has no exact ONNX AveragePool equivalent")
            }
            attributes.append(Attr.int("count_include_pad", countPad ? 1 : 0))
            return [b.add1("AveragePool", c.inputs, base: c.base, attributes)]
        }
    }
}

extension AdaptivePool2dOp: ONNXLowering {
    /// Bins of equal size are plain pooling; otherwise each axis is reduced bin by bin
    /// (a bin is a rectangle of a row range and a column range, so rows then columns gives
    /// the same mean or maximum) and the bins are concatenated.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let input = Array(c.inputShapes[0][2...]), size = c.attributes.ints("size")
        let reduce = reduction == .average ? "ReduceMean" : "ReduceMax"
        if size == [1, 1] {
            return [b.add1(reduction == .average ? "GlobalAveragePool" : "GlobalMaxPool", c.inputs, base: c.base)]
        }
        if zip(input, size).allSatisfy({ $0 % $1 == 0 }) {
            let kernel = zip(input, size).map { $0 / $1 }
            return [b.add1(reduction == .average ? "AveragePool" : "MaxPool", c.inputs, base: c.base,
                           [Attr.ints("kernel_shape", kernel), Attr.ints("strides", kernel)])]
        }
        var value = c.inputs[0]
        for (offset, (extent, bins)) in zip(input, size).enumerated() where extent != bins {
            let axis = 2 + offset
            let axes = b.int64s([axis])
            let pieces = (0..<bins).map { i in
                let range = AdaptivePool2dOp.bin(i, input: extent, output: bins)
                let slice = b.add1("Slice", [value, b.int64s([range.lowerBound]), b.int64s([range.upperBound]), axes], base: c.base)
                return b.add1(reduce, [slice, axes], base: c.base, [Attr.int("keepdims", 1)])
            }
            value = b.add1("Concat", pieces, base: c.base, [Attr.int("axis", axis)])
        }
        return [value]
    }
}
