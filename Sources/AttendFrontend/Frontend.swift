import AttendBasic
import AttendIR
import AttendSpec
import Foundation

/// The frontend's entry point: a spec file (plus `--set` overrides) in, a shape-checked
/// IR graph out, with parameters named as PyTorch names them.
public struct Frontend: Sendable {
    public let standardLibrary: BlockLibrary

    /// `libraryRoot` is the standard block library folder (`Models/library`); nil for none.
    public init(libraryRoot: String?) throws(Diagnostic) {
        standardLibrary = try libraryRoot.map { root throws(Diagnostic) in try BlockLibrary.standard(root: root) } ?? BlockLibrary()
    }

    /// The standard library: `$ATTEND_LIBRARY`, else `Models/library` next to the build.
    public static func defaultLibraryRoot() -> String? {
        locateBundledFolder("Models/library", marker: "common", environmentVariable: "ATTEND_LIBRARY")
    }

    /// A model: parses the file, binds params (with overrides like `width=32`) and elaborates.
    public func compile(path: String, overrides: [String: String] = [:]) throws(Diagnostic) -> Graph {
        let file = try SpecParser.parse(path: path)
        return try compile(file, overrides: overrides)
    }

    public func compile(_ file: SpecFile, overrides: [String: String] = [:]) throws(Diagnostic) -> Graph {
        try compile(file, overrides: overrides, unprefixed: false)
    }

    private func compile(_ file: SpecFile, overrides: [String: String], unprefixed: Bool) throws(Diagnostic) -> Graph {
        guard file.isModel else {
            throw .error("this file defines blocks but no model (no inputs or layers)", at: file.location)
        }
        let library = try standardLibrary.adding(file: file)
        let env = try parameters(file, library: library, overrides: overrides)
        var elaborator = Elaborator(graph: Graph(name: modelName(file)), library: library, unprefixedTopLevel: unprefixed)
        var scope = Scope(env: env, path: "", argumentNames: file.params.map(\.key.text))
        for input in file.inputs {
            var shape: [Int] = []
            guard input.dims.count <= Limits.modelRank else {
                throw .error("input '\(Limits.clipped(input.name.text))' has \(input.dims.count) dimensions; model inputs have at most \(Limits.modelRank)", at: input.location)
            }
            for dim in input.dims {
                let size = try Values.wholeNumber(dim, in: env, what: "a dimension of input '\(input.name.text)'")
                guard size >= 1 else { throw .error("dimensions must be at least 1, got \(size)", at: dim.location) }
                shape.append(size)
            }
            do { try ShapeRules.checkSize(shape, "input '\(input.name.text)'") } catch { throw error.located(at: input.location) }
            if scope.tensors[input.name.text] != nil { throw .error("duplicate input '\(input.name.text)'", at: input.name.location) }
            scope.tensors[input.name.text] = [elaborator.graph.addInput(name: input.name.text, shape: shape)]
            scope.inputNames.append(input.name.text)
        }
        let last = try elaborator.elaborate(file.layers, in: &scope)
        try bindOutputs(file, last: last, scope: scope, graph: &elaborator.graph)
        // The C runtime's model descriptor holds at most `modelRank` dimensions per input and
        // output; refusing here keeps both backends accepting the same models.
        for (name, value) in elaborator.graph.outputs where elaborator.graph.shape(of: value).count > Limits.modelRank {
            let rank = elaborator.graph.shape(of: value).count
            let at = file.outputs?.first { name.hasPrefix($0.text) }?.location ?? file.layers.last?.location ?? file.location
            throw .error("output '\(Limits.clipped(name))' has \(rank) dimensions; model outputs have at most \(Limits.modelRank)", at: at)
        }
        return elaborator.graph
    }

