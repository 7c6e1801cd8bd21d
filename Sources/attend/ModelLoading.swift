import AttendBasic
import AttendFrontend
import AttendIR
import AttendSpec

/// Loads what a command names: a model file, or one block of a library file run on its
/// `example:` inputs.
enum ModelLoading {
    static func frontend() throws(Diagnostic) -> Frontend {
        try Frontend(libraryRoot: Frontend.defaultLibraryRoot())
    }

    static func graphs(_ options: ModelOptions) throws(Diagnostic) -> [AttendIR.Graph] {
        let frontend = try frontend()
        let file = try SpecParser.parse(path: options.model)
        if file.isModel {
            if options.block != nil { throw .error("--block is for block library files; this file is a model", at: .unknown(options.model)) }
            return [try frontend.compile(file, overrides: try options.overrides())]
        }
        if let block = options.block { return [try frontend.exampleGraph(block: block, in: file)] }
        let runnable = file.blocks.filter { $0.example != nil }
        guard !runnable.isEmpty else {
            throw .error("this file defines blocks but no model, and no block has an 'example:' to run on", at: file.location)
        }
        var graphs: [AttendIR.Graph] = []
        for block in runnable { graphs.append(try frontend.exampleGraph(block: block.name.text, in: file)) }
        return graphs
    }

    /// Exactly one graph: a model, or the block chosen by --block (or the file's only block).
    static func graph(_ options: ModelOptions) throws(Diagnostic) -> AttendIR.Graph {
        let all = try graphs(options)
        guard all.count == 1 else {
            throw .error("this library file has \(all.count) runnable blocks (\(all.map(\.name).joined(separator: ", "))); choose one with --block", at: .unknown(options.model))
        }
        return all[0]
    }

    /// Parameter values: the weights file when given (loaded strictly), else the seeded
    /// initializers; `run` and `export` share this so their numbers are comparable.
    static func parameters(for graph: AttendIR.Graph, weights: WeightOptions, seed: UInt64) throws(Diagnostic) -> [String: Tensor] {
        guard let path = weights.weights else {
            if !weights.weightsPrefix.isEmpty || !weights.strict {
                throw .error("--weights-prefix and --no-strict apply to a --weights file", at: .unknown("--weights"))
            }
            return try Weights.initialize(graph, seed: seed)
        }
        let (parameters, report) = try Weights.load(path: path, for: graph, mapping: try weights.mapping(), seed: seed)
        // What a non-strict load left out, as load_state_dict(strict=False) reports it.
        if !report.unexpected.isEmpty {
            Attend.note("weights: skipped \(report.unexpected.count) unexpected key\(report.unexpected.count == 1 ? "" : "s"): \(Limits.listed(report.unexpected))")
        }
        if !report.missing.isEmpty {
            Attend.note("weights: \(report.missing.count) parameter\(report.missing.count == 1 ? "" : "s") not in the file keep their seeded initial values: \(Limits.listed(report.missing))")
        }
        return parameters
    }

    /// Writes the state_dict entries of `parameters` (what `--weights` reads back).
    static func saveWeights(_ parameters: [String: Tensor], of graph: AttendIR.Graph, to path: String) throws(Diagnostic) {
        try SafetensorsFile.write(graph.loadedParameters.compactMap { p in parameters[p.name].map { (p.name, $0) } }, to: path)
    }
}
