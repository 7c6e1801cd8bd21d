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

extension PackPanelsOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try PackingKernels.packPanels(context) }
}
