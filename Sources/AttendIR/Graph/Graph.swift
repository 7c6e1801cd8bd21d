import AttendBasic

/// An SSA value: one tensor produced by a graph input or a node output.
public struct ValueID: Hashable, Comparable, Sendable {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
}

public struct Value: Hashable, Sendable {
    public var shape: [Int]
    /// How code generation stores the value (see `Layout`); the shape stays logical.
    public var layout: Layout
    public init(shape: [Int], layout: Layout = .rowMajor) {
        self.shape = shape
        self.layout = layout
    }
}

/// A learned tensor of the model, named by its PyTorch state_dict key.
public struct Parameter: Hashable, Sendable {
    public var name: String
    public var shape: [Int]
    public var initializer: ParameterInit
    /// State-dict keys beside this parameter that loading accepts and ignores
    /// (`bn1.num_batches_tracked`).
    public var ignoredKeys: [String]
    /// A buffer (running statistics), not a learned parameter; see `ParameterSlot.isBuffer`.
    public var isBuffer: Bool
    /// Set for a parameter the optimizer derived from others (a conv weight with a batchnorm
    /// folded in): computed once when weights are loaded, never read from or written to a
    /// state_dict, and not counted as a parameter.
    public var definition: ParameterDefinition?

    public init(name: String, shape: [Int], initializer: ParameterInit, ignoredKeys: [String] = [], isBuffer: Bool = false,
                definition: ParameterDefinition? = nil) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
        self.ignoredKeys = ignoredKeys
        self.isBuffer = isBuffer
        self.definition = definition
    }

    /// True for parameters a weights file provides (everything not derived).
    public var isLoaded: Bool { definition == nil }
}

/// A derived parameter's value: one op (without parameters of its own) applied to earlier
/// parameters, e.g. `mul(@"conv1.weight", @"bn1.scale")`. Evaluated at load time by the
/// interpreter and by generated code, with the same kernels as graph nodes.
public struct ParameterDefinition: Hashable, Sendable {
    public var op: any Op
    public var operands: [String]
    public var attributes: Attributes

    public init(op: any Op, operands: [String], attributes: Attributes) {
        self.op = op
        self.operands = operands
        self.attributes = attributes
    }

    /// The same op (`Op.identity`) on the same operands with the same arguments: the same value.
    public static func == (a: ParameterDefinition, b: ParameterDefinition) -> Bool {
        a.op.identity == b.op.identity && a.operands == b.operands && a.attributes == b.attributes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(op.identity)
        hasher.combine(operands)
        hasher.combine(attributes)
    }
}

/// One op application.
public struct Node: Sendable {
    public var op: any Op
    public var inputs: [ValueID]
    public var outputs: [ValueID]
    public var attributes: Attributes
    /// The op's parameter slots bound to graph parameter names, in slot order.
    public var parameters: [(slot: String, name: String)]
    /// The dotted layer path the node came from (`layer1.0.se.fc1`), for names and messages.
    public var layer: String
    public var location: SourceLocation?
    /// The fusion group this node belongs to, if the optimizer fused it: nodes of one group
    /// become one kernel. Numbers are only compared for equality.
    public var group: Int?

    public init(op: any Op, inputs: [ValueID], outputs: [ValueID], attributes: Attributes,
                parameters: [(slot: String, name: String)] = [], layer: String = "", location: SourceLocation? = nil,
                group: Int? = nil) {
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
        self.parameters = parameters
        self.layer = layer
        self.location = location
        self.group = group
    }

    public func parameterName(_ slot: String) -> String? {
        parameters.first { $0.slot == slot }?.name
    }
}