    /// A one-layer model that calls `block` on its `example:` inputs, so a library file can be
    /// checked and run by itself. Its parameters are named as the PyTorch module's own
    /// state_dict names them (`fc1.weight` for timm's SEModule), so that module's weights load
    /// unchanged.
    public func exampleGraph(block name: String, in file: SpecFile) throws(Diagnostic) -> Graph {
        let library = try standardLibrary.adding(file: file)
        guard let block = library.block(named: name) else {
            throw .error("no block '\(name)'\(didYouMean(name, in: library.blocks.keys))", at: file.location)
        }
        guard let example = block.example else {
            throw .error("block '\(name)' has no 'example:' inputs to run on", at: block.location)
        }
        var model = SpecFile(path: file.path, imports: [], params: [], inputs: example, layers: [], blocks: [], location: block.location)
        model.name = SpecScalar(text: name, location: block.location)
        model.layers = [LayerSpec(name: block.name, kind: block.name, from: example.map(\.name), arguments: [], location: block.location)]
        return try compile(model, overrides: [:], unprefixed: true).renamed(name)
    }

    private func modelName(_ file: SpecFile) -> String {
        file.name?.text ?? URL(fileURLWithPath: file.path).deletingPathExtension().lastPathComponent
    }

    /// Model params in file order (each may read earlier ones); overrides replace a param's
    /// expression before later params read it.
    /// A param may name a module or bind its arguments (`attn: {op: global_context, fuse_add:
    /// true}`), as a block argument may.
    private func parameters(_ file: SpecFile, library: BlockLibrary, overrides: [String: String]) throws(Diagnostic) -> [String: ExprValue] {
        let known = file.params.map(\.key.text)
        for name in overrides.keys.sorted() where !known.contains(name) {
            let list = known.isEmpty ? "the model has no params" : "known: \(known.joined(separator: ", "))"
            throw .error("--set \(name): unknown param '\(name)'\(didYouMean(name, in: known)); \(list)", at: .unknown("--set"))
        }
        var env: [String: ExprValue] = [:]
        for entry in file.params {
            if let text = overrides[entry.key.text] {
                let scalar = SpecScalar(text: text, location: SourceLocation(file: "--set \(entry.key.text)=\(text)", line: 0, column: 0))
                env[entry.key.text] = try BlockCall.argument(.scalar(scalar), in: env, library: library)
            } else {
                env[entry.key.text] = try BlockCall.argument(entry.value, in: env, library: library)
            }
        }
        return env
    }

    private func bindOutputs(_ file: SpecFile, last: [ValueID], scope: Scope, graph: inout Graph) throws(Diagnostic) {
        guard let outputs = file.outputs else {
            let lastLayer = file.layers[file.layers.count - 1]
            let name = lastLayer.name?.text ?? "output"
            graph.outputs = last.count == 1 ? [(name, last[0])] : last.enumerated().map { ("\(name).\($0.offset)", $0.element) }
            try Self.checkOutputLayouts(graph, at: lastLayer.location)
            return
        }
        var seen: Set<String> = []
        for reference in outputs {
            guard seen.insert(reference.text).inserted else {
                throw .error("output '\(reference.text)' is listed twice", at: reference.location)
            }
            let values = try scope.resolve(reference)
            if values.count == 1 {
                graph.outputs.append((reference.text, values[0]))
            } else {
                for (k, value) in values.enumerated() { graph.outputs.append(("\(reference.text).\(k)", value)) }
            }
            try Self.checkOutputLayouts(graph, at: reference.location)
        }
    }

    /// A model's outputs are the caller's row-major buffers: a value `reorder`ed to another
    /// layout must be reordered back before it is one.
    private static func checkOutputLayouts(_ graph: Graph, at location: SourceLocation) throws(Diagnostic) {
        for (name, value) in graph.outputs where graph.layout(of: value) != .rowMajor {
            throw .error("output '\(name)' is stored as \(graph.layout(of: value)); model outputs are row-major: reorder it to nchw", at: location)
        }
    }
}

extension Graph {
    func renamed(_ name: String) -> Graph {
        var copy = self
        copy.name = name
        return copy
    }
}
