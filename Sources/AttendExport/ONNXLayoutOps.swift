import AttendBasic
import AttendIR

// Ops that move elements (and the pass-through ops) as ONNX ops. Shapes, split sizes and
// slice bounds are written as resolved by the IR's shape rules, so ONNX never re-derives
// a -1 or clamps an index differently.

extension IdentityOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] { [c.inputs[0]] }
}

extension DropoutOp: ONNXLowering {
    /// Eval mode: the input itself.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] { [c.inputs[0]] }
}

extension ReorderOp: ONNXLowering {
    /// ONNX tensors are logical (row-major): a storage reorder is the input itself.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] { [c.inputs[0]] }
}

extension ParameterOp: ONNXLowering {
    /// The node's value is its initializer.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] { [c.parameter("")!] }
}

extension ReshapeOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        [b.add1("Reshape", [c.inputs[0], b.int64s(c.outputShapes[0])], base: c.base)]
    }
}

extension FlattenOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        [b.add1("Reshape", [c.inputs[0], b.int64s(c.outputShapes[0])], base: c.base)]
    }
}

extension PermuteOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let perm = c.attributes.ints("dims").map { $0 < 0 ? $0 + c.rank : $0 }
        return [b.add1("Transpose", c.inputs, base: c.base, [Attr.ints("perm", perm)])]
    }
}

extension TransposeOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        var perm = Array(0..<c.rank)
        perm.swapAt(c.axis("dim0"), c.axis("dim1"))
        return [b.add1("Transpose", c.inputs, base: c.base, [Attr.ints("perm", perm)])]
    }
}

extension ConcatOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        [b.add1("Concat", c.inputs, base: c.base, [Attr.int("axis", c.axis("axis"))])]
    }
}

extension SplitOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let axis = c.axis("axis")
        let sizes = b.int64s(c.outputShapes.map { $0[axis] })
        return b.add("Split", [c.inputs[0], sizes], outputs: c.outputShapes.count, base: c.base, [Attr.int("axis", axis)])
    }
}

extension UnbindOp: ONNXLowering {
    /// Pieces of one along the axis, each with the axis squeezed away.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let axis = c.axis("axis"), count = c.inputShapes[0][axis]
        let pieces = b.add("Split", [c.inputs[0], b.int64s(Array(repeating: 1, count: count))], outputs: count,
                           base: c.base, [Attr.int("axis", axis)])
        let axes = b.int64s([axis])
        return pieces.map { b.add1("Squeeze", [$0, axes], base: c.base) }
    }
}

extension ExpandOp: ONNXLowering {
    /// ONNX Expand broadcasts to the output shape (torch's -1 already resolved).
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        [b.add1("Expand", [c.inputs[0], b.int64s(c.outputShapes[0])], base: c.base)]
    }
}

extension SliceOp: ONNXLowering {
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let axis = c.axis("axis"), step = c.attributes.int("step")
        let (start, count) = SliceOp.resolve(c.attributes, size: c.inputShapes[0][axis])
        let end = start + (count - 1) * step + 1
        return [b.add1("Slice", [c.inputs[0], b.int64s([start]), b.int64s([end]), b.int64s([axis]), b.int64s([step])], base: c.base)]
    }
}

extension PadOp: ONNXLowering {
    /// torch's (left, right) pairs from the last axis become ONNX's all-begins-then-all-ends
    /// list; constant mode's negative pads crop in both.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let perAxis = PadOp.axisPads(c.attributes.ints("pads"), rank: c.rank)
        let pads = b.int64s(perAxis.map(\.before) + perAxis.map(\.after))
        let mode = ["constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"][c.attributes.string("mode")]!
        var inputs = [c.inputs[0], pads]
        if mode == "constant" { inputs.append(b.scalar(c.attributes.float("value"))) }
        return [b.add1("Pad", inputs, base: c.base, [Attr.string("mode", mode)])]
    }
}