/// A static-shape float32 dataflow graph: the IR every later stage reads.
public struct Graph: Sendable {
    public var name: String
    public var values: [Value] = []
    public var inputs: [(name: String, value: ValueID)] = []
    public var outputs: [(name: String, value: ValueID)] = []
    public var nodes: [Node] = []
    /// The model's parameters in declaration order. Lookups by name (`parameter(named:)`) go
    /// through an index kept in step with this array, so building a graph of n parameters
    /// is O(n), not O(n²): appending indexes the new tail, removing rebuilds it. Edits in
    /// place must keep each element's name (rename by replacing the whole array).
    public var parameters: [Parameter] {
        get { parameterStore }
        set {
            parameterStore = newValue
            parameterPositions = Self.positions(of: newValue)
        }
        _modify {
            let before = parameterStore.count
            yield &parameterStore
            if parameterStore.count < before {
                parameterPositions = Self.positions(of: parameterStore)
            } else {
                for index in before..<parameterStore.count where parameterPositions[parameterStore[index].name] == nil {
                    parameterPositions[parameterStore[index].name] = index
                }
            }
        }
    }
    private var parameterStore: [Parameter] = []
    /// Position of each parameter name in `parameters` (the first, should a name repeat).
    private var parameterPositions: [String: Int] = [:]

    private static func positions(of parameters: [Parameter]) -> [String: Int] {
        var positions: [String: Int] = [:]
        for (index, parameter) in parameters.enumerated() where positions[parameter.name] == nil {
            positions[parameter.name] = index
        }
        return positions
    }

    public init(name: String) { self.name = name }

    public func shape(of value: ValueID) -> [Int] { values[value.index].shape }

    /// A new value of this shape (and storage layout).
    public mutating func makeValue(shape: [Int], layout: Layout = .rowMajor) -> ValueID {
        values.append(Value(shape: shape, layout: layout))
        return ValueID(values.count - 1)
    }

    /// Sizes and counts in arguments (kernels, strides, pads) are bounded so that no shape or
    /// fan-in computation can overflow, whatever a spec or IR file says.
    private static func checkWindowArguments(_ attributes: Attributes, op: String) throws(Diagnostic) {
        let limit = 1 << 24
        for (name, value) in attributes.entries {
            let numbers: [Int]
            switch value {
            case .int(let v): numbers = [v]
            case .ints(let v): numbers = v
            default: continue
            }
            if let bad = numbers.first(where: { abs($0) > limit }) {
                throw .error("argument '\(name)' of '\(op)' is out of range: \(bad) (limit ±\(limit))")
            }
        }
    }

    public mutating func addInput(name: String, shape: [Int]) -> ValueID {
        let id = makeValue(shape: shape)
        inputs.append((name, id))
        return id
    }

    public func parameter(named name: String) -> Parameter? {
        guard let index = parameterPositions[name], index < parameterStore.count, parameterStore[index].name == name else { return nil }
        return parameterStore[index]
    }

    /// Learned parameters, counted as `sum(p.numel() for p in model.parameters())` counts them.
    public var parameterCount: Int {
        parameters.filter { $0.isLoaded && !$0.isBuffer }.reduce(0) { $0 + ShapeRules.elementCount($1.shape) }
    }

    /// Elements of buffers (running statistics) in the state_dict.
    public var bufferCount: Int {
        parameters.filter { $0.isLoaded && $0.isBuffer }.reduce(0) { $0 + ShapeRules.elementCount($1.shape) }
    }

    /// The parameters a weights file provides, in declaration order.
    public var loadedParameters: [Parameter] { parameters.filter(\.isLoaded) }

    /// Checks arity and argument ranges; the input and (size-checked) output shapes.
    private func inferShapes(_ op: any Op, inputs: [ValueID], attributes: Attributes) throws(Diagnostic) -> (inputs: [[Int]], outputs: [[Int]]) {
        guard op.arity.accepts(inputs.count) else {
            throw .error("op '\(op.name)' takes \(op.arity.description), got \(inputs.count)")
        }
        let inputShapes = inputs.map(shape(of:))
        try Self.checkWindowArguments(attributes, op: op.name)
        let outputShapes = try op.outputShapes(inputs: inputShapes, attributes: attributes)
        for shape in outputShapes { try ShapeRules.checkSize(shape, "the output of '\(op.name)'") }
        for (k, input) in inputs.enumerated() {
            let layout = layout(of: input)
            guard op.handlesLayout(layout, at: .operand(k), inputs: inputShapes, attributes: attributes) else {
                throw .error(Layout.unhandled(layout, at: .operand(k), by: op))
            }
        }
        return (inputShapes, outputShapes)
    }

