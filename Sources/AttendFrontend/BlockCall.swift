import AttendBasic
import AttendIR
import AttendSpec

/// One call of a user block: binds arguments, matches input shape patterns (binding shape
/// symbols), evaluates `let`s, and elaborates the block's layers under the caller's layer path.
struct BlockCall {
    let block: BlockSpec
    let layer: LayerSpec
    let inputs: [ValueID]
    let path: String
    let caller: Scope
    /// Arguments already evaluated: a module value's bound ones and `forward:`ed ones, under
    /// the layer's own.
    var bound: [ModuleValue.Argument] = []

    mutating func run(_ elaborator: inout Elaborator) throws(Diagnostic) -> [ValueID] {
        let name = block.name.text
        if let cycle = caller.callStack.firstIndex(where: { $0.block == name }) {
            let chain = caller.callStack[cycle...].map(\.block) + [name]
            throw .error("block '\(name)' calls itself: \(chain.joined(separator: " -> "))", at: layer.kind.location)
        }
        guard inputs.count == block.inputs.count else {
            let expected = block.inputs.map(\.name.text).joined(separator: ", ")
            throw .error("block '\(name)' takes \(block.inputs.count) input\(block.inputs.count == 1 ? "" : "s") (\(expected)), got \(inputs.count)", at: layer.location)
        }
        var env: [String: ExprValue] = [:]
        try bindShapes(into: &env, graph: elaborator.graph)
        try bindArguments(into: &env, library: elaborator.library)
        for entry in block.lets {
            do {
                env[entry.key.text] = try Values.evaluate(entry.value, in: env)
            } catch {
                throw withCallNote(error)
            }
        }
        try checkRequirements(env)
        var scope = Scope(env: env, path: path, argumentNames: block.arguments.map(\.key.text),
                          callStack: caller.callStack + [(name, layer.location)])
        for (spec, value) in zip(block.inputs, inputs) {
            scope.tensors[spec.name.text] = [value]
            scope.inputNames.append(spec.name.text)
        }
        do {
            let last = try elaborator.elaborate(block.layers, in: &scope)
            guard let outputs = block.outputs else { return last }
            var result: [ValueID] = []
            for reference in outputs { result += try scope.resolve(reference) }
            return result
        } catch {
            throw withCallNote(error)
        }
    }

    /// The block's `require:` conditions, as the PyTorch module's asserts: a false one is an
    /// error at the call site quoting the module's message, the condition and the values of
    /// the names it reads; a note points at the requirement.
    private func checkRequirements(_ env: [String: ExprValue]) throws(Diagnostic) {
        for requirement in block.requirements {
            let condition = requirement.key
            let holds: Bool
            do {
                holds = try Values.evaluate(condition, in: env).isTruthy
            } catch {
                throw withCallNote(error)
            }
            guard !holds else { continue }
            let message = requirement.value.scalar?.text ?? ""
            var names: [String] = []
            var word = ""
            for character in condition.text + " " {
                if character.isLetter || character.isNumber || character == "_" { word.append(character); continue }
                if let first = word.first, !first.isNumber, let value = env[word], !names.contains(where: { $0.hasPrefix(word + " = ") }) {
                    names.append("\(word) = \(value)")
                }
                word = ""
            }
            let values = names.isEmpty ? "" : "; " + names.joined(separator: ", ")
            throw .error("block '\(block.name.text)' called as '\(path)': \(message) (requires \(condition.text)\(values))", at: layer.location,
                         notes: [.note("the requirement is declared here", at: condition.location)])
        }
    }

    /// Errors inside a block point at the block's own line; a note names the call site.
    private func withCallNote(_ error: Diagnostic) -> Diagnostic {
        var error = error
        error.notes.append(.note("in block '\(block.name.text)' called as '\(path)' here", at: layer.location))
        return error
    }

    /// Matches each input's shape against the block's pattern: ints must be equal, names
    /// bind shape symbols (and must agree where repeated), `_` matches anything.
    private func bindShapes(into env: inout [String: ExprValue], graph: Graph) throws(Diagnostic) {
        var origin: [String: String] = [:]
        for (spec, value) in zip(block.inputs, inputs) {
            let actual = graph.shape(of: value)
            let pattern = "[" + spec.dims.map(\.text).joined(separator: ", ") + "]"
            func mismatch(_ why: String) -> Diagnostic {
                .error("block '\(block.name.text)' expects \(spec.name.text): \(pattern), got \(formatShape(actual))\(why)", at: layer.location,
                       notes: [.note("the block's input is declared here", at: spec.location)])
            }
            guard actual.count == spec.dims.count else {
                throw mismatch(" (rank \(actual.count), expected \(spec.dims.count))")
            }
            for (dim, size) in zip(spec.dims, actual) {
                let text = dim.text
                if text == "_" || text == "*" { continue }
                if let literal = Int(text) {
                    if literal != size { throw mismatch("") }
                } else if SpecParser.isIdentifier(text) {
                    if case .int(let bound)? = env[text] {
                        if bound != size { throw mismatch(" (\(text) is \(bound) from \(origin[text] ?? "an earlier input"))") }
                    } else {
                        env[text] = .int(size)
                        origin[text] = spec.name.text
                    }
                } else {
                    let expected = try Values.wholeNumber(dim, in: env, what: "a dimension")
                    if expected != size { throw mismatch(" (\(text) = \(expected))") }
                }
            }
        }
    }

