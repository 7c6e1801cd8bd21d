import AttendBasic

/// The window geometry of a 2-D or 3-D pooling node, with PyTorch's defaults resolved
/// (`stride: None` means the kernel size; avgpool has no dilation, which is 1).
public struct PoolWindow: Hashable, Sendable {
    public var kernel: [Int]
    public var stride: [Int]
    public var pad: [Int]
    public var dilation: [Int]
    public var ceilMode: Bool

    public init(_ a: Attributes) {
        kernel = a.ints("kernel")
        stride = a.optionalInts("stride") ?? kernel
        pad = a.ints("pad")
        dilation = a["dilation"] == nil ? Array(repeating: 1, count: kernel.count) : a.ints("dilation")
        ceilMode = a.bool("ceil_mode")
    }
}

/// torch.nn.AvgPool2d/MaxPool2d over [N, C, H, W] and torch.nn.AvgPool3d/MaxPool3d over
/// [N, C, D, H, W] (spatial rank 2 or 3).
public struct PoolOp: Op {
    public enum Reduction: Sendable { case average, max }
    public let reduction: Reduction
    /// Spatial rank: 2 for avgpool2d/maxpool2d, 3 for avgpool3d/maxpool3d.
    public let spatialRank: Int

    public init(_ reduction: Reduction, spatialRank: Int = 2) {
        self.reduction = reduction
        self.spatialRank = spatialRank
    }

    public var name: String { (reduction == .average ? "avgpool" : "maxpool") + "\(spatialRank)d" }
    public var variant: AnyHashable? { [AnyHashable(reduction), AnyHashable(spatialRank)] }
    private var dims: String { spatialRank == 3 ? "D, H and W" : "H and W" }
    private var layout: String { spatialRank == 3 ? "[N, C, D, H, W]" : "[N, C, H, W]" }
    public var summary: String {
        reduction == .average
            ? "\(spatialRank)-D average pooling as torch.nn.AvgPool\(spatialRank)d; input \(layout)"
            : "\(spatialRank)-D max pooling as torch.nn.MaxPool\(spatialRank)d (padding is -inf, NaN propagates); input \(layout)"
    }
    public var arity: Arity { .exactly(1) }
    /// Each output element combines a window of input elements along the spatial axes.
    public var fusion: FusionKind { .reduction }
    /// Unit windows: with the same output shape, also stride 1 and no padding.
    public func returnsInputUnchanged(inputs: [[Int]], attributes: Attributes) -> Bool {
        guard let outputs = try? outputShapes(inputs: inputs, attributes: attributes), outputs == [inputs[0]] else { return false }
        return attributes.ints("kernel").allSatisfy { $0 == 1 }
    }

    public var arguments: [ArgSpec] {
        let n = spatialRank
        var specs = [
            ArgSpec("kernel", .ints(count: n), "window size (kernel_size)"),
            ArgSpec("stride", .ints(count: n), default: ArgValue.none, "window step; None means the kernel size"),
            ArgSpec("pad", .ints(count: n), default: .ints(Array(repeating: 0, count: n)), "implicit padding on both sides of \(dims) (padding); at most kernel / 2"),
        ]
        let ceilMode = ArgSpec("ceil_mode", .bool, default: .bool(false), "round the output size up; windows starting in the right padding are dropped")
        switch reduction {
        case .average:
            specs += [ceilMode,
                      ArgSpec("count_include_pad", .bool, default: .bool(true), "count padded positions in the divisor")]
        case .max:
            specs += [ArgSpec("dilation", .ints(count: n), default: .ints(Array(repeating: 1, count: n)), "spacing between window elements"),
                      ceilMode]
        }
        return specs
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        let n = spatialRank
        guard x.count == n + 2 else { throw .error("\(name) expects input \(layout), got \(formatShape(x))") }
        let w = PoolWindow(attributes)
        guard w.kernel.allSatisfy({ $0 > 0 }) else { throw .error("\(name) kernel must be positive, got \(formatShape(w.kernel))") }
        guard w.stride.allSatisfy({ $0 > 0 }) else { throw .error("\(name) stride must be positive, got \(formatShape(w.stride))") }
        guard w.dilation.allSatisfy({ $0 > 0 }) else { throw .error("\(name) dilation must be positive, got \(formatShape(w.dilation))") }
        guard w.pad.allSatisfy({ $0 >= 0 }) else { throw .error("\(name) pad must be non-negative, got \(formatShape(w.pad))") }
        // PyTorch checks the pad against the undilated kernel, for max pooling too.
        guard zip(w.pad, w.kernel).allSatisfy({ $0 <= $1 / 2 }) else {
            throw .error("\(name) pad \(formatShape(w.pad)) must be at most half the kernel \(formatShape(w.kernel)), as PyTorch requires")
        }
        let spatial = Array(x[2...])
        guard spatial.allSatisfy({ $0 > 0 }) else { throw .error("\(name) needs non-empty \(dims), got input \(formatShape(x))") }
        let span = (0..<n).map { w.dilation[$0] * (w.kernel[$0] - 1) + 1 }
        if (0..<n).contains(where: { spatial[$0] + 2 * w.pad[$0] < span[$0] }) {
            let window = span == w.kernel ? formatShape(w.kernel)
                : "\(formatShape(w.kernel)) with dilation \(formatShape(w.dilation)) (spanning \(formatShape(span)))"
            throw .error("\(name) kernel \(window) is larger than the padded input: \(formatShape(spatial)) of input \(formatShape(x)) plus pad \(formatShape(w.pad)) on each side")
        }
        let out = try ConvOp.windowOutput(input: spatial, kernel: w.kernel, stride: w.stride, pad: w.pad, padEnd: w.pad,
                                          dilation: w.dilation, ceilMode: w.ceilMode, op: name)
        return [[x[0], x[1]] + out]
    }

