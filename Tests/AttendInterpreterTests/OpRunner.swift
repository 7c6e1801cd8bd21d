import AttendBasic
import AttendIR
import AttendInterpreter
import Testing

/// Reference kernels against hand-computed values: float32 rounding only.
let handComputed = Tolerance(absolute: 1e-6, relative: 1e-6)

/// Runs one op through a one-node graph on the given inputs (named x0, x1, ...), with
/// parameters keyed by slot name (bound under layer "l"), and returns all its outputs.
func runOp(_ name: String, _ inputs: [Tensor], _ args: [(String, ArgValue)] = [],
           parameters: [String: Tensor] = [:]) throws -> [Tensor] {
    let op = try #require(OpRegistry.op(named: name))
    let attrs = try op.typeArguments(args.map { (name: $0.0, value: $0.1) })
    var g = Graph(name: "t")
    var feeds: [String: Tensor] = [:]
    var ids: [ValueID] = []
    for (index, tensor) in inputs.enumerated() {
        ids.append(g.addInput(name: "x\(index)", shape: tensor.shape))
        feeds["x\(index)"] = tensor
    }
    let outputs = try g.apply(op, inputs: ids, attributes: attrs, layer: "l")
    g.outputs = outputs.enumerated().map { (name: "y\($0.offset)", value: $0.element) }
    var bound: [String: Tensor] = [:]
    for (slot, tensor) in parameters { bound[slot.isEmpty ? "l" : "l." + slot] = tensor }
    return try Interpreter(graph: g).run(parameters: bound, inputs: feeds).map(\.tensor)
}
