import AttendBasic
import AttendIR

/// Reference kernels of the weight-packing ops (see `PackPanelsOp`).
enum PackingKernels {
    static func packPanels(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let w = context.inputs[0]
        let shape = try inferredShapes(context)[0]
        let (panels, columns, rows) = (shape[0], shape[1], shape[2])
        let height = w.shape[0]
        var out = [Float](repeating: 0, count: panels * columns * rows)
        for b in 0..<panels {
            for i in 0..<rows where b * rows + i < height {
                for k in 0..<columns { out[(b * columns + k) * rows + i] = w.data[(b * rows + i) * columns + k] }
            }
        }
        return [Tensor(shape: shape, data: out)]
    }
}

extension PackingKernels {
    /// `out[p, b, c, i] = (G w[b*rows+i, c] Gᵀ)[p]`, summed over the taps in (row, column)
    /// order in float32 (see `WinogradFilterOp`).
    static func winogradFilter(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let w = context.inputs[0]
        let shape = try inferredShapes(context)[0]
        guard let transform = WinogradTransform(m: context.attributes.int("tile")) else {
            throw .error("winograd_filter: no transform for tile \(context.attributes.int("tile"))")
        }
        let (positions, panels, channels, rows) = (shape[0], shape[1], shape[2], shape[3])
        let layout = WinogradPanels(outChannels: w.shape[0], groups: context.attributes.int("groups"), rows: rows), alpha = transform.alpha
        var out = [Float](repeating: 0, count: positions * panels * channels * rows)
        for b in 0..<panels {
            for i in 0..<rows {
                guard let k = layout.channel(panel: b, row: i) else { continue }
                for c in 0..<channels {
                    let tap = k * channels * 9 + c * 9
                    for p in 0..<positions {
                        var sum: Float = 0
                        for u in 0..<3 {
                            for v in 0..<3 {
                                let coefficient = transform.filterCoefficient(p / alpha, p % alpha, u, v)
                                if coefficient != 0 { sum += Float(coefficient) * w.data[tap + u * 3 + v] }
                            }
                        }
                        out[((p * panels + b) * channels + c) * rows + i] = sum
                    }
                }
            }
        }
        return [Tensor(shape: shape, data: out)]
    }
}

extension PackPanelsOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try PackingKernels.packPanels(context) }
}

extension WinogradFilterOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try PackingKernels.winogradFilter(context) }
}
