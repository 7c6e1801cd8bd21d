import AttendBasic
import AttendIR
import Foundation
import SwiftProtobuf

/// Writes a graph and its parameter values as a standard ONNX model: parameters become
/// initializers under their state_dict names, inputs and outputs keep the spec's names, and
/// each node becomes standard-domain ONNX ops (see `ONNXLowering`).
///
/// Export the elaborated graph, before the optimizer. Derived parameters (a spectral-normalized
/// weight; after optimization, a batchnorm folded into a conv) become nodes computing them
/// from the initializers.
public enum ONNXExport {
    /// Opset 20: the first with Gelu; also gives LayerNormalization, Pad's wrap mode and axes
    /// as inputs of the Reduce ops.
    public static let opsetVersion: Int64 = 20
    /// IR version 9 is the one that goes with opset 20 (onnx 1.15).
    public static let irVersion: Int64 = 9

    /// The serialized model (protobuf bytes, as `onnx.load` reads them).
    public static func serialize(_ graph: Graph, parameters: [String: Tensor], producerVersion: String = "") throws(Diagnostic) -> Data {
        let model = try self.model(graph, parameters: parameters, producerVersion: producerVersion)
        do {
            return try model.serializedBytes()
        } catch {
            throw .error("cannot encode the ONNX model of '\(graph.name)': \(error)")
        }
    }

    static func model(_ graph: Graph, parameters: [String: Tensor], producerVersion: String) throws(Diagnostic) -> Onnx_ModelProto {
        var builder = ONNXGraphBuilder()
        var names: [ValueID: String] = [:]
        var onnx = Onnx_GraphProto()
        onnx.name = graph.name

        // Names the user chose come first, so intermediates never take them.
        for parameter in graph.parameters {
            _ = builder.reserve(parameter.name)
            guard parameter.isLoaded else { continue }
            guard let value = parameters[parameter.name] else { throw .error("no value for parameter '\(parameter.name)'") }
            guard value.shape == parameter.shape else {
                throw .error("parameter '\(parameter.name)' has shape \(formatShape(value.shape)), the model needs \(formatShape(parameter.shape))")
            }
            builder.addInitializer(name: parameter.name, value)
        }
        // A derived parameter (a spectral-normalized weight) is computed from the
        // initializers by its op's nodes, as the runtime computes it when weights load.
        for parameter in graph.parameters {
            guard let definition = parameter.definition else { continue }
            try exportDefinition(definition, of: parameter, in: graph, into: &builder)
        }
        for (name, id) in graph.inputs {
            guard builder.reserve(name) else { throw .error("input '\(name)' has the name of a parameter or another input; ONNX needs distinct names") }
            names[id] = name
            onnx.input.append(valueInfo(name, graph.shape(of: id)))
        }
        for (name, _) in graph.outputs where !builder.reserve(name) {
            throw .error("output '\(name)' has the name of an input, a parameter or another output; ONNX needs distinct names")
        }

        for node in graph.nodes {
            guard let lowering = node.op as? any ONNXLowering else {
                throw .error("op '\(node.op.name)' has no ONNX export", at: node.location)
            }
            var inputs: [String] = []
            for id in node.inputs {
                guard let name = names[id] else { throw .error("op '\(node.op.name)' reads a value no earlier node produces", at: node.location) }
                inputs.append(name)
            }
            let context = ONNXNodeContext(
                inputs: inputs, inputShapes: node.inputs.map(graph.shape(of:)), outputShapes: node.outputs.map(graph.shape(of:)),
                attributes: node.attributes, parameters: node.parameters,
                base: node.layer.isEmpty ? node.op.name : node.layer)
            let produced: [String]
            do {
                produced = try lowering.lowerToONNX(context, into: &builder)
            } catch {
                throw error.located(at: node.location)
            }
            guard produced.count == node.outputs.count else {
                throw .error("internal: the ONNX lowering of '\(node.op.name)' made \(produced.count) outputs for \(node.outputs.count)",
                             at: node.location)
            }
            for (id, name) in zip(node.outputs, produced) { names[id] = name }
        }

        // An output takes over the name of the value that computes it when a node made that
        // value for this output alone; otherwise (an input, a parameter, a value shared with
        // another output) an Identity node gives it its own name.
        var claimed: Set<String> = []
        for (name, id) in graph.outputs {
            guard let source = names[id] else { throw .error("output '\(name)' is not computed by the graph") }
            if !claimed.contains(source), builder.produces(source) {
                builder.rename(source, to: name)
                for key in names.keys where names[key] == source { names[key] = name }
            } else {
                builder.add("Identity", [source], named: [name], base: name)
            }
            claimed.insert(name)
            onnx.output.append(valueInfo(name, graph.shape(of: id)))
        }

        onnx.node = builder.nodes
        onnx.initializer = builder.initializers
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        model.producerName = "attend"
        model.producerVersion = producerVersion
        model.graph = onnx
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        model.opsetImport = [opset]
        return model
    }

    /// Nodes computing derived parameter `parameter` under its own name.
    static func exportDefinition(_ definition: ParameterDefinition, of parameter: Parameter, in graph: Graph,
                                 into builder: inout ONNXGraphBuilder) throws(Diagnostic) {
        guard let lowering = definition.op as? any ONNXLowering else {
            throw .error("derived parameter '\(parameter.name)' uses op '\(definition.op.name)', which has no ONNX export")
        }
        let context = ONNXNodeContext(
            inputs: definition.operands, inputShapes: definition.operands.map { graph.parameter(named: $0)?.shape ?? [] },
            outputShapes: [parameter.shape], attributes: definition.attributes, parameters: [],
            base: parameter.name)
        let produced = try lowering.lowerToONNX(context, into: &builder)
        guard produced.count == 1 else {
            throw .error("internal: the ONNX lowering of '\(definition.op.name)' made \(produced.count) outputs for derived parameter '\(parameter.name)'")
        }
        if builder.produces(produced[0]), !definition.operands.contains(produced[0]) {
            builder.rename(produced[0], to: parameter.name)
        } else {
            builder.add("Identity", [produced[0]], named: [parameter.name], base: parameter.name)
        }
    }

    static func valueInfo(_ name: String, _ shape: [Int]) -> Onnx_ValueInfoProto {
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var onnxShape = Onnx_TensorShapeProto()
        onnxShape.dim = shape.map { extent in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = Int64(extent)
            return dim
        }
        tensor.shape = onnxShape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }
}
