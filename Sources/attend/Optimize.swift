import ArgumentParser
import AttendBasic
import AttendIR
import AttendOptimizer
import Foundation

/// Optimizer options every command that compiles shares: the pipeline (`-O` level or
/// `--passes`) and the pass manager's instrumentation.
struct OptimizerOptions: ParsableArguments {
    @Option(name: .customShort("O", allowingJoined: true),
            help: "Optimization level: 0 (no passes), 2 (default pipeline) or 3 (also reschedules for memory).")
    var level: Int?

    @Option(help: "Run exactly these passes, comma-separated (see `attend opt --list`), instead of a level's pipeline.")
    var passes: String?

    @Flag(help: "Verify the graph after every pass.")
    var verifyEach = false

    @Flag(help: "Print the graph after every pass (to stderr).")
    var printAfterAll = false

    @Option(help: "Print the graph after the named pass (repeatable).")
    var printAfter: [String] = []

    @Flag(help: "Print the time each pass takes (to stderr).")
    var timePasses = false

    /// Whether the user asked for any optimization explicitly.
    var isGiven: Bool { level != nil || passes != nil }

    func passOptions(defaultLevel: OptimizationLevel) throws(Diagnostic) -> PassOptions {
        var chosen = defaultLevel
        if let level {
            guard let parsed = OptimizationLevel(rawValue: level) else {
                throw .error("-O must be 0, 2 or 3, got \(level)", at: .unknown("-O"))
            }
            chosen = parsed
        }
        let names = passes.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        return PassOptions(passes: names, level: chosen, verifyEach: verifyEach, printAfterAll: printAfterAll,
                           printAfter: Set(printAfter), timePasses: timePasses)
    }

    /// Runs the chosen pipeline on `graph` (`defaultLevel` when no -O or --passes is given).
    func optimize(_ graph: inout AttendIR.Graph, defaultLevel: OptimizationLevel = .o2) throws(Diagnostic) {
        let manager = PassManager(options: try passOptions(defaultLevel: defaultLevel))
        try manager.run(&graph)
    }
}

/// `attend opt`: runs passes over a graph in the textual IR, as `mlir-opt` does.
struct Opt: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run optimizer passes on a textual IR file or a model file; print the result.")

    @Argument(help: "A graph in the textual IR (`attend graph` prints one), - for stdin, or a model file (.yaml, .yml).")
    var file: String?

    @Option(name: .customLong("set"), help: "For a model file: override a model param, --set width=32 (repeatable).")
    var settings: [String] = []

    @Option(help: "For a block library file: the block to use (on its `example:` inputs).")
    var block: String?

    @OptionGroup var optimizer: OptimizerOptions

    @Flag(help: "List the passes and the levels' pipelines.")
    var list = false

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            if list {
                for pass in PassRegistry.standard.passes { print("\(pass.name): \(pass.summary)") }
                for level in OptimizationLevel.allCases { print("-O\(level.rawValue): \(level.pipeline.joined(separator: ","))") }
                return
            }
            guard let file else { throw .error("give an IR file (or - for stdin), a model file, or --list", at: .unknown("attend opt")) }
            // A model file is elaborated first, as `attend graph` would print it.
            if file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
                var options = ModelOptions()
                options.model = file
                options.settings = settings
                options.block = block
                var graph = try ModelLoading.graph(options)
                try optimizer.optimize(&graph)
                print(graph.text, terminator: "")
                return
            }
            guard settings.isEmpty, block == nil else {
                throw .error("--set and --block apply to a model file, not IR text", at: .unknown(file))
            }
            let text: String
            if file == "-" {
                // Read in pieces, stopping past the limit (stdin may be /dev/zero or a pipe that never ends).
                var bytes: [UInt8] = []
                while let piece = try? FileHandle.standardInput.read(upToCount: 1 << 16), !piece.isEmpty {
                    bytes += piece
                    guard bytes.count <= Limits.sourceFileBytes else {
                        throw .error("the input is too large (more than \(Limits.sourceFileBytes) bytes)", at: .unknown("<stdin>"))
                    }
                }
                text = try SourceText.decode(bytes, file: "<stdin>")
            } else {
                text = try SourceText.read(path: file)
            }
            var graph = try IRParser.parse(text, file: file == "-" ? "<stdin>" : file)
            try optimizer.optimize(&graph)
            print(graph.text, terminator: "")
        }
    }
}
