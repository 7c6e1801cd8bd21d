import AttendBasic

/// How a value's elements are stored: a property of the value, not of its meaning. Every
/// value is indexed by its logical shape (NCHW for feature maps) everywhere in the IR and in
/// the interpreter; the layout only says where logical element `[n, c, h, w]` sits in the
/// buffer code generation gives the value. Row-major is the default and the only layout of
/// graph inputs, outputs and parameters; the others apply to rank-4 values, and only ops
/// that declare they handle them (`Op.handlesLayout`) read or write them, so a layout pass
/// can put a region of the graph in another layout by inserting `reorder` nodes without
/// touching any other op's lowering.
public enum Layout: Hashable, Sendable, CustomStringConvertible {
    /// C order (NCHW for rank-4 maps): storage is the logical shape.
    case rowMajor
    /// NHWC: storage `[N, H, W, C]`.
    case channelsLast
    /// NCHW[b]c (MLAS's and oneDNN's NCHWc): channels in blocks of `b`, the block innermost,
    /// storage `[N, ceil(C / b), H, W, b]`; the tail block's lanes past `C` hold zeros.
    case channelBlocked(Int)

    /// Channel blocks are SIMD vector widths (4 floats for SSE and NEON, 8 for AVX2, 16 for
    /// AVX-512), so powers of two up to 64: a block is never an unbounded padding factor.
    public static let channelBlocks = [2, 4, 8, 16, 32, 64]

    /// The layouts a `reorder` may target, by name.
    public static let names: [String] = ["nchw", "nhwc"] + channelBlocks.map { "nchw\($0)c" }

    /// `nchw`, `nhwc`, `nchw16c`: the name the IR text and `reorder` use.
    public var description: String {
        switch self {
        case .rowMajor: return "nchw"
        case .channelsLast: return "nhwc"
        case .channelBlocked(let block): return "nchw\(block)c"
        }
    }

    /// The layout named `name` (`nchw`, `nhwc`, `nchw<b>c`), or a one-line error listing them.
    public init(name: String) throws(Diagnostic) {
        switch name {
        case "nchw": self = .rowMajor
        case "nhwc": self = .channelsLast
        default:
            if name.hasPrefix("nchw"), name.hasSuffix("c"), name.count > 5,
               let block = Int(name.dropFirst(4).dropLast()), String(block) == String(name.dropFirst(4).dropLast()) {
                try Self.checkBlock(block)
                self = .channelBlocked(block)
                return
            }
            throw .error("unknown layout '\(name)'\(didYouMean(name, in: Self.names)); layouts: \(Self.names.joined(separator: ", "))")
        }
    }

    /// Throws unless a value of rank `rank` may have this layout: row-major fits any rank;
    /// the others rank 4 only, with a block from `channelBlocks`.
    public func check(rank: Int) throws(Diagnostic) {
        if case .channelBlocked(let block) = self { try Self.checkBlock(block) }
        guard self == .rowMajor || rank == 4 else {
            throw .error("layout \(self) applies to rank-4 (NCHW) values only, not rank \(rank)")
        }
    }

    private static func checkBlock(_ block: Int) throws(Diagnostic) {
        guard channelBlocks.contains(block) else {
            throw .error("a channel block of \(block) is not supported; blocks are \(channelBlocks.map(String.init).joined(separator: ", "))")
        }
    }

    /// Throws unless a value of logical shape `shape` may have this layout and its storage
    /// (padding included) stays within `ShapeRules.maxElements`.
    public func check(shape: [Int]) throws(Diagnostic) {
        try check(rank: shape.count)
        try ShapeRules.checkSize(storageShape(shape), "in layout \(self), the storage")
    }

    /// One axis of the storage: which logical axis it indexes, its extent, and which part of
    /// that axis's coordinate it holds.
    public struct StorageAxis: Hashable, Sendable {
        public enum Part: Hashable, Sendable {
            /// The whole coordinate.
            case whole
            /// `coordinate / block` (the block index).
            case blocks(Int)
            /// `coordinate % block` (the lane in the block).
            case lanes(Int)
        }
        public var axis: Int
        public var extent: Int
        public var part: Part
    }

    /// The storage as a row-major array of these axes, outermost first: the one statement of
    /// each layout's geometry, which offsets (here for ints, in code generation for index
    /// expressions) and storage sizes are computed from. A valid layout for `shape` assumed.
    public func storageAxes(_ shape: [Int]) -> [StorageAxis] {
        func whole(_ axis: Int) -> StorageAxis { StorageAxis(axis: axis, extent: shape[axis], part: .whole) }
        switch self {
        case .rowMajor: return shape.indices.map(whole)
        case .channelsLast: return [whole(0), whole(2), whole(3), whole(1)]
        case .channelBlocked(let b):
            return [whole(0), StorageAxis(axis: 1, extent: (shape[1] + b - 1) / b, part: .blocks(b)), whole(2), whole(3),
                    StorageAxis(axis: 1, extent: b, part: .lanes(b))]
        }
    }

    /// The storage's extents (`[N, C/b, H, W, b]` for NCHW[b]c).
    public func storageShape(_ shape: [Int]) -> [Int] { storageAxes(shape).map(\.extent) }

    /// Floats the storage of a value of logical shape `shape` holds, padding included.
    public func storageCount(_ shape: [Int]) -> Int { ShapeRules.elementCount(storageShape(shape)) }

    /// The storage offset of logical coordinate `coordinate` of a value of shape `shape`.
    public func offset(_ coordinate: [Int], shape: [Int]) -> Int {
        let axes = storageAxes(shape)
        let strides = Tensor.strides(of: axes.map(\.extent))
        return zip(axes, strides).reduce(0) { sum, entry in
            let c = coordinate[entry.0.axis]
            switch entry.0.part {
            case .whole: return sum + c * entry.1
            case .blocks(let b): return sum + c / b * entry.1
            case .lanes(let b): return sum + c % b * entry.1
            }
        }
    }
}

extension Layout {
    /// The message for a node meeting a value in a layout its op does not handle.
    static func unhandled(_ layout: Layout, at port: LayoutPort, by op: any Op) -> String {
        switch port {
        case .operand(let k): return "op '\(op.name)' does not read layout \(layout) (operand \(k)); reorder the value to nchw first"
        case .result(let k): return "op '\(op.name)' does not write layout \(layout) (result \(k))"
        }
    }
}

extension Graph {
    public func layout(of value: ValueID) -> Layout { values[value.index].layout }

    /// Floats of storage the value needs in its layout (its element count when row-major).
    public func storageCount(of value: ValueID) -> Int { values[value.index].layout.storageCount(values[value.index].shape) }

    /// Gives `value` another storage layout (a layout pass's step). The layout must suit the
    /// value's shape; which ops may read and write it is the verifier's check.
    public mutating func setLayout(_ layout: Layout, of value: ValueID) throws(Diagnostic) {
        try layout.check(shape: shape(of: value))
        values[value.index].layout = layout
    }
}
