import AttendBasic

/// Reads the IR text form (see `Graph.text`) back into a graph. Nodes are re-applied through
/// `Graph.apply`: attributes are typed by the op schema, shapes re-inferred (they must equal
/// the printed ones) and parameters named as `apply` names them (layer path and slot). Errors
/// are located diagnostics; no text traps the parser (op rules must avoid overflow themselves).
public enum IRParser {
    public static func parse(_ text: String, file: String) throws(Diagnostic) -> Graph {
        var parser = IRTextParser(tokens: IRLexer.tokens(text, file: file))
        let graph = try parser.parseGraph()
        try Verifier.verify(graph)
        return graph
    }

    /// Integers in shapes and typed attributes stay within this magnitude, and input and
    /// parameter shapes within `maxElements`, keeping shape arithmetic far from overflow.
    static let maxInteger = Int(Int32.max)
    static let maxElements = 1 << 40
}

private struct IRTextParser {
    var tokens: [IRToken]
    var position = 0
    var graph = Graph(name: "")
    /// Value names in scope, and where each was defined.
    var values: [String: (id: ValueID, location: SourceLocation)] = [:]
    /// Where each parameter (in `graph.parameters`, in `param` line order) was declared.
    var declaredAt: [SourceLocation] = []
    var declaredIndex: [String: Int] = [:]
    var outputNames: Set<String> = []

    func peek(_ offset: Int = 0) throws(Diagnostic) -> IRToken {
        let token = tokens[min(position + offset, tokens.count - 1)]
        if case .invalid(let diagnostic) = token.kind { throw diagnostic }
        return token
    }