    /// Fresh values for a node's results, in the layouts the op gives them.
    private mutating func makeResults(_ op: any Op, shapes: [[Int]], attributes: Attributes) -> [ValueID] {
        shapes.enumerated().map { k, shape in makeValue(shape: shape, layout: op.resultLayout(k, attributes: attributes)) }
    }

    /// The op's parameter slots for these inputs, asked only after arity, argument ranges and
    /// the shape rule have accepted the node: `Op.parameters` may assume valid attributes
    /// and input ranks (a conv divides by `groups`, indexes the input's channel axis), so
    /// every caller with untrusted nodes (IR text, recorded definitions) goes through here.
    public func checkedParameterSlots(_ op: any Op, inputs: [ValueID], attributes: Attributes) throws(Diagnostic) -> [ParameterSlot] {
        let (inputShapes, _) = try inferShapes(op, inputs: inputs, attributes: attributes)
        return op.parameters(inputs: inputShapes, attributes: attributes)
    }

    /// `checkedParameterSlots` for operands given by shape (derived parameters).
    public static func checkedParameterSlots(_ op: any Op, shapes: [[Int]], attributes: Attributes) throws(Diagnostic) -> [ParameterSlot] {
        var scratch = Graph(name: "")
        let inputs = shapes.map { scratch.makeValue(shape: $0) }
        return try scratch.checkedParameterSlots(op, inputs: inputs, attributes: attributes)
    }

    /// Adds a node applying `op`: checks arity, infers output shapes, creates its
    /// parameters under `layer` (PyTorch naming) and returns the node's outputs.
    /// Errors carry no location; the frontend attaches the spec location.
    @discardableResult
    public mutating func apply(_ op: any Op, inputs: [ValueID], attributes: Attributes,
                               layer: String, location: SourceLocation? = nil) throws(Diagnostic) -> [ValueID] {
        let (inputShapes, outputShapes) = try inferShapes(op, inputs: inputs, attributes: attributes)
        var bound: [(slot: String, name: String)] = []
        let slots = op.parameters(inputs: inputShapes, attributes: attributes)
        let reparametrized = op.reparametrizations(inputs: inputShapes, attributes: attributes)
        func qualified(_ name: String) -> String { [layer, name].filter { !$0.isEmpty }.joined(separator: ".") }
        let ignored = op.ignoredStateNames.map(qualified)
        for slot in slots {
            // A reparametrized slot is stored as other tensors and computed from them.
            let stored = reparametrized.first { $0.slot == slot.name }
            for entry in stored?.stored ?? [slot] {
                try ShapeRules.checkSize(entry.shape, "parameter '\(entry.name)' of '\(op.name)'")
                let fullName = qualified(entry.name)
                guard !fullName.isEmpty else { throw .error("op '\(op.name)' has parameters, so its layer needs a name") }
                if parameter(named: fullName) != nil { throw .error("parameter '\(fullName)' is defined twice") }
                parameters.append(Parameter(name: fullName, shape: entry.shape, initializer: entry.initializer,
                                            ignoredKeys: slot == slots.last && entry == (stored?.stored.last ?? slot) ? ignored : [],
                                            isBuffer: entry.isBuffer))
            }
            guard let stored else {
                bound.append((slot.name, qualified(slot.name)))
                continue
            }
            // Steps name their operands relative to the layer; a taken name gets a suffix.
            var names = Dictionary(uniqueKeysWithValues: stored.stored.map { ($0.name, qualified($0.name)) })
            var derived = ""
            for step in stored.steps {
                let typed: Attributes
                do { typed = try step.op.typeArguments(step.arguments) } catch { throw error.diagnostic }
                derived = try deriveParameter(qualified(step.name), op: step.op,
                                              operands: step.operands.map { names[$0] ?? qualified($0) }, attributes: typed)
                names[step.name] = derived
            }
            guard parameter(named: derived)?.shape == slot.shape else {
                throw .error("internal: the reparametrized '\(slot.name)' of '\(op.name)' does not have the slot's shape")
            }
            bound.append((slot.name, derived))
        }
        let outputs = makeResults(op, shapes: outputShapes, attributes: attributes)
        nodes.append(Node(op: op, inputs: inputs, outputs: outputs, attributes: attributes,
                          parameters: bound, layer: layer, location: location))
        return outputs
    }

