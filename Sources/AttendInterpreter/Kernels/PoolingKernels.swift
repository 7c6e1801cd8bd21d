import AttendBasic
import AttendIR

/// Average and max pooling, fixed-window and adaptive, over [N, C, H, W], as PyTorch's CPU kernels.
enum PoolingKernels {
    /// nn.AvgPool2d. A window is clipped to the padded input (with ceil_mode it may run past
    /// it); `count_include_pad` divides by that clipped window, else by its valid elements.
    static func avgPool2d(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let shape = try inferredShapes(context)[0]
        let w = PoolWindow(context.attributes)
        let countPad = context.attributes.bool("count_include_pad")
        let (inH, inW, outH, outW) = (x.shape[2], x.shape[3], shape[2], shape[3])
        var out = [Float](repeating: 0, count: ShapeRules.elementCount(shape))
        x.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for plane in 0..<(shape[0] * shape[1]) {
                    let inBase = plane * inH * inW, outBase = plane * outH * outW
                    for oh in 0..<outH {
                        let h0 = oh * w.stride[0] - w.pad[0], h1 = min(h0 + w.kernel[0], inH + w.pad[0])
                        let rows = max(h0, 0)..<min(h1, inH)
                        for ow in 0..<outW {
                            let w0 = ow * w.stride[1] - w.pad[1], w1 = min(w0 + w.kernel[1], inW + w.pad[1])
                            let columns = max(w0, 0)..<min(w1, inW)
                            guard !rows.isEmpty, !columns.isEmpty else { continue } // all padding: 0, as torch
                            var sum: Float = 0
                            for h in rows {
                                for c in columns { sum += src[inBase + h * inW + c] }
                            }
                            let divisor = countPad ? (h1 - h0) * (w1 - w0) : rows.count * columns.count
                            dst[outBase + oh * outW + ow] = sum / Float(divisor)
                        }
                    }
                }
            }
        }
        return [Tensor(shape: shape, data: out)]
    }

    /// nn.MaxPool2d: padding never wins (it is -inf) and a NaN in the window wins.
    static func maxPool2d(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let shape = try inferredShapes(context)[0]
        let w = PoolWindow(context.attributes)
        let (inH, inW, outH, outW) = (x.shape[2], x.shape[3], shape[2], shape[3])
        // The input rows (columns) each output row (column) reads, skipping padding.
        func taps(_ axis: Int, output: Int, input: Int) -> [[Int]] {
            (0..<output).map { o in
                (0..<w.kernel[axis]).map { o * w.stride[axis] - w.pad[axis] + $0 * w.dilation[axis] }.filter { $0 >= 0 && $0 < input }
            }
        }
        let rowTaps = taps(0, output: outH, input: inH), columnTaps = taps(1, output: outW, input: inW)
        var out = [Float](repeating: 0, count: ShapeRules.elementCount(shape))
        x.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for plane in 0..<(shape[0] * shape[1]) {
                    let inBase = plane * inH * inW, outBase = plane * outH * outW
                    for (oh, rows) in rowTaps.enumerated() {
                        for (ow, columns) in columnTaps.enumerated() {
                            var best = -Float.infinity
                            for h in rows {
                                for c in columns {
                                    let v = src[inBase + h * inW + c]
                                    if v > best || v.isNaN { best = v }
                                }
                            }
                            dst[outBase + oh * outW + ow] = best
                        }
                    }
                }
            }
        }
        return [Tensor(shape: shape, data: out)]
    }

    static func adaptiveAvgPool2d(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        try adaptive(context) { src, base, rows, columns, rowLength in
            var sum: Float = 0
            for h in rows {
                for c in columns { sum += src[base + h * rowLength + c] }
            }
            return sum / Float(rows.count * columns.count)
        }
    }

    static func adaptiveMaxPool2d(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        try adaptive(context) { src, base, rows, columns, rowLength in
            var best = -Float.infinity
            for h in rows {
                for c in columns {
                    let v = src[base + h * rowLength + c]
                    if v > best || v.isNaN { best = v }
                }
            }
            return best
        }
    }

    /// Runs `reduce(src, plane start, rows, columns, row length)` over each output cell's bin.
    private static func adaptive(
        _ context: KernelContext,
        _ reduce: (UnsafeBufferPointer<Float>, Int, Range<Int>, Range<Int>, Int) -> Float
    ) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let shape = try inferredShapes(context)[0]
        let (inH, inW, outH, outW) = (x.shape[2], x.shape[3], shape[2], shape[3])
        let rowBins = (0..<outH).map { AdaptivePool2dOp.bin($0, input: inH, output: outH) }
        let columnBins = (0..<outW).map { AdaptivePool2dOp.bin($0, input: inW, output: outW) }
        var out = [Float](repeating: 0, count: ShapeRules.elementCount(shape))
        x.data.withUnsafeBufferPointer { src in
            for plane in 0..<(shape[0] * shape[1]) {
                let base = plane * inH * inW
                for (oh, rows) in rowBins.enumerated() {
                    for (ow, columns) in columnBins.enumerated() {
                        out[(plane * outH + oh) * outW + ow] = reduce(src, base, rows, columns, inW)
                    }
                }
            }
        }
        return [Tensor(shape: shape, data: out)]
    }
}
