import AttendBasic

/// torch.nn.functional.pad: constant, reflect, replicate or circular padding of the trailing axes.
public struct PadOp: Op {
    public init() {}
    public var name: String { "pad" }
    public var summary: String { "pad trailing axes as torch.nn.functional.pad (pads: last axis first, (left, right) pairs)" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    public func returnsInputUnchanged(inputs: [[Int]], attributes: Attributes) -> Bool {
        attributes.ints("pads").allSatisfy { $0 == 0 }
    }
    public var arguments: [ArgSpec] {
        [ArgSpec("pads", .ints(count: nil), "(left, right) pairs, last axis first, as F.pad; negatives crop in constant mode"),
         ArgSpec("value", .float, default: .float(0), "fill value for constant mode"),
         ArgSpec("mode", .choice(["constant", "reflect", "replicate", "circular"]), default: .string("constant"), "how the border is filled")]
    }

    /// (before, after) padding per input axis, in axis order; unpadded leading axes get (0, 0).
    public static func axisPads(_ pads: [Int], rank: Int) -> [(before: Int, after: Int)] {
        var result = [(before: Int, after: Int)](repeating: (0, 0), count: rank)
        for pair in 0..<min(pads.count / 2, rank) {
            result[rank - 1 - pair] = (pads[2 * pair], pads[2 * pair + 1])
        }
        return result
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0], pads = attributes.ints("pads"), mode = attributes.string("mode")
        guard pads.count % 2 == 0 else { throw .error("pad needs (left, right) pairs, got \(pads.count) values \(formatShape(pads))") }
        guard pads.count <= 2 * x.count else {
            throw .error("pad has \(pads.count / 2) (left, right) pairs \(formatShape(pads)) for input \(formatShape(x)) with only \(x.count) axes")
        }
        // Padding sizes far beyond any tensor would overflow the arithmetic below.
        guard pads.allSatisfy({ abs($0) < 1 << 40 }) else { throw .error("pad sizes \(formatShape(pads)) are too large") }
        let perAxis = Self.axisPads(pads, rank: x.count)
        if mode != "constant" {
            // As torch: non-constant modes pad the last 1, 2 or 3 axes of an input with 1 or 2 more axes.
            let padded = pads.count / 2
            guard (1...3).contains(padded), x.count == padded + 1 || x.count == padded + 2 else {
                throw .error("pad mode '\(mode)' pads the last 1 to 3 axes of an input with 1 or 2 more axes (as torch); "
                             + "got \(pads.count) pad values for input \(formatShape(x))")
            }
            guard attributes.float("value") == 0 else {
                throw .error("pad value \(formatFloat(attributes.float("value"))) only applies to mode 'constant', not '\(mode)'")
            }
            guard pads.allSatisfy({ $0 >= 0 }) else {
                throw .error("negative pads \(formatShape(pads)) (cropping) are only supported in mode 'constant'")
            }
        }
        var result = x
        for (axis, pad) in perAxis.enumerated() where pad != (0, 0) {
            if mode == "reflect", pad.before >= x[axis] || pad.after >= x[axis] {
                throw .error("pad mode 'reflect' needs pads smaller than the axis: got (\(pad.before), \(pad.after)) for axis \(axis) of size \(x[axis]) in \(formatShape(x))")
            }
            if mode == "circular", pad.before > x[axis] || pad.after > x[axis] {
                throw .error("pad mode 'circular' needs pads at most the axis size: got (\(pad.before), \(pad.after)) for axis \(axis) of size \(x[axis]) in \(formatShape(x))")
            }
            if mode == "replicate", x[axis] == 0 {
                throw .error("pad mode 'replicate' cannot pad the empty axis \(axis) of \(formatShape(x))")
            }
            result[axis] = x[axis] + pad.before + pad.after
            // Empty results are rejected (see LayoutRules), although torch would allow size 0.
            guard result[axis] > 0 else {
                throw .error("pads \(formatShape(pads)) crop axis \(axis) of \(formatShape(x)) to size \(result[axis]); the result must not be empty")
            }
        }
        return [result]
    }
}

