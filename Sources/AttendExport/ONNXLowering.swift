import AttendBasic
import AttendIR

/// An op that can be written as standard ONNX ops. Each op type conforms in the file for its
/// kind (`ONNXComputeOps`, `ONNXLayoutOps`, `ONNXPoolingOps`, `ONNXElementwise`); an op
/// without a conformance makes export fail with an error naming it.
protocol ONNXLowering {
    /// Emits nodes computing the node's outputs from `context.inputs`; returns the ONNX names
    /// of its outputs, in order (an input's own name for ops that return it unchanged).
    func lowerToONNX(_ context: ONNXNodeContext, into builder: inout ONNXGraphBuilder) throws(Diagnostic) -> [String]
}

/// What a lowering sees of one node: ONNX names of its inputs, shapes, arguments and the
/// initializer names bound to its parameter slots.
struct ONNXNodeContext {
    var inputs: [String]
    var inputShapes: [[Int]]
    var outputShapes: [[Int]]
    var attributes: Attributes
    var parameters: [(slot: String, name: String)]
    /// The base for names of the values and nodes made for this node (its layer path).
    var base: String

    /// The initializer bound to a parameter slot, if the node has that slot.
    func parameter(_ slot: String) -> String? { parameters.first { $0.slot == slot }?.name }

    var rank: Int { inputShapes[0].count }

    /// A possibly negative axis of the first input, normalized (shape rules have checked it).
    func axis(_ argument: String) -> Int {
        let axis = attributes.int(argument)
        return axis < 0 ? axis + rank : axis
    }
}
