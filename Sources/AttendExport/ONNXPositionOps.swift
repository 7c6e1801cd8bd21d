import AttendBasic
import AttendIR

extension SinePositionEmbeddingOp: ONNXLowering {
    /// Per half: the positions along the axis divided by the channels' wavelengths (small
    /// constant vectors, broadcast to [1, dim/2, H, W]), then Sin on even and Cos on odd
    /// channels, picked by 0/1 channel masks; the row half and the column half concatenated.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let g = Geometry(c.attributes)
        let f = g.features
        let wavelengths = b.constant((0..<f).map { Float(g.wavelength($0)) }, shape: [1, f, 1, 1], base: "\(c.base)/wavelength")
        let even = b.constant((0..<f).map { $0 % 2 == 0 ? 1 : 0 }, shape: [1, f, 1, 1], base: "\(c.base)/even")
        let odd = b.constant((0..<f).map { $0 % 2 == 0 ? 0 : 1 }, shape: [1, f, 1, 1], base: "\(c.base)/odd")
        let halfShape = b.int64s([1, f, g.height, g.width])
        func half(_ positions: [Float], shape: [Int]) -> String {
            let position = b.constant(positions, shape: shape, base: "\(c.base)/position")
            let phase = b.add1("Expand", [b.add1("Div", [position, wavelengths], base: c.base), halfShape], base: c.base)
            let sine = b.add1("Mul", [b.add1("Sin", [phase], base: c.base), even], base: c.base)
            let cosine = b.add1("Mul", [b.add1("Cos", [phase], base: c.base), odd], base: c.base)
            return b.add1("Add", [sine, cosine], base: c.base)
        }
        let rows = half((0..<g.height).map { Float(Double($0 + 1) * g.rowFactor) }, shape: [1, 1, g.height, 1])
        let columns = half((0..<g.width).map { Float(Double($0 + 1) * g.columnFactor) }, shape: [1, 1, 1, g.width])
        return [b.add1("Concat", [rows, columns], base: c.base, [Attr.int("axis", 1)])]
    }
}
