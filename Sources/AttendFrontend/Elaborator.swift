import AttendBasic
import AttendIR
import AttendSpec

/// Turns layer lists into graph nodes: resolves `from`, orders layers by their references
/// (reporting cycles), expands `repeat`, and calls ops and blocks.
struct Elaborator {
    var graph: Graph
    let library: BlockLibrary
    /// The model's top-level layers add no name to their parameters, so a single block
    /// called there has the names its PyTorch module's own state_dict has (`fc1.weight`,
    /// not `se.fc1.weight`).
    var unprefixedTopLevel = false

    /// Elaborates `layers` in `scope` and returns the outputs of the list's last layer.
    mutating func elaborate(_ layers: [LayerSpec], in scope: inout Scope) throws(Diagnostic) -> [ValueID] {
        let order = try executionOrder(layers, scope: scope)
        let plans = try plan(layers, scope: scope)
        var outputsByIndex: [Int: [ValueID]] = [:]
        for index in order {
            let layer = layers[index]
            let previous: [ValueID]? = index > 0 ? outputsByIndex[index - 1] : nil
            let inputs = try inputs(of: layer, at: index, previous: previous, scope: scope)
            let outputs = try call(layer, plan: plans[index], inputs: inputs, scope: &scope)
            outputsByIndex[index] = outputs
            if let name = layer.name?.text { scope.tensors[name] = outputs }
        }
        return outputsByIndex[layers.count - 1] ?? []
    }

    /// What one layer of a list does, decided before any layer runs.
    struct LayerPlan {
        /// false when `when:` switched the layer off.
        var enabled: Bool
        /// `repeat`'s count, nil for a single call.
        var copies: Int?
        /// The layer's position as `nn.Sequential` numbers its children, which names an
        /// unnamed layer (and, when it repeats, its first copy).
        var position: Int
    }

    /// Evaluates every layer's `when` and `repeat` and numbers the list as `nn.Sequential`
    /// would: an unnamed layer with `repeat: N` is spliced in (`nn.Sequential(stem,
    /// *blocks, head)`), so its copies take N positions and are named by them (`0`, `1`, ...,
    /// the ResNet stage's `layer1.0`); a named one is one child, itself a Sequential
    /// (`blocks.0`, `blocks.1`, ...). A switched-off layer is one position (`nn.Identity()`).
    private func plan(_ layers: [LayerSpec], scope: Scope) throws(Diagnostic) -> [LayerPlan] {
        var plans: [LayerPlan] = []
        var position = 0
        for layer in layers {
            var plan = LayerPlan(enabled: true, copies: nil, position: position)
            if let condition = layer.condition {
                plan.enabled = try Values.evaluate(condition, in: scope.env).isTruthy
            }
            if plan.enabled, let countScalar = layer.repeatCount {
                let count = try Values.wholeNumber(countScalar, in: scope.env, what: "repeat")
                guard count >= 1 else {
                    let written = Int(countScalar.text) == nil ? " ('\(countScalar.text)')" : ""
                    throw .error("repeat must be at least 1, got \(count)\(written)", at: countScalar.location)
                }
                guard count <= Limits.repeatCount else {
                    throw .error("repeat \(count) is more than the limit of \(Limits.repeatCount) copies", at: countScalar.location)
                }
                if let index = layer.repeatIndex, scope.env[index.text] != nil {
                    throw .error("index '\(index.text)' hides a name already in scope; pick another", at: index.location)
                }
                plan.copies = count
            }
            position += layer.name == nil ? (plan.copies ?? 1) : 1
            plans.append(plan)
        }
        return plans
    }

    // MARK: inputs and order

    private func inputs(of layer: LayerSpec, at index: Int, previous: [ValueID]?, scope: Scope) throws(Diagnostic) -> [ValueID] {
        guard let from = layer.from else {
            // Ops and blocks that take no input (a learned `parameter`, an embedding table)
            // are not fed the previous layer.
            if OpRegistry.op(named: layer.kind.text)?.arity == .exactly(0) { return [] }
            if let block = library.block(named: layer.kind.text), block.inputs.isEmpty { return [] }
            if let previous { return previous }
            return try onlyInput(scope, for: layer)
        }
        var result: [ValueID] = []
        for reference in from {
            if reference.text == "_" {
                if let previous { result += previous } else { result += try onlyInput(scope, for: layer) }
            } else {
                result += try scope.resolve(reference)
            }
        }
        return result
    }

    private func onlyInput(_ scope: Scope, for layer: LayerSpec) throws(Diagnostic) -> [ValueID] {
        guard scope.inputNames.count == 1, let values = scope.tensors[scope.inputNames[0]] else {
            throw .error("the first layer needs 'from:' when there are \(scope.inputNames.count) inputs", at: layer.location)
        }
        return values
    }

