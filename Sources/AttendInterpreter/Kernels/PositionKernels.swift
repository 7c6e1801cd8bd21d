import AttendBasic
import AttendIR
import Foundation

/// Reference kernel of `sine_position_embedding` (see `SinePositionEmbeddingOp`), in double
/// precision: DETR's cumulative positions of an all-ones mask are 1, 2, ..., extent.
enum PositionKernels {
    static func sinePositionEmbedding(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let shape = context.outputShapes[0]
        let g = SinePositionEmbeddingOp.Geometry(context.attributes)
        let plane = g.height * g.width
        var out = [Float](repeating: 0, count: ShapeRules.elementCount(shape))
        for channel in 0..<(2 * g.features) {
            let isRow = channel < g.features
            let k = channel % g.features
            let wavelength = g.wavelength(k)
            for h in 0..<g.height {
                for w in 0..<g.width {
                    let position = isRow ? Double(h + 1) * g.rowFactor : Double(w + 1) * g.columnFactor
                    let phase = position / wavelength
                    out[channel * plane + h * g.width + w] = Float(k % 2 == 0 ? sin(phase) : cos(phase))
                }
            }
        }
        return [Tensor(shape: shape, data: out)]
    }
}

extension SinePositionEmbeddingOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try PositionKernels.sinePositionEmbedding(context) }
}