    /// A node applying `op` to existing values, bound to existing parameters (not named by
    /// layer path as `apply` names new ones), with fresh output values; not yet placed in
    /// `nodes`. For rewrites: the op's shape rule and slot shapes are checked.
    public mutating func makeNode(_ op: any Op, inputs: [ValueID], attributes: Attributes,
                                  parameters bindings: [(slot: String, name: String)],
                                  layer: String, location: SourceLocation? = nil) throws(Diagnostic) -> Node {
        let (inputShapes, outputShapes) = try inferShapes(op, inputs: inputs, attributes: attributes)
        for slot in op.parameters(inputs: inputShapes, attributes: attributes) {
            guard let name = bindings.first(where: { $0.slot == slot.name })?.name, let bound = parameter(named: name) else {
                throw .error("op '\(op.name)' needs parameter slot '\(slot.name)' bound")
            }
            guard bound.shape == slot.shape else {
                throw .error("parameter '\(name)' has shape \(formatShape(bound.shape)), slot '\(slot.name)' of '\(op.name)' needs \(formatShape(slot.shape))")
            }
        }
        let outputs = makeResults(op, shapes: outputShapes, attributes: attributes)
        return Node(op: op, inputs: inputs, outputs: outputs, attributes: attributes,
                    parameters: bindings, layer: layer, location: location)
    }

    /// Adds a parameter computed from earlier ones by `op` (see `ParameterDefinition`); its
    /// shape comes from the op's shape rule. Returns the new parameter's name (`name`, made
    /// unique with a suffix if taken).
    @discardableResult
    public mutating func deriveParameter(_ name: String, op: any Op, operands: [String],
                                         attributes: Attributes) throws(Diagnostic) -> String {
        var shapes: [[Int]] = []
        for operand in operands {
            guard let source = parameter(named: operand) else { throw .error("no parameter '\(operand)' to derive '\(name)' from") }
            shapes.append(source.shape)
        }
        guard op.arity.accepts(operands.count), try Self.checkedParameterSlots(op, shapes: shapes, attributes: attributes).isEmpty else {
            throw .error("op '\(op.name)' cannot derive a parameter from \(operands.count) operand(s)")
        }
        let outputs = try op.outputShapes(inputs: shapes, attributes: attributes)
        guard outputs.count == 1 else { throw .error("op '\(op.name)' has \(outputs.count) outputs; a derived parameter needs one") }
        let layout = op.resultLayout(0, attributes: attributes)
        guard layout == .rowMajor else { throw .error("op '\(op.name)' gives layout \(layout); a derived parameter is row-major") }
        try ShapeRules.checkSize(outputs[0], "derived parameter '\(name)'")
        var unique = name, suffix = 1
        while parameter(named: unique) != nil { unique = "\(name).\(suffix)"; suffix += 1 }
        parameters.append(Parameter(name: unique, shape: outputs[0], initializer: .constant(0),
                                    definition: ParameterDefinition(op: op, operands: operands, attributes: attributes)))
        return unique
    }
}