    /// Layers run after the layers they reference (a forward reference is allowed); `_` and
    /// a missing `from` reference the layer before. A cycle is an error naming its path.
    private func executionOrder(_ layers: [LayerSpec], scope: Scope) throws(Diagnostic) -> [Int] {
        var indexByName: [String: Int] = [:]
        for (index, layer) in layers.enumerated() {
            guard let name = layer.name else { continue }
            try checkName(name)
            if let earlier = indexByName[name.text] {
                throw .error("duplicate layer name '\(name.text)'", at: name.location,
                             notes: [.note("first defined here", at: layers[earlier].location)])
            }
            if scope.tensors[name.text] != nil {
                throw .error("layer name '\(name.text)' is already the name of an input", at: name.location)
            }
            indexByName[name.text] = index
        }
        func dependencies(_ index: Int) -> [Int] {
            let layer = layers[index]
            var result: [Int] = []
            for reference in layer.from ?? [SpecScalar(text: "_", location: layer.location)] {
                if reference.text == "_" {
                    if index > 0 { result.append(index - 1) }
                } else if let target = Self.layerIndex(of: reference.text, in: indexByName) {
                    result.append(target)
                }
            }
            return result
        }
        enum Mark { case visiting, done }
        var marks: [Int: Mark] = [:]
        var order: [Int] = []
        var stack: [Int] = []
        func visit(_ index: Int) throws(Diagnostic) {
            if marks[index] == .done { return }
            if marks[index] == .visiting {
                let cycle = (stack.drop(while: { $0 != index }) + [index]).map { layers[$0].name?.text ?? "#\($0)" }
                throw .error("cycle between layers: \(cycle.joined(separator: " -> "))", at: layers[index].location)
            }
            marks[index] = .visiting
            stack.append(index)
            for dependency in dependencies(index) { try visit(dependency) }
            stack.removeLast()
            marks[index] = .done
            order.append(index)
        }
        for index in layers.indices { try visit(index) }
        return order
    }

    /// `layer.3` → `layer`, `split.1` → `split`: the layer a dotted reference belongs to.
    static func baseName(_ reference: String) -> String? {
        guard let dot = reference.lastIndex(of: "."), Int(reference[reference.index(after: dot)...]) != nil else { return nil }
        return String(reference[..<dot])
    }

    /// The layer a reference names: itself, or with numeric suffixes dropped
    /// (`layers.-1.0` → `layers`, output 0 of its last copy).
    static func layerIndex(of reference: String, in indexByName: [String: Int]) -> Int? {
        var name: String? = reference
        while let candidate = name {
            if let index = indexByName[candidate] { return index }
            name = baseName(candidate)
        }
        return nil
    }

    private func checkName(_ name: SpecScalar) throws(Diagnostic) {
        let text = name.text
        guard !text.isEmpty, text != "_", !text.contains("."), !text.contains(where: { $0.isWhitespace }) else {
            throw .error("'\(text)' is not a valid layer name (names are non-empty, without '.', spaces, or '_' alone)", at: name.location)
        }
    }

    // MARK: calls

    /// Calls the layer's op or block, `repeat` times in a chain; registers `NAME.i` copies.
    private mutating func call(_ layer: LayerSpec, plan: LayerPlan, inputs: [ValueID], scope: inout Scope) throws(Diagnostic) -> [ValueID] {
        // Switched off, a layer is `x = f(x, ...)` not taken: its first input passes through.
        guard plan.enabled else {
            guard let first = inputs.first else {
                throw .error("a layer switched off by 'when' passes its first input through, but it has none", at: layer.condition?.location ?? layer.location)
            }
            return [first]
        }
        guard let count = plan.copies else {
            let path = unprefixedTopLevel && scope.callStack.isEmpty ? "" : scope.qualified(layer.name?.text ?? String(plan.position))
            return try invoke(layer, inputs: inputs, path: path, scope: scope)
        }
        var current = inputs
        for copy in 0..<count {
            let localName = layer.name.map { "\($0.text).\(copy)" } ?? String(plan.position + copy)
            var copyScope = scope
            if let index = layer.repeatIndex { copyScope.env[index.text] = .int(copy) }
            current = try invoke(layer, inputs: current, path: scope.qualified(localName), scope: copyScope)
            // `NAME.-1` is the last copy, as `layers[-1]` indexes an nn.Sequential, so output K
            // of the last copy of a multi-output layer is `NAME.-1.K` whatever the count.
            if let name = layer.name?.text {
                scope.tensors["\(name).\(copy)"] = current
                scope.tensors["\(name).\(copy - count)"] = current
            }
        }
        return current
    }

