import AttendBasic

/// A learned tensor as a node of its own, like an nn.Parameter attribute of a module (a
/// class token, a layer-scale gamma). Its state_dict name is the layer path itself.
public struct ParameterOp: Op {
    public init() {}

    public var name: String { "parameter" }
    public var summary: String { "a learned tensor named by its layer path, as an nn.Parameter (class token, layer scale)" }
    /// A constant from the graph's point of view: nothing to fuse with.
    public var fusion: FusionKind { .opaque }
    public var arity: Arity { .exactly(0) }

    public var arguments: [ArgSpec] {
        [
            ArgSpec("shape", .ints(count: nil), "the tensor's shape"),
            ArgSpec("init", .choice(["zeros", "ones", "constant", "normal"]), default: .string("zeros"),
                    "initial value when no weights are given: zeros, ones, constant (value) or normal (std)"),
            ArgSpec("value", .float, default: .float(0), "the fill value for init=constant"),
            ArgSpec("std", .float, default: .float(1), "the standard deviation for init=normal (mean 0)"),
        ]
    }

    public func outputShapes(inputs: [[Int]], attributes a: Attributes) throws(Diagnostic) -> [[Int]] {
        let shape = a.ints("shape")
        guard shape.allSatisfy({ $0 >= 1 }) else {
            throw .error("parameter shape entries must be at least 1, got \(formatShape(shape))")
        }
        if a.string("init") == "normal" {
            let std = a.float("std")
            guard std >= 0, std.isFinite else { throw .error("parameter std must be finite and non-negative, got \(formatFloat(std))") }
        }
        return [shape]
    }

    public func parameters(inputs: [[Int]], attributes a: Attributes) -> [ParameterSlot] {
        [ParameterSlot("", a.ints("shape"), Self.initializer(a))]
    }

    static func initializer(_ a: Attributes) -> ParameterInit {
        switch a.string("init") {
        case "ones": return .constant(1)
        case "constant": return .constant(a.float("value"))
        case "normal": return .normal(std: a.float("std"))
        default: return .constant(0)
        }
    }
}
