import AttendBasic
import AttendIR

/// Executes a graph node by node with the reference kernels: the oracle every pass and
/// backend is checked against. Values are freed after their last use.
public struct Interpreter {
    public let graph: Graph

    public init(graph: Graph) { self.graph = graph }

    /// Runs the graph. `parameters` are keyed by state_dict name and `inputs` by input name;
    /// both must match the graph's shapes (callers check this first for good messages).
    public func run(parameters loaded: [String: Tensor], inputs: [String: Tensor]) throws(Diagnostic) -> [(name: String, tensor: Tensor)] {
        let parameters = try deriveParameters(loaded)
        var values = [Tensor?](repeating: nil, count: graph.values.count)
        for (name, id) in graph.inputs {
            guard let tensor = inputs[name] else { throw .error("no value for input '\(name)'") }
            guard tensor.shape == graph.shape(of: id) else {
                throw .error("input '\(name)' has shape \(formatShape(tensor.shape)), the model expects \(formatShape(graph.shape(of: id)))")
            }
            values[id.index] = tensor
        }
        let liveness = Liveness(graph.nodes, keeping: Set(graph.outputs.map(\.value)))
        for (index, node) in graph.nodes.enumerated() {
            guard let op = node.op as? any Interpretable else {
                throw .error("the interpreter has no kernel for op '\(node.op.name)'")
            }
            var operands: [Tensor] = []
            for input in node.inputs {
                guard let tensor = values[input.index] else { throw .error("value %\(input.index) is used before it is defined") }
                operands.append(tensor)
            }
            var bound: [String: Tensor] = [:]
            for (slot, name) in node.parameters {
                guard let tensor = parameters[name] else { throw .error("no value for parameter '\(name)'") }
                bound[slot] = tensor
            }
            let outputShapes = node.outputs.map(graph.shape(of:))
            // Outputs plus as much again for a kernel's working copies.
            let elements = outputShapes.reduce(0) { $0 + ShapeRules.elementCount($1) }
            do {
                try Tensor.checkAllocatable(elements, factor: 2, "the output of \(node.layer.isEmpty ? "op '\(node.op.name)'" : "layer '\(Limits.clipped(node.layer))'")")
            } catch { throw error.located(at: node.location) }
            let context = KernelContext(inputs: operands, parameters: bound, attributes: node.attributes,
                                        outputShapes: outputShapes, op: node.op)
            let results: [Tensor]
            do { results = try op.interpret(context) } catch { throw error.located(at: node.location) }
            for (id, tensor) in zip(node.outputs, results) {
                guard tensor.shape == graph.shape(of: id) else {
                    throw .error("kernel '\(node.op.name)' produced \(formatShape(tensor.shape)), expected \(formatShape(graph.shape(of: id)))", at: node.location)
                }
                values[id.index] = tensor
            }
            for input in node.inputs where liveness.isLastRead(input, at: index) { values[input.index] = nil }
        }
        var outputs: [(name: String, tensor: Tensor)] = []
        for (name, id) in graph.outputs {
            guard let tensor = values[id.index] else { throw .error("output '\(name)' was never computed") }
            outputs.append((name, tensor))
        }
        return outputs
    }

    /// The loaded parameters plus every derived one, computed in declaration order with the
    /// same kernels graph nodes use.
    public func deriveParameters(_ loaded: [String: Tensor]) throws(Diagnostic) -> [String: Tensor] {
        var parameters = loaded
        for parameter in graph.parameters {
            guard let definition = parameter.definition, parameters[parameter.name] == nil else { continue }
            guard let op = definition.op as? any Interpretable else {
                throw .error("the interpreter cannot derive parameter '\(parameter.name)' with op '\(definition.op.name)'")
            }
            var operands: [Tensor] = []
            for name in definition.operands {
                guard let tensor = parameters[name] else { throw .error("no value for parameter '\(name)'") }
                operands.append(tensor)
            }
            let results = try op.interpret(KernelContext(inputs: operands, parameters: [:], attributes: definition.attributes,
                                                   outputShapes: [parameter.shape], op: op))
            guard results.count == 1, results[0].shape == parameter.shape else {
                throw .error("deriving parameter '\(parameter.name)' produced the wrong shape")
            }
            parameters[parameter.name] = results[0]
        }
        return parameters
    }
}