/// torch.nn.functional.interpolate over [N, C, H, W] (recompute_scale_factor=None).
///
/// Fusion: `.injective` for both modes, as TVM classifies resize. Bilinear reads four inputs
/// per output rather than moving one, but each output is still an independent function of a
/// fixed few input elements chosen by index arithmetic, with no accumulation along an axis,
/// so it can be computed inside a fused loop nest exactly like a gather.
public struct InterpolateOp: Op {
    public init() {}
    public var name: String { "interpolate" }
    public var summary: String { "resize H and W as torch.nn.functional.interpolate (nearest or bilinear); input [N, C, H, W]" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .injective }
    /// Onto the same grid: PyTorch maps by 1 / scale when a scale is given, so only 1 keeps it.
    public func returnsInputUnchanged(inputs: [[Int]], attributes: Attributes) -> Bool {
        guard let outputs = try? outputShapes(inputs: inputs, attributes: attributes), outputs == [inputs[0]] else { return false }
        return Self.scaleFactors(attributes)?.allSatisfy { $0 == 1 } ?? true
    }
    public var arguments: [ArgSpec] {
        [ArgSpec("size", .ints(count: nil), default: ArgValue.none, "output [H, W], or one value for both"),
         ArgSpec("scale", .floats, default: ArgValue.none, "scale_factor for [H, W], or one value for both; output = floor(input * scale)"),
         ArgSpec("mode", .choice(["nearest", "bilinear"]), default: .string("nearest"), "interpolation mode"),
         ArgSpec("align_corners", .bool, default: .bool(false), "bilinear only: map corner pixel centres onto each other")]
    }

    /// The scale factors for H and W when the node gives `scale` (they shape the index mapping).
    public static func scaleFactors(_ attributes: Attributes) -> [Double]? {
        guard case .floats(let scales) = attributes["scale"], let first = scales.first else { return nil }
        return scales.count == 1 ? [first, first] : scales
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        guard x.count == 4 else { throw .error("interpolate expects input [N, C, H, W], got \(formatShape(x))") }
        guard x[2] > 0, x[3] > 0 else { throw .error("interpolate needs non-empty H and W, got input \(formatShape(x))") }
        if attributes.string("mode") == "nearest", attributes.bool("align_corners") {
            throw .error("interpolate align_corners only applies to mode 'bilinear', not 'nearest' (torch rejects it too)")
        }
        let size = attributes.optionalInts("size"), scale = attributes["scale"]
        let hasScale = scale != nil && scale != ArgValue.none
        switch (size, hasScale) {
        case (nil, false): throw .error("interpolate needs one of 'size' and 'scale', got neither")
        case (.some, true): throw .error("interpolate takes one of 'size' and 'scale', got both")
        case (let size?, _):
            guard size.count == 1 || size.count == 2, size.allSatisfy({ $0 > 0 }) else {
                throw .error("interpolate size must be one or two positive ints ([H, W]), got \(formatShape(size))")
            }
            return [[x[0], x[1]] + (size.count == 1 ? [size[0], size[0]] : size)]
        case (nil, true):
            let given = attributes.floats("scale")
            guard given.count == 1 || given.count == 2, given.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw .error("interpolate scale must be one or two positive numbers ([H, W]), got \(ArgValue.floats(given))")
            }
            let scales = given.count == 1 ? [given[0], given[0]] : given
            var out: [Int] = []
            for (extent, s) in zip([x[2], x[3]], scales) {
                let value = (Double(extent) * s).rounded(.down)
                guard value < Double(1 << 40) else {
                    throw .error("interpolate scale \(ArgValue.floats(given)) makes an output too large for input \(formatShape(x))")
                }
                out.append(Int(value))
            }
            guard out.allSatisfy({ $0 > 0 }) else {
                throw .error("interpolate scale \(ArgValue.floats(given)) makes an empty output \(formatShape(out)) from input \(formatShape(x))")
            }
            return [[x[0], x[1]] + out]
        }
    }

    /// Nearest only moves elements; bilinear blends four values (two multiplies and an add for
    /// each of its three two-value blends).
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        attributes.string("mode") == "bilinear" ? 9 * ShapeRules.elementCount(outputs[0]) : 0
    }
}
