import AttendBasic
import Foundation

/// Collects the nodes and initializers of one ONNX graph: unique value names, constants as
/// initializers, and attribute spelling. Op lowerings write through it.
struct ONNXGraphBuilder {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    /// Every name given out so far: graph inputs and outputs, parameters, intermediates.
    private var taken: Set<String> = []
    private var nodeNames: Set<String> = []

    /// Claims `name` exactly (an input, output or parameter name); false when it is taken.
    mutating func reserve(_ name: String) -> Bool { taken.insert(name).inserted }

    /// A new value name: `base`, or `base_1`, `base_2`, ... when that is taken.
    mutating func fresh(_ base: String) -> String {
        var name = base, suffix = 1
        while taken.contains(name) { name = "\(base)_\(suffix)"; suffix += 1 }
        taken.insert(name)
        return name
    }

    /// Adds a node of the standard domain; returns its output names, fresh from `base`.
    @discardableResult
    mutating func add(_ opType: String, _ inputs: [String], outputs count: Int = 1, base: String,
                      _ attributes: [Onnx_AttributeProto] = []) -> [String] {
        add(opType, inputs, named: (0..<count).map { _ in fresh(base) }, base: base, attributes)
    }

    /// Adds a node whose outputs have the given (already reserved) names.
    @discardableResult
    mutating func add(_ opType: String, _ inputs: [String], named outputs: [String], base: String,
                      _ attributes: [Onnx_AttributeProto] = []) -> [String] {
        var node = Onnx_NodeProto()
        node.opType = opType
        node.input = inputs
        node.output = outputs
        node.attribute = attributes
        var name = "\(base)/\(opType)", suffix = 1
        while nodeNames.contains(name) { name = "\(base)/\(opType)_\(suffix)"; suffix += 1 }
        nodeNames.insert(name)
        node.name = name
        nodes.append(node)
        return outputs
    }

    /// Adds a one-output node; returns its output name.
    mutating func add1(_ opType: String, _ inputs: [String], base: String, _ attributes: [Onnx_AttributeProto] = []) -> String {
        add(opType, inputs, base: base, attributes)[0]
    }

    /// Renames a value everywhere it appears in the nodes added so far.
    mutating func rename(_ old: String, to new: String) {
        for n in nodes.indices {
            nodes[n].input = nodes[n].input.map { $0 == old ? new : $0 }
            nodes[n].output = nodes[n].output.map { $0 == old ? new : $0 }
        }
    }

    /// Whether some node added so far produces `name`.
    func produces(_ name: String) -> Bool { nodes.contains { $0.output.contains(name) } }

    // MARK: Initializers

    /// A float32 initializer named exactly `name` (a parameter, already reserved).
    mutating func addInitializer(name: String, _ tensor: Tensor) {
        initializers.append(Self.floatTensor(name: name, shape: tensor.shape, data: tensor.data))
    }

    /// A float32 constant (rank 0 for a scalar) as a fresh initializer; returns its name.
    mutating func constant(_ values: [Float], shape: [Int], base: String = "const") -> String {
        let name = fresh(base)
        initializers.append(Self.floatTensor(name: name, shape: shape, data: values))
        return name
    }

    mutating func scalar(_ value: Double) -> String { constant([Float(value)], shape: []) }

    /// A 1-D int64 constant (shapes, axes, pads, starts) as a fresh initializer.
    mutating func int64s(_ values: [Int], base: String = "const") -> String {
        let name = fresh(base)
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.dims = [Int64(values.count)]
        tensor.int64Data = values.map(Int64.init)
        initializers.append(tensor)
        return name
    }

    static func floatTensor(name: String, shape: [Int], data: [Float]) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.dims = shape.map(Int64.init)
        // raw_data is little-endian IEEE 754, as the ONNX spec fixes it.
        var bytes = Data(capacity: data.count * 4)
        for value in data { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        tensor.rawData = bytes
        return tensor
    }
}

/// Attribute spelling for node construction.
enum Attr {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto { make(name, .int) { $0.i = Int64(value) } }
    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto { make(name, .ints) { $0.ints = values.map(Int64.init) } }
    static func float(_ name: String, _ value: Double) -> Onnx_AttributeProto { make(name, .float) { $0.f = Float(value) } }
    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto { make(name, .string) { $0.s = Data(value.utf8) } }

    private static func make(_ name: String, _ type: Onnx_AttributeProto.AttributeType,
                             _ fill: (inout Onnx_AttributeProto) -> Void) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = type
        fill(&attribute)
        return attribute
    }
}