    /// Call-site arguments (evaluated in the caller's scope) over the block's defaults
    /// (evaluated in the block's scope, after shape symbols, so a default may read `C`).
    private func bindArguments(into env: inout [String: ExprValue], library elaboratorLibrary: BlockLibrary) throws(Diagnostic) {
        let known = block.arguments.map(\.key.text)
        for argument in bound { env[argument.name] = argument.value }
        for entry in layer.arguments {
            guard known.contains(entry.key.text) else {
                let list = known.isEmpty ? "it takes no arguments" : "known: \(known.joined(separator: ", "))"
                throw .error("unknown argument '\(entry.key.text)' for block '\(block.name.text)'\(didYouMean(entry.key.text, in: known)); \(list)", at: entry.key.location)
            }
            env[entry.key.text] = try Self.argument(entry.value, in: caller.env, library: elaboratorLibrary)
        }
        let given = Set(layer.arguments.map(\.key.text) + bound.map(\.name))
        for entry in block.arguments where !given.contains(entry.key.text) {
            do {
                env[entry.key.text] = try Self.argument(entry.value, in: env, library: elaboratorLibrary)
            } catch {
                throw withCallNote(error)
            }
        }
    }

    /// A block argument's value. A plain word naming an op or block (and not a name in scope)
    /// is that name, so a block can take a module as an argument: `attn_layer: eca`. A
    /// mapping with `op:` (or `block:`) is that module with arguments bound, as
    /// `functools.partial(GlobalContext, fuse_add=True)`: `{op: global_context, fuse_add: true}`.
    static func argument(_ node: SpecNode, in env: [String: ExprValue], library: BlockLibrary) throws(Diagnostic) -> ExprValue {
        if let word = node.scalar, !word.isQuoted, env[word.text] == nil,
           OpRegistry.op(named: word.text) != nil || library.block(named: word.text) != nil {
            return .string(word.text)
        }
        if case .mapping(let entries, let location) = node {
            return .module(try module(entries, at: location, in: env, library: library))
        }
        return try Values.evaluate(node, in: env)
    }

    /// `{op: NAME, ARG: VALUE, ...}` as a module value. NAME may also be a name in scope that
    /// holds a module (whose bound arguments come first); every ARG must be one the op or
    /// block takes.
    private static func module(_ entries: [SpecEntry], at location: SourceLocation, in env: [String: ExprValue],
                               library: BlockLibrary) throws(Diagnostic) -> ModuleValue {
        let keys = entries.filter { $0.key.text == "op" || $0.key.text == "block" }
        guard keys.count == 1, let key = keys.first, let name = key.value.scalar else {
            throw .error("a module argument is a mapping with one 'op:' (or 'block:') naming an op or block, then its arguments", at: location)
        }
        var module = ModuleValue(name: name.text, arguments: [])
        if OpRegistry.op(named: name.text) == nil, library.block(named: name.text) == nil {
            switch env[name.text] {
            case .string(let chosen)?: module.name = chosen
            case .module(let chosen)?: module = chosen
            default:
                let candidates = OpRegistry.names + library.blocks.keys.sorted()
                throw .error("unknown op or block '\(name.text)'\(didYouMean(name.text, in: candidates))", at: name.location)
            }
        }
        let known = argumentNames(of: module.name, library: library) ?? []
        for entry in entries where entry.key.text != key.key.text {
            guard known.contains(entry.key.text) else {
                throw .error("unknown argument '\(entry.key.text)' for '\(module.name)'\(didYouMean(entry.key.text, in: known))", at: entry.key.location)
            }
            var value: ExprValue
            // An op's word arguments are taken as written, as on a layer (`approximate: tanh`).
            if let kind = OpRegistry.op(named: module.name)?.arguments.first(where: { $0.name == entry.key.text })?.kind,
               case .choice = kind, case .string(let word) = try Values.argument(entry.value, kind: kind, in: env) {
                value = .string(word)
            } else {
                value = try argument(entry.value, in: env, library: library)
            }
            module.arguments.removeAll { $0.name == entry.key.text }
            module.arguments.append(.init(name: entry.key.text, value: value))
        }
        return module
    }

    /// The argument names of an op or block, nil for neither.
    static func argumentNames(of kind: String, library: BlockLibrary) -> [String]? {
        if let op = OpRegistry.op(named: kind) { return op.arguments.map(\.name) }
        return library.block(named: kind)?.arguments.map(\.key.text)
    }
}
