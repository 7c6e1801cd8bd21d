import AttendBasic

/// reorder(x, layout): the same tensor stored in another layout (see `Layout`), as oneDNN's
/// reorder primitive and ONNX Runtime's ReorderInput / ReorderOutput around NCHWc regions.
/// Logically the identity (the interpreter and ONNX export pass the input through); code
/// generation copies every element from the input's storage to the output's, writing zeros
/// in the padding lanes of a blocked tail. It reads its input in any layout and writes only
/// its target, so a layout pass brackets a region with reorders and changes no other op.
public struct ReorderOp: Op {
    public init() {}
    public var name: String { "reorder" }
    public var summary: String { "x stored in another layout (nchw, nhwc, nchw<b>c channel blocks): logically the identity" }
    public var arity: Arity { .exactly(1) }
    /// A real copy kernel, never a view: no index map, and nothing fuses into it.
    public var fusion: FusionKind { .opaque }
    public var arguments: [ArgSpec] {
        [ArgSpec("layout", .choice(Layout.names), "the output's storage layout: nchw (row-major), nhwc, or nchw<b>c (channels in blocks of b, the tail zero-padded)")]
    }

    /// The target layout of a node's (typed) arguments.
    public static func target(_ attributes: Attributes) throws(Diagnostic) -> Layout {
        guard case .string(let name) = attributes["layout"] else { throw .error("reorder needs argument 'layout'") }
        return try Layout(name: name)
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let layout = try Self.target(attributes)
        do { try layout.check(shape: inputs[0]) } catch { throw .error("reorder to \(layout) of \(formatShape(inputs[0])): \(error.message)") }
        return [inputs[0]]
    }

    public func handlesLayout(_ layout: Layout, at port: LayoutPort, inputs: [[Int]], attributes: Attributes) -> Bool {
        switch port {
        case .operand: return true
        case .result: return layout == (try? Self.target(attributes))
        }
    }

    public func resultLayout(_ result: Int, attributes: Attributes) -> Layout { (try? Self.target(attributes)) ?? .rowMajor }
}