    @discardableResult
    mutating func next() throws(Diagnostic) -> IRToken {
        let token = try peek()
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    func unexpected(_ token: IRToken, _ expected: String) -> Diagnostic {
        .error("expected \(expected), got \(token.kind.description)", at: token.location)
    }

    mutating func expect(_ punct: Unicode.Scalar, _ context: String = "") throws(Diagnostic) {
        let token = try next()
        guard token.kind == .punct(punct) else {
            throw unexpected(token, "'\(punct)'" + (context.isEmpty ? "" : " " + context))
        }
    }

    mutating func expectWord(_ word: String) throws(Diagnostic) {
        let token = try next()
        guard token.kind == .word(word) else { throw unexpected(token, "'\(word)'") }
    }

    mutating func accept(_ punct: Unicode.Scalar) throws(Diagnostic) -> Bool {
        guard try peek().kind == .punct(punct) else { return false }
        try next()
        return true
    }

    mutating func skipNewlines() throws(Diagnostic) {
        while try peek().kind == .newline { try next() }
    }

    mutating func expectLineEnd() throws(Diagnostic) {
        let token = try next()
        guard token.kind == .newline else { throw unexpected(token, "end of line") }
    }

    /// A name written bare or as a string: op, attribute and slot names, output names.
    mutating func parseName(_ what: String) throws(Diagnostic) -> (String, SourceLocation) {
        let token = try next()
        switch token.kind {
        case .word(let text), .string(let text): return (text, token.location)
        default: throw unexpected(token, what)
        }
    }

    /// `%name` (value) or `@name` (symbol: the graph, parameters).
    mutating func parseReference(value: Bool) throws(Diagnostic) -> (String, SourceLocation) {
        let token = try next()
        switch token.kind {
        case .value(let name) where value, .symbol(let name) where !value: return (name, token.location)
        default: throw unexpected(token, value ? "a value name like %x" : "a name like @\"layer.weight\"")
        }
    }

    mutating func parseGraph() throws(Diagnostic) -> Graph {
        try skipNewlines()
        try expectWord("graph")
        let (name, location) = try parseReference(value: false)
        graph.name = name
        try expect("{", "to open the graph body")
        try expectLineEnd()
        while true {
            try skipNewlines()
            let token = try peek()
            let following = try? peek(1)
            switch token.kind {
            case .punct("}"):
                try next()
                try skipNewlines()
                let end = try next()
                guard end.kind == .end else { throw unexpected(end, "end of file after the graph") }
                // A parameter is a buffer when marked so, or when an op binds it to a buffer slot.
                for node in graph.nodes {
                    let slots = node.op.parameters(inputs: node.inputs.map(graph.shape(of:)), attributes: node.attributes)
                    for slot in slots where slot.isBuffer {
                        if let name = node.parameterName(slot.name), let index = declaredIndex[name] {
                            graph.parameters[index].isBuffer = true
                        }
                    }
                }
                return graph
            case .word("input") where following?.kind != .punct("("): try parseInput()
            case .word("param") where following?.kind != .punct("("): try parseParam()
            case .word("output") where following?.kind != .punct("("): try parseOutput()
            case .value, .word, .string: try parseNode()
            case .end:
                throw .error("graph \(IRSyntax.symbolName(name)) opened at line \(location.line) is not closed with '}'", at: token.location)
            default:
                throw unexpected(token, "a statement (input, param, a node or output)")
            }
            try expectLineEnd()
        }
    }

    /// Throws when `name` is already a value.
    func define(_ name: String, at location: SourceLocation) throws(Diagnostic) {
        if let previous = values[name] {
            throw .error("value \(IRSyntax.valueName(name)) is redefined (first defined at line \(previous.location.line))", at: location)
        }
    }

    mutating func parseInput() throws(Diagnostic) {
        try expectWord("input")
        let (name, location) = try parseReference(value: true)
        try define(name, at: location)
        try expect(":", "before the input's shape")
        let shape = try parseShape(checked: true)
        let id = graph.addInput(name: name, shape: shape)
        try setLayout(try parseLayout(), of: id)
        values[name] = (id, location)
    }

    /// An optional `layout(name)` after a value's shape, and where its name is.
    mutating func parseLayout() throws(Diagnostic) -> (layout: Layout, location: SourceLocation)? {
        guard try peek().kind == .word("layout") else { return nil }
        try next()
        try expect("(", "after 'layout'")
        let (name, location) = try parseName("a layout name (nchw, nhwc, nchw16c, ...)")
        let layout: Layout
        do { layout = try Layout(name: name) } catch { throw error.located(at: location) }
        try expect(")", "after the layout name")
        return (layout, location)
    }

    /// Gives value `id` its parsed layout (row-major when none is written), checked against its shape.
    mutating func setLayout(_ parsed: (layout: Layout, location: SourceLocation)?, of id: ValueID) throws(Diagnostic) {
        guard let parsed else {
            graph.values[id.index].layout = .rowMajor
            return
        }
        do { try graph.setLayout(parsed.layout, of: id) } catch { throw error.located(at: parsed.location) }
    }

    mutating func parseParam() throws(Diagnostic) {
        try expectWord("param")
        let (name, location) = try parseReference(value: false)
        if let index = declaredIndex[name] {
            throw .error("parameter \(IRSyntax.symbolName(name)) is declared twice (first at line \(declaredAt[index].line))", at: location)
        }
        try expect(":", "before the parameter's shape")
        let shapeLocation = try peek().location
        let shape = try parseShape(checked: true)
        if try accept("=") {
            try parseDerivedParameter(name, shape: shape, at: location, shapeLocation: shapeLocation)
        } else {
            try parseLoadedParameter(name, shape: shape, at: location)
        }
        if try peek().kind == .word("buffer") {
            try next()
            graph.parameters[graph.parameters.count - 1].isBuffer = true
        }
        if try peek().kind == .word("ignoring") {
            try next()
            repeat {
                let token = try next()
                guard case .string(let key) = token.kind else { throw unexpected(token, "an ignored state-dict key as a string") }
                graph.parameters[graph.parameters.count - 1].ignoredKeys.append(key)
            } while try accept(",")
        }
    }

    /// `= op(@a, @b) {attributes}`: a parameter derived from earlier ones.
    mutating func parseDerivedParameter(_ name: String, shape: [Int], at location: SourceLocation,
                                        shapeLocation: SourceLocation) throws(Diagnostic) {
        let (op, opLocation) = try parseOpName()
        try expect("(", "before the op's operands")
        var operands: [String] = []
        if try !accept(")") {
            repeat {
                let (operand, operandLocation) = try parseReference(value: false)
                guard declaredIndex[operand] != nil else {
                    throw .error("parameter \(IRSyntax.symbolName(operand)) is not declared by a 'param' line before its use", at: operandLocation)
                }
                operands.append(operand)
            } while try accept(",")
            try expect(")", "after the op's operands")
        }
        let attributes = try parseAttributes(of: op, at: opLocation)
        do {
            try graph.deriveParameter(name, op: op, operands: operands, attributes: attributes.attributes)
        } catch {
            throw .error("derived parameter \(IRSyntax.symbolName(name)): \(error.message)", at: opLocation)
        }
        guard graph.parameters[graph.parameters.count - 1].shape == shape else {
            throw .error("derived parameter \(IRSyntax.symbolName(name)) is declared \(formatShape(shape)) but infers \(formatShape(graph.parameters[graph.parameters.count - 1].shape))", at: shapeLocation)
        }
        declaredIndex[name] = graph.parameters.count - 1
        declaredAt.append(location)
    }

    /// `init kind(...)`: a parameter a weights file provides.
    mutating func parseLoadedParameter(_ name: String, shape: [Int], at location: SourceLocation) throws(Diagnostic) {
        try expectWord("init")
        let (kind, kindLocation) = try parseName("an initializer (uniform_fan_in, constant or normal)")
        try expect("(", "after the initializer")
        let initializer: ParameterInit
        switch kind {
        case "uniform_fan_in":
            let token = try next()
            guard case .int(let fanIn) = token.kind, fanIn >= 0 else { throw unexpected(token, "a non-negative integer fan-in") }
            initializer = .uniformFanIn(fanIn)
        case "constant":
            initializer = .constant(try parseNumber())
        case "normal":
            try expectWord("std")
            try expect("=")
            initializer = .normal(std: try parseNumber())
        default:
            throw .error("unknown initializer '\(kind)'\(didYouMean(kind, in: ["uniform_fan_in", "constant", "normal"])); expected uniform_fan_in, constant or normal", at: kindLocation)
        }
        try expect(")", "to close the initializer")
        declaredIndex[name] = graph.parameters.count
        declaredAt.append(location)
        graph.parameters.append(Parameter(name: name, shape: shape, initializer: initializer))
    }

    mutating func parseOutput() throws(Diagnostic) {
        try expectWord("output")
        let (valueName, valueLocation) = try parseReference(value: true)
        let id = try resolve(valueName, at: valueLocation)
        try expectWord("as")
        let (name, location) = try parseName("the output's name")
        guard outputNames.insert(name).inserted else {
            throw .error("output name \(IRSyntax.quote(name)) is used twice", at: location)
        }
        graph.outputs.append((name, id))
    }

    func resolve(_ name: String, at location: SourceLocation) throws(Diagnostic) -> ValueID {
        guard let value = values[name] else {
            let suggestion = closestMatch(to: name, in: values.keys).map { " (did you mean \(IRSyntax.valueName($0))?)" } ?? ""
            throw .error("undefined value \(IRSyntax.valueName(name))\(suggestion)", at: location)
        }
        return value.id
    }

    mutating func parseNode() throws(Diagnostic) {
        var results: [(name: String, location: SourceLocation)] = []
        if case .value = try peek().kind {
            repeat {
                let (name, location) = try parseReference(value: true)
                try define(name, at: location)
                if results.contains(where: { $0.name == name }) {
                    throw .error("value \(IRSyntax.valueName(name)) is defined twice on this line", at: location)
                }
                results.append((name, location))
            } while try accept(",")
            try expect("=", "after the node's results")
        }
        let (op, opLocation) = try parseOpName()
        let opName = op.name
        try expect("(", "before the op's operands")
        var inputs: [ValueID] = []
        if try !accept(")") {
            repeat {
                let (name, location) = try parseReference(value: true)
                inputs.append(try resolve(name, at: location))
            } while try accept(",")
            try expect(")", "after the op's operands")
        }
        let (attributes, _) = try parseAttributes(of: op, at: opLocation)
        var bindings: [(slot: String, name: String, location: SourceLocation)] = []
        var paramsLocation = opLocation
        if try peek().kind == .word("params") {
            paramsLocation = try next().location
            try expect("(", "after 'params'")
            repeat {
                let (slot, _) = try parseName("a parameter slot name")
                try expect("=", "after slot '\(slot)'")
                let (name, location) = try parseReference(value: false)
                bindings.append((slot, name, location))
            } while try accept(",")
            try expect(")", "after the parameter bindings")
        }
        var shapes: [(shape: [Int], location: SourceLocation, layout: (layout: Layout, location: SourceLocation)?)] = []
        if try accept(":") {
            repeat {
                let location = try peek().location
                let shape = try parseShape(checked: false)
                shapes.append((shape, location, try parseLayout()))
            } while try accept(",")
        }
        var layer = ""
        if try peek().kind == .word("loc") {
            try next()
            try expect("(", "after 'loc'")
            let token = try next()
            guard case .string(let path) = token.kind else { throw unexpected(token, "the layer path as a string") }
            layer = path
            try expect(")", "after the layer path")
        }
        var group: Int?
        if try peek().kind == .word("group") {
            try next()
            try expect("(", "after 'group'")
            let token = try next()
            guard case .int(let number) = token.kind, number >= 0 else { throw unexpected(token, "a fusion group number (0 or more)") }
            group = number
            try expect(")", "after the group number")
        }

        // Shapes are re-derived from the op; the bindings must be exactly its slots.
        let what = layer.isEmpty ? opName : "\(opName) '\(layer)'"
        try checkBindings(bindings, of: op, inputs: inputs, attributes: attributes, what: what, at: paramsLocation)
        var node: Node
        do {
            node = try graph.makeNode(op, inputs: inputs, attributes: attributes,
                                      parameters: bindings.map { ($0.slot, $0.name) }, layer: layer, location: opLocation)
        } catch {
            throw .error("\(what): \(error.message)", at: opLocation)
        }
        node.group = group
        graph.nodes.append(node)
        let outputs = node.outputs
        if outputs.count != results.count || outputs.count != shapes.count {
            let (count, noun, at) = outputs.count != results.count ? (results.count, "names", results.first?.location)
                : (shapes.count, "shape(s)", shapes.first?.location)
            throw .error("\(what) produces \(outputs.count) result(s), but the line gives \(count) \(noun)", at: at ?? opLocation)
        }
        for (index, id) in outputs.enumerated() where graph.shape(of: id) != shapes[index].shape {
            throw .error("result \(IRSyntax.valueName(results[index].name)) of \(what) is declared \(formatShape(shapes[index].shape)) but infers \(formatShape(graph.shape(of: id)))", at: shapes[index].location)
        }
        for (index, result) in results.enumerated() {
            values[result.name] = (outputs[index], result.location)
            try setLayout(shapes[index].layout, of: outputs[index])
        }
    }

    /// A registered op's name.
    mutating func parseOpName() throws(Diagnostic) -> (any Op, SourceLocation) {
        let (name, location) = try parseName("an op name")
        guard let op = OpRegistry.op(named: name) else {
            throw .error("unknown op '\(name)'\(didYouMean(name, in: OpRegistry.names))", at: location)
        }
        return (op, location)
    }

    /// `{name = value, ...}` typed by the op's schema and range-checked.
    mutating func parseAttributes(of op: any Op, at opLocation: SourceLocation) throws(Diagnostic) -> (attributes: Attributes, givenAt: [String: SourceLocation]) {
        var given: [(name: String, value: ArgValue)] = []
        var givenAt: [String: SourceLocation] = [:]
        if try accept("{") {
            if try !accept("}") {
                repeat {
                    let (name, location) = try parseName("an attribute name")
                    guard givenAt[name] == nil else { throw .error("attribute '\(name)' is given twice", at: location) }
                    try expect("=", "after attribute '\(name)'")
                    given.append((name, try parseAttributeValue()))
                    givenAt[name] = location
                } while try accept(",")
                try expect("}", "after the attributes")
            }
        }
        let attributes: Attributes
        do {
            attributes = try op.typeArguments(given)
        } catch {
            throw error.diagnostic.located(at: error.argument.flatMap { givenAt[$0] } ?? opLocation)
        }
        for (name, value) in attributes.entries {
            let ints: [Int] = if case .int(let v) = value { [v] } else if case .ints(let list) = value { list } else { [] }
            if ints.contains(where: { $0 > IRParser.maxInteger || $0 < -IRParser.maxInteger }) {
                throw .error("attribute '\(name)' = \(value) is out of range (integers are at most \(IRParser.maxInteger) in magnitude)", at: givenAt[name] ?? opLocation)
            }
        }
        return (attributes, givenAt)
    }

    /// The printed `params(...)` must bind exactly the op's slots, in order, each to a parameter
    /// declared by an earlier `param` line with the shape the slot needs.
    func checkBindings(_ bindings: [(slot: String, name: String, location: SourceLocation)], of op: any Op, inputs: [ValueID],
                       attributes: Attributes, what: String, at location: SourceLocation) throws(Diagnostic) {
        let slots: [ParameterSlot]
        do { slots = try graph.checkedParameterSlots(op, inputs: inputs, attributes: attributes) } catch {
            throw .error("\(what): \(error.message)", at: location)
        }
        guard bindings.map(\.slot) == slots.map(\.name) else {
            let description = slots.isEmpty ? "has no parameters" : "has parameter slots (" + slots.map { IRSyntax.name($0.name) }.joined(separator: ", ") + ")"
            throw .error("\(what) \(description), but the line gives params(\(bindings.map { IRSyntax.name($0.slot) }.joined(separator: ", ")))", at: location)
        }
        for (binding, slot) in zip(bindings, slots) {
            guard let index = declaredIndex[binding.name] else {
                throw .error("parameter \(IRSyntax.symbolName(binding.name)) is not declared by a 'param' line before its use", at: binding.location)
            }
            let declaredShape = graph.parameters[index].shape
            guard declaredShape == slot.shape else {
                throw .error("parameter \(IRSyntax.symbolName(binding.name)) is declared \(formatShape(declaredShape)) but \(what) needs \(formatShape(slot.shape)) for slot '\(binding.slot)'", at: binding.location)
            }
        }
    }

    mutating func parseShape(checked: Bool) throws(Diagnostic) -> [Int] {
        try expect("[", "to open a shape")
        var shape: [Int] = []
        var elements = 1
        if try !accept("]") {
            repeat {
                let token = try next()
                guard case .int(let dim) = token.kind else { throw unexpected(token, "an integer dimension") }
                if checked {
                    guard dim >= 0, dim <= IRParser.maxInteger else {
                        throw .error("dimension \(dim) is out of range (0 to \(IRParser.maxInteger))", at: token.location)
                    }
                    let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                    guard !overflow, product <= IRParser.maxElements else {
                        throw .error("shape has more than \(IRParser.maxElements) elements", at: token.location)
                    }
                    elements = product
                }
                shape.append(dim)
            } while try accept(",")
            try expect("]", "to close the shape")
        }
        return shape
    }

    /// An int or float literal, or nan / inf / -inf, as a double.
    mutating func parseNumber() throws(Diagnostic) -> Double {
        let token = try next()
        switch token.kind {
        case .int(let v): return Double(v)
        case .float(let v): return v
        case .word("nan"): return .nan
        case .word("inf"): return .infinity
        default: throw unexpected(token, "a number")
        }
    }

    mutating func parseAttributeValue() throws(Diagnostic) -> ArgValue {
        let token = try next()
        switch token.kind {
        case .int(let v): return .int(v)
        case .float(let v): return .float(v)
        case .word("true"): return .bool(true)
        case .word("false"): return .bool(false)
        case .word("None"): return .none
        case .word("nan"): return .float(.nan)
        case .word("inf"): return .float(.infinity)
        case .word(let word), .string(let word): return .string(word)
        case .punct("["):
            var items: [(int: Int?, float: Double)] = []
            if try !accept("]") {
                repeat {
                    if case .int(let v) = try peek().kind {
                        try next()
                        items.append((v, Double(v)))
                    } else {
                        items.append((nil, try parseNumber()))
                    }
                } while try accept(",")
                try expect("]", "to close the list")
            }
            let ints = items.compactMap(\.int)
            return ints.count == items.count ? .ints(ints) : .floats(items.map(\.float))
        default:
            throw unexpected(token, "an attribute value (number, true/false, None, word, string or list of numbers)")
        }
    }
}
