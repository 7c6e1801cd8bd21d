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
}
