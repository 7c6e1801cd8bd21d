import AttendBasic

/// Checks a graph's invariants: the contract every stage after the frontend (and the IR text
/// parser) relies on. A graph that verifies can be printed, interpreted and optimized without
/// any further checks; a graph that does not is a compiler bug or a corrupted input, and the
/// diagnostic names the node (op and layer) and the problem.
public enum Verifier {
    /// Throws the first violated invariant:
    /// - every value is defined exactly once, by a graph input or one node output, before it is
    ///   used (nodes run in order), and every value id is in range;
    /// - each node has an arity its op accepts, attributes exactly as the op's schema types them
    ///   (complete, in schema order, canonical), and outputs whose recorded shapes are the
    ///   inferred ones;
    /// - each node binds exactly its op's parameter slots, to existing graph parameters of the
    ///   declared shapes; parameter names are unique;
    /// - derived parameters apply a known op to parameters declared before them, with the
    ///   inferred shape;
    /// - graph inputs and outputs have unique names, and outputs name defined values;
    /// - layouts as `verifyLayouts` checks them.
    public static func verify(_ graph: Graph) throws(Diagnostic) {
        var checker = Checker(graph: graph)
        try checker.run()
        try verifyLayouts(graph)
    }

    /// The layout rules (see `Layout`), part of `verify`; code generation checks them before
    /// it sizes a buffer or lowers a node:
    /// - each value's layout suits its shape (row-major any rank; others rank 4, with a
    ///   supported channel block and storage within the size limit);
    /// - graph inputs and outputs are row-major (the caller's buffers are);
    /// - each node's op handles the layouts of its operands and results (`Op.handlesLayout`);
    /// - derived parameters come from ops giving row-major results.
    /// Value ids out of range are `verify`'s to report; here they are skipped.
    public static func verifyLayouts(_ graph: Graph) throws(Diagnostic) {
        func layout(_ id: ValueID) -> Layout { graph.values.indices.contains(id.index) ? graph.layout(of: id) : .rowMajor }
        for (index, value) in graph.values.enumerated() where value.layout != .rowMajor {
            do { try value.layout.check(shape: value.shape) } catch {
                throw .error("graph '\(graph.name)': value \(index) \(formatShape(value.shape)): \(error.message)")
            }
        }
        for (kind, ports) in [("input", graph.inputs), ("output", graph.outputs)] {
            for (name, id) in ports where layout(id) != .rowMajor {
                throw .error("graph '\(graph.name)': \(kind) '\(name)' has layout \(layout(id)); graph inputs and outputs are row-major (nchw)")
            }
        }
        for parameter in graph.parameters {
            guard let definition = parameter.definition else { continue }
            let result = definition.op.resultLayout(0, attributes: definition.attributes)
            guard result == .rowMajor else {
                throw .error("graph '\(graph.name)': derived parameter '\(parameter.name)': op '\(definition.op.name)' gives layout \(result); a derived parameter is row-major")
            }
        }
        for (index, node) in graph.nodes.enumerated() {
            let shapes = node.inputs.map { graph.values.indices.contains($0.index) ? graph.shape(of: $0) : [] }
            let ports = node.inputs.enumerated().map { (LayoutPort.operand($0.offset), $0.element) }
                + node.outputs.enumerated().map { (LayoutPort.result($0.offset), $0.element) }
            for (port, id) in ports where !node.op.handlesLayout(layout(id), at: port, inputs: shapes, attributes: node.attributes) {
                throw .error("\(Checker.describe(node, index: index)): \(Layout.unhandled(layout(id), at: port, by: node.op))", at: node.location)
            }
        }
    }
}

private struct Checker {
    let graph: Graph
    /// For each value, what defines it, once known.
    var definitions: [String?]

    init(graph: Graph) {
        self.graph = graph
        self.definitions = [String?](repeating: nil, count: graph.values.count)
    }

    mutating func run() throws(Diagnostic) {
        for (index, value) in graph.values.enumerated() where value.shape.contains(where: { $0 < 0 }) {
            throw .error("graph '\(graph.name)': value \(index) has a negative dimension in \(formatShape(value.shape))")
        }
        try checkInputs()
        let parameters = try checkParameters()
        for index in graph.nodes.indices {
            try checkNode(index, parameters: parameters)
        }
        if let undefined = definitions.firstIndex(where: { $0 == nil }) {
            throw .error("graph '\(graph.name)': value \(undefined) \(formatShape(graph.values[undefined].shape)) is never defined (no input or node output produces it)")
        }
        try checkOutputs()
    }