    private mutating func invoke(_ layer: LayerSpec, inputs: [ValueID], path: String, scope: Scope) throws(Diagnostic) -> [ValueID] {
        var kind = layer.kind.text
        var bound: [ModuleValue.Argument] = []
        // `op: attn_layer` where `attn_layer` is a block argument naming an op or block (timm's
        // `attn_layer='se'`), or one with arguments bound (`{op: global_context, fuse_add:
        // true}`, timm's functools.partial); None makes the layer an identity, like timm's
        // create_attn(None).
        if OpRegistry.op(named: kind) == nil, library.block(named: kind) == nil, let chosen = scope.env[kind] {
            switch chosen {
            case .string(let name): kind = name
            case .module(let module):
                kind = module.name
                bound = module.arguments
            case .none:
                guard let first = inputs.first else { throw .error("'\(kind)' is None, so the layer passes its first input through, but it has none", at: layer.kind.location) }
                return [first]
            default:
                throw .error("'\(kind)' is \(chosen), not the name of an op or block", at: layer.kind.location)
            }
        }
        if let forward = layer.forward {
            for argument in try forwarded(forward, to: kind, layer: layer, scope: scope) {
                bound.removeAll { $0.name == argument.name }
                bound.append(argument)
            }
        }
        if let op = OpRegistry.op(named: kind) {
            return try applyOp(op, layer: layer, bound: bound, inputs: inputs, path: path, scope: scope)
        }
        if let block = library.block(named: kind) {
            var calls = BlockCall(block: block, layer: layer, inputs: inputs, path: path, caller: scope, bound: bound)
            return try calls.run(&self)
        }
        let candidates = OpRegistry.names + library.blocks.keys.sorted()
        throw .error("unknown op or block '\(kind)'\(didYouMean(kind, in: candidates))", at: layer.kind.location)
    }

    /// `forward: all` passes every argument of the enclosing block (params at the top level)
    /// that `kind` takes and the layer does not set; `forward: [a, b]` passes those, each of
    /// which must be an enclosing argument that `kind` takes.
    private func forwarded(_ forward: LayerSpec.Forward, to kind: String, layer: LayerSpec, scope: Scope) throws(Diagnostic) -> [ModuleValue.Argument] {
        let accepted = BlockCall.argumentNames(of: kind, library: library) ?? []
        let explicit = Set(layer.arguments.map(\.key.text))
        var names: [String] = []
        switch forward {
        case .all:
            names = scope.argumentNames.filter { accepted.contains($0) && !explicit.contains($0) }
        case .names(let list):
            for name in list {
                guard scope.argumentNames.contains(name.text) else {
                    let what = scope.path.isEmpty ? "a param of the model" : "an argument of the enclosing block"
                    throw .error("forward: '\(name.text)' is not \(what)\(didYouMean(name.text, in: scope.argumentNames))", at: name.location)
                }
                guard accepted.contains(name.text) else {
                    throw .error("forward: '\(kind)' takes no argument '\(name.text)'\(didYouMean(name.text, in: accepted))", at: name.location)
                }
                guard !explicit.contains(name.text) else {
                    throw .error("forward: '\(name.text)' is also set on the layer; set it once", at: name.location)
                }
                names.append(name.text)
            }
        }
        return names.compactMap { name in scope.env[name].map { ModuleValue.Argument(name: name, value: $0) } }
    }

    private mutating func applyOp(_ op: any Op, layer: LayerSpec, bound: [ModuleValue.Argument], inputs: [ValueID], path: String,
                                  scope: Scope) throws(Diagnostic) -> [ValueID] {
        var given: [(name: String, value: ArgValue)] = []
        for argument in bound where !layer.arguments.contains(where: { $0.key.text == argument.name }) {
            guard op.arguments.contains(where: { $0.name == argument.name }), let value = Values.argValue(argument.value) else {
                throw .error("argument '\(argument.name)' of '\(op.name)': cannot take \(argument.value)", at: layer.location)
            }
            given.append((argument.name, value))
        }
        for entry in layer.arguments {
            guard let spec = op.arguments.first(where: { $0.name == entry.key.text }) else {
                let known = op.arguments.map(\.name) + LayerSpec.reservedKeys
                throw .error("unknown argument '\(entry.key.text)' for op '\(op.name)'\(didYouMean(entry.key.text, in: known))", at: entry.key.location)
            }
            do {
                given.append((spec.name, try Values.argument(entry.value, kind: spec.kind, in: scope.env)))
            } catch {
                var error = error
                error.message = "argument '\(spec.name)' of '\(op.name)': " + error.message
                throw error
            }
        }
        let attributes: Attributes
        do {
            attributes = try op.typeArguments(given)
        } catch {
            let node = layer.arguments.first { $0.key.text == error.argument }?.value
            throw error.diagnostic.located(at: node?.location ?? layer.location)
        }
        guard graph.nodes.count < Limits.graphNodes else {
            throw .error("the model grows past \(Limits.graphNodes) nodes (the limit) at layer '\(Limits.clipped(path))'", at: layer.location)
        }
        do {
            return try graph.apply(op, inputs: inputs, attributes: attributes, layer: path, location: layer.location)
        } catch {
            let shapes = inputs.map { formatShape(graph.shape(of: $0)) }.joined(separator: ", ")
            var diagnostic = error.located(at: layer.location)
            diagnostic.message = "layer '\(path)': \(diagnostic.message)"
            if !inputs.isEmpty { diagnostic.notes.append(.note("input shapes: \(shapes)", at: layer.location)) }
            throw diagnostic
        }
    }
}