    /// One add (or compare) per window element for each output element.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        PoolWindow(attributes).kernel.reduce(1, *) * ShapeRules.elementCount(outputs[0])
    }
}

/// torch.nn.AdaptiveAvgPool2d and torch.nn.AdaptiveMaxPool2d over [N, C, H, W]: output cell i
/// reduces input rows floor(i*H/h) ..< ceil((i+1)*H/h), and the same for columns.
///
/// Fusion: both are `.reduction`, adaptive max included. Its bins vary in size and may overlap,
/// but so do adaptive average's; each output element still reduces a window of one plane, and
/// (unlike torch's version with return_indices) no second output has to be kept, so nothing
/// about it calls for `.opaque`.
public struct AdaptivePool2dOp: Op {
    public let reduction: PoolOp.Reduction

    public init(_ reduction: PoolOp.Reduction) { self.reduction = reduction }

    public var name: String { reduction == .average ? "adaptive_avgpool2d" : "adaptive_maxpool2d" }
    public var variant: AnyHashable? { reduction }
    public var summary: String {
        let kind = reduction == .average ? "average" : "max"
        let module = reduction == .average ? "AdaptiveAvgPool2d" : "AdaptiveMaxPool2d"
        return "2-D adaptive \(kind) pooling to a fixed output size as torch.nn.\(module); input [N, C, H, W]"
    }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .reduction }
    /// One-pixel bins when the output size is the input's.
    public func returnsInputUnchanged(inputs: [[Int]], attributes: Attributes) -> Bool {
        (try? outputShapes(inputs: inputs, attributes: attributes)) == [inputs[0]]
    }

    public var arguments: [ArgSpec] {
        [ArgSpec("size", .ints(count: 2), "output [H, W] (output_size)")]
    }

    /// The input rows (or columns) that output index `i` of `output` reduces.
    public static func bin(_ i: Int, input: Int, output: Int) -> Range<Int> {
        let start = i * input / output
        let end = ((i + 1) * input + output - 1) / output
        return start..<end
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let x = inputs[0]
        guard x.count == 4 else { throw .error("\(name) expects input [N, C, H, W], got \(formatShape(x))") }
        let size = attributes.ints("size")
        guard size.allSatisfy({ $0 > 0 }) else { throw .error("\(name) size must be positive, got \(formatShape(size))") }
        guard x[2] > 0, x[3] > 0 else { throw .error("\(name) needs non-empty H and W, got input \(formatShape(x))") }
        return [[x[0], x[1]] + size]
    }

    /// One add (or compare) per input element read; bins may overlap, so rows and columns are summed.
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int {
        let x = inputs[0], size = attributes.ints("size")
        guard x.count == 4, size.count == 2, size.allSatisfy({ $0 > 0 }) else { return 0 }
        let rows = (0..<size[0]).reduce(0) { $0 + Self.bin($1, input: x[2], output: size[0]).count }
        let columns = (0..<size[1]).reduce(0) { $0 + Self.bin($1, input: x[3], output: size[1]).count }
        return x[0] * x[1] * rows * columns
    }
}