    private mutating func checkInputs() throws(Diagnostic) {
        var names: Set<String> = []
        for (name, id) in graph.inputs {
            guard names.insert(name).inserted else {
                throw .error("graph '\(graph.name)': input name '\(name)' is used twice")
            }
            try define(id, by: "input '\(name)'")
        }
    }

    private func checkParameters() throws(Diagnostic) -> [String: Parameter] {
        var byName: [String: Parameter] = [:]
        for parameter in graph.parameters {
            guard byName[parameter.name] == nil else {
                throw .error("graph '\(graph.name)': parameter '\(parameter.name)' is defined twice")
            }
            guard !parameter.shape.contains(where: { $0 < 0 }) else {
                throw .error("graph '\(graph.name)': parameter '\(parameter.name)' has a negative dimension in \(formatShape(parameter.shape))")
            }
            if let definition = parameter.definition {
                try checkDefinition(definition, of: parameter, earlier: byName)
            }
            byName[parameter.name] = parameter
        }
        return byName
    }

    /// A derived parameter: a known op without parameter slots, over earlier parameters, with
    /// typed attributes and the shape its rule infers.
    private func checkDefinition(_ definition: ParameterDefinition, of parameter: Parameter,
                                 earlier: [String: Parameter]) throws(Diagnostic) {
        let what = "graph '\(graph.name)': derived parameter '\(parameter.name)'"
        let op = definition.op
        var shapes: [[Int]] = []
        for operand in definition.operands {
            guard let source = earlier[operand] else { throw .error("\(what) reads '\(operand)', which is not a parameter declared before it") }
            shapes.append(source.shape)
        }
        guard op.arity.accepts(shapes.count) else { throw .error("\(what): op '\(op.name)' takes \(op.arity.description), got \(shapes.count)") }
        let typed: Attributes
        do { typed = try op.typeArguments(definition.attributes.entries) } catch { throw .error("\(what): \(error.diagnostic.message)") }
        if typed != definition.attributes { throw .error("\(what): " + Self.attributeDifference(recorded: definition.attributes, typed: typed)) }
        let inferred: [[Int]]
        do { inferred = try op.outputShapes(inputs: shapes, attributes: typed) } catch { throw .error("\(what): shape inference fails: \(error.message)") }
        let slots: [ParameterSlot]
        do { slots = try Graph.checkedParameterSlots(op, shapes: shapes, attributes: typed) } catch { throw .error("\(what): \(error.message)") }
        guard slots.isEmpty else { throw .error("\(what): op '\(op.name)' has parameters of its own") }
        guard inferred == [parameter.shape] else {
            throw .error("\(what) is recorded as \(formatShape(parameter.shape)) but infers \(inferred.map(formatShape).joined(separator: ", "))")
        }
    }

    private func checkOutputs() throws(Diagnostic) {
        var names: Set<String> = []
        for (name, id) in graph.outputs {
            guard names.insert(name).inserted else {
                throw .error("graph '\(graph.name)': output name '\(name)' is used twice")
            }
            guard definitions.indices.contains(id.index) else {
                throw .error("graph '\(graph.name)': output '\(name)' is value \(id.index), which does not exist (the graph has \(graph.values.count) values)")
            }
            guard definitions[id.index] != nil else {
                throw .error("graph '\(graph.name)': output '\(name)' is value \(id.index), which is never defined")
            }
        }
    }

    /// Records that `id` is defined by `what`, or throws if it is out of range or defined already.
    private mutating func define(_ id: ValueID, by what: String, at location: SourceLocation? = nil) throws(Diagnostic) {
        guard definitions.indices.contains(id.index) else {
            throw .error("\(what) defines value \(id.index), which does not exist (the graph has \(graph.values.count) values)", at: location)
        }
        if let previous = definitions[id.index] {
            throw .error("\(what) redefines value \(id.index), already defined by \(previous)", at: location)
        }
        definitions[id.index] = what
    }

