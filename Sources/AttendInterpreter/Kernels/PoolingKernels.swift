import AttendBasic
import AttendIR

/// Average and max pooling, fixed-window (2-D and 3-D) and adaptive (2-D), as PyTorch's CPU kernels.
enum PoolingKernels {
    /// A pooling window over [N, C, D, H, W]: a 2-D node's window gets a depth axis of one
    /// (kernel 1, stride 1, no pad, no dilation), so one loop nest serves both ranks.
    private static func window3d(_ context: KernelContext) throws(Diagnostic)
        -> (x: Tensor, shape: [Int], w: PoolWindow, input: [Int], output: [Int]) {
        let x = context.inputs[0]
        let shape = try inferredShapes(context)[0]
        var w = PoolWindow(context.attributes)
        var input = Array(x.shape[2...]), output = Array(shape[2...])
        if input.count == 2 {
            w.kernel.insert(1, at: 0); w.stride.insert(1, at: 0); w.pad.insert(0, at: 0); w.dilation.insert(1, at: 0)
            input.insert(1, at: 0); output.insert(1, at: 0)
        }
        return (x, shape, w, input, output)
    }

    /// nn.AvgPool2d/3d. A window is clipped to the padded input (with ceil_mode it may run past
    /// it); `count_include_pad` divides by that clipped window, else by its valid elements.
    static func avgPool(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let (x, shape, w, input, output) = try window3d(context)
        let countPad = context.attributes.bool("count_include_pad")
        let (inD, inH, inW) = (input[0], input[1], input[2])
        let (outD, outH, outW) = (output[0], output[1], output[2])
        // Per axis and output index: the padded window bounds and the valid input range.
        func bounds(_ axis: Int) -> [(Int, Int, Range<Int>)] {
            (0..<output[axis]).map { o in
                let a0 = o * w.stride[axis] - w.pad[axis], a1 = min(a0 + w.kernel[axis], input[axis] + w.pad[axis])
                return (a0, a1, max(a0, 0)..<min(a1, input[axis]))
            }
        }
        let (depths, rows, columns) = (bounds(0), bounds(1), bounds(2))
        var out = [Float](repeating: 0, count: ShapeRules.elementCount(shape))
        x.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for plane in 0..<(shape[0] * shape[1]) {
                    let inBase = plane * inD * inH * inW, outBase = plane * outD * outH * outW
                    for (od, (d0, d1, ds)) in depths.enumerated() {
                        for (oh, (h0, h1, hs)) in rows.enumerated() {
                            for (ow, (w0, w1, ws)) in columns.enumerated() {
                                guard !ds.isEmpty, !hs.isEmpty, !ws.isEmpty else { continue } // all padding: 0, as torch
                                var sum: Float = 0
                                for d in ds {
                                    for h in hs {
                                        for c in ws { sum += src[inBase + (d * inH + h) * inW + c] }
                                    }
                                }
                                let divisor = countPad ? (d1 - d0) * (h1 - h0) * (w1 - w0) : ds.count * hs.count * ws.count
                                dst[outBase + (od * outH + oh) * outW + ow] = sum / Float(divisor)
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: shape, data: out)]
    }

    /// nn.MaxPool2d/3d: padding never wins (it is -inf) and a NaN in the window wins.
    static func maxPool(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let (x, shape, w, input, output) = try window3d(context)
        let (inD, inH, inW) = (input[0], input[1], input[2])
        let (outD, outH, outW) = (output[0], output[1], output[2])
        // The input coordinates each output coordinate reads along an axis, skipping padding.
        func taps(_ axis: Int) -> [[Int]] {
            (0..<output[axis]).map { o in
                (0..<w.kernel[axis]).map { o * w.stride[axis] - w.pad[axis] + $0 * w.dilation[axis] }.filter { $0 >= 0 && $0 < input[axis] }
            }
        }
        let (depthTaps, rowTaps, columnTaps) = (taps(0), taps(1), taps(2))
        var out = [Float](repeating: 0, count: ShapeRules.elementCount(shape))
        x.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for plane in 0..<(shape[0] * shape[1]) {
                    let inBase = plane * inD * inH * inW, outBase = plane * outD * outH * outW
                    for (od, ds) in depthTaps.enumerated() {
                        for (oh, rows) in rowTaps.enumerated() {
                            for (ow, columns) in columnTaps.enumerated() {
                                var best = -Float.infinity
                                for d in ds {
                                    for h in rows {
                                        for c in columns {
                                            let v = src[inBase + (d * inH + h) * inW + c]
                                            if v > best || v.isNaN { best = v }
                                        }
                                    }
                                }
                                dst[outBase + (od * outH + oh) * outW + ow] = best
                            }
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

extension PoolOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try reduction == .average ? PoolingKernels.avgPool(context) : PoolingKernels.maxPool(context) }
}

extension AdaptivePool2dOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try reduction == .average ? PoolingKernels.adaptiveAvgPool2d(context) : PoolingKernels.adaptiveMaxPool2d(context) }
}