extension InterpolateOp: ONNXLowering {
    /// torch's nearest is ONNX's asymmetric mapping with floor; bilinear is linear with
    /// align_corners, or pytorch_half_pixel. Given a scale, torch maps coordinates by
    /// 1 / scale (not input / output), which ONNX does when given `scales` rather than `sizes`.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let a = c.attributes
        var attributes: [Onnx_AttributeProto]
        if a.string("mode") == "nearest" {
            attributes = [Attr.string("mode", "nearest"), Attr.string("coordinate_transformation_mode", "asymmetric"),
                          Attr.string("nearest_mode", "floor")]
        } else {
            attributes = [Attr.string("mode", "linear"),
                          Attr.string("coordinate_transformation_mode", a.bool("align_corners") ? "align_corners" : "pytorch_half_pixel")]
        }
        let inputs: [String]
        if let scales = InterpolateOp.scaleFactors(a) {
            inputs = [c.inputs[0], "", b.constant([1, 1] + scales.map(Float.init), shape: [4])]
        } else {
            inputs = [c.inputs[0], "", "", b.int64s(c.outputShapes[0])]
        }
        return [b.add1("Resize", inputs, base: c.base, attributes)]
    }
}

extension PackPanelsOp: ONNXLowering {
    /// Rows flattened to [R, K], zero rows appended up to whole panels, grouped into
    /// [panels, rows, K], then each panel transposed to [K, rows].
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let height = c.inputShapes[0][0], shape = c.outputShapes[0]
        let (panels, columns, rows) = (shape[0], shape[1], shape[2])
        var matrix = b.add1("Reshape", [c.inputs[0], b.int64s([height, columns])], base: c.base)
        if panels * rows > height {
            matrix = b.add1("Pad", [matrix, b.int64s([0, 0, panels * rows - height, 0]), b.scalar(0)], base: c.base,
                            [Attr.string("mode", "constant")])
        }
        let grouped = b.add1("Reshape", [matrix, b.int64s([panels, rows, columns])], base: c.base)
        return [b.add1("Transpose", [grouped], base: c.base, [Attr.ints("perm", [0, 2, 1])])]
    }
}

extension WinogradFilterOp: ONNXLowering {
    /// Each 3x3 filter `g` becomes `G g Gᵀ` by two MatMuls with the constant `G`, flattened
    /// to `[groups, K / groups, C, alpha²]`; zero rows are appended to each group up to whole
    /// panels, grouped into `[panels, rows, C, alpha²]`, and transposed to
    /// `[alpha², panels, C, rows]`.
    func lowerToONNX(_ c: ONNXNodeContext, into b: inout ONNXGraphBuilder) throws(Diagnostic) -> [String] {
        let (outChannels, channels) = (c.inputShapes[0][0], c.inputShapes[0][1])
        let shape = c.outputShapes[0]
        let (positions, panels, rows) = (shape[0], shape[1], shape[3])
        guard let transform = WinogradTransform(m: c.attributes.int("tile")) else {
            throw .error("winograd_filter: no transform for tile \(c.attributes.int("tile"))")
        }
        let alpha = transform.alpha
        let g = b.constant(transform.g.flatMap { $0.map(Float.init) }, shape: [alpha, 3], base: c.base)
        let gT = b.constant((0..<3).flatMap { u in (0..<alpha).map { a in Float(transform.g[a][u]) } }, shape: [3, alpha], base: c.base)
        let filters = b.add1("Reshape", [c.inputs[0], b.int64s([outChannels * channels, 3, 3])], base: c.base)
        let left = b.add1("MatMul", [g, filters], base: c.base)
        let both = b.add1("MatMul", [left, gT], base: c.base)
        let groups = c.attributes.int("groups"), perGroup = outChannels / groups, padded = panels * rows / groups
        var matrix = b.add1("Reshape", [both, b.int64s([groups, perGroup, channels, positions])], base: c.base)
        if padded > perGroup {
            matrix = b.add1("Pad", [matrix, b.int64s([0, 0, 0, 0, 0, padded - perGroup, 0, 0]), b.scalar(0)], base: c.base,
                            [Attr.string("mode", "constant")])
        }
        let grouped = b.add1("Reshape", [matrix, b.int64s([panels, rows, channels, positions])], base: c.base)
        return [b.add1("Transpose", [grouped], base: c.base, [Attr.ints("perm", [3, 0, 2, 1])])]
    }
}