    private mutating func checkNode(_ index: Int, parameters: [String: Parameter]) throws(Diagnostic) {
        let node = graph.nodes[index]
        let op = node.op
        let what = Self.describe(node, index: index)
        let at = node.location
        func fail(_ message: String) -> Diagnostic { .error("\(what): \(message)", at: at) }

        // Inputs: in range and defined earlier.
        for (position, id) in node.inputs.enumerated() {
            guard definitions.indices.contains(id.index) else {
                throw fail("input \(position) is value \(id.index), which does not exist (the graph has \(graph.values.count) values)")
            }
            guard definitions[id.index] != nil else {
                throw fail("input \(position) uses value \(id.index) before it is defined")
            }
        }
        guard op.arity.accepts(node.inputs.count) else {
            throw fail("op '\(op.name)' takes \(op.arity.description), got \(node.inputs.count)")
        }

        // Attributes: exactly what the schema types them to.
        let typed: Attributes
        do {
            typed = try op.typeArguments(node.attributes.entries)
        } catch {
            throw fail(error.diagnostic.message)
        }
        if typed != node.attributes {
            throw fail(Self.attributeDifference(recorded: node.attributes, typed: typed))
        }

        // Outputs: the inferred shapes, each a fresh value.
        let inputShapes = node.inputs.map { graph.values[$0.index].shape }
        let inferred: [[Int]]
        do {
            inferred = try op.outputShapes(inputs: inputShapes, attributes: node.attributes)
        } catch {
            throw fail("shape inference fails: \(error.message)")
        }
        guard inferred.count == node.outputs.count else {
            throw fail("op '\(op.name)' produces \(inferred.count) output(s), but the node records \(node.outputs.count)")
        }
        for (position, id) in node.outputs.enumerated() {
            try define(id, by: what, at: at)
            let recorded = graph.values[id.index].shape
            guard recorded == inferred[position] else {
                throw fail("output \(position) (value \(id.index)) is recorded as \(formatShape(recorded)) but infers \(formatShape(inferred[position]))")
            }
        }

        // Parameters: exactly the op's slots, bound to graph parameters of the declared shapes.
        let slots = op.parameters(inputs: inputShapes, attributes: node.attributes)
        let boundSlots = node.parameters.map(\.slot)
        var seenSlots: Set<String> = []
        for slot in boundSlots where !seenSlots.insert(slot).inserted {
            throw fail("parameter slot '\(slot)' is bound twice")
        }
        for binding in node.parameters where !slots.contains(where: { $0.name == binding.slot }) {
            let known = slots.map(\.name)
            let list = known.isEmpty ? "it has no parameters" : "its slots: \(known.joined(separator: ", "))"
            throw fail("binds unknown parameter slot '\(binding.slot)'\(didYouMean(binding.slot, in: known)); \(list)")
        }
        for slot in slots {
            guard let name = node.parameterName(slot.name) else {
                throw fail("parameter slot '\(slot.name)' is not bound")
            }
            guard let parameter = parameters[name] else {
                throw fail("slot '\(slot.name)' names parameter '\(name)', which the graph does not have\(didYouMean(name, in: parameters.keys.sorted()))")
            }
            guard parameter.shape == slot.shape else {
                throw fail("parameter '\(name)' (slot '\(slot.name)') has shape \(formatShape(parameter.shape)) but the op needs \(formatShape(slot.shape))")
            }
        }
    }

    /// `node 3 (conv2d 'layer1.0.conv1')`, or without the layer when it has none.
    static func describe(_ node: Node, index: Int) -> String {
        node.layer.isEmpty ? "node \(index) (\(node.op.name))" : "node \(index) (\(node.op.name) '\(node.layer)')"
    }

    /// The first way recorded attributes differ from their typed form.
    static func attributeDifference(recorded: Attributes, typed: Attributes) -> String {
        let recordedNames = recorded.entries.map(\.name)
        let typedNames = typed.entries.map(\.name)
        if let missing = typedNames.first(where: { !recordedNames.contains($0) }) {
            return "attribute '\(missing)' is missing (the schema default is \(typed[missing].map { $0.description } ?? "None"))"
        }
        var seen: Set<String> = []
        for name in recordedNames where !seen.insert(name).inserted {
            return "attribute '\(name)' is given twice"
        }
        for entry in recorded.entries {
            if let canonical = typed[entry.name], canonical != entry.value {
                return "attribute '\(entry.name)' is \(entry.value.kindName), but the schema types it as \(canonical.kindName)"
            }
        }
        return "attributes are not in schema order (expected \(typedNames.joined(separator: ", ")), got \(recordedNames.joined(separator: ", ")))"
    }
}
