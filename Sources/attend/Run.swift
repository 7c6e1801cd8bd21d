import ArgumentParser
import AttendBasic
import AttendCodegen
import AttendIR
import AttendInterpreter
import Foundation

/// `attend run`: executes a model on given or seeded-random weights and inputs.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a model; write or summarize its outputs.")

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case interpreter, c
    }

    @OptionGroup var options: ModelOptions

    @OptionGroup var targetOptions: TargetOptions

    @OptionGroup var optimizer: OptimizerOptions

    @OptionGroup var weights: WeightOptions

    @Option(help: "An input tensor as .npy: NAME=PATH, or PATH for a model with one input (repeatable).")
    var input: [String] = []

    @Option(help: "Where to write an output as .npy: NAME=PATH, or PATH for the first output (repeatable).")
    var output: [String] = []

    @Option(help: "Execution backend: c (generated C, built and cached) or interpreter (the reference).")
    var backend: Backend = .c

    @Option(help: "Worker threads (backends that support them).")
    var threads: Int = 1

    @Option(help: "Seed for random weights and inputs.")
    var seed: UInt64 = 0

    @Option(help: "Also write the weights used (e.g. the seeded ones) as safetensors, to run a compiled model on them.")
    var saveWeights: String?

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            try Attend.checkThreads(threads)
            let report = progress.reporter
            let graph = try report.step({ () throws(Diagnostic) in try ModelLoading.graph(options) }) {
                Progress.elaborated(options.model, $0)
            }
            let parameters = try report.step({ () throws(Diagnostic) in try ModelLoading.parameters(for: graph, weights: weights, seed: seed) }) {
                weights.weights == nil ? "initialized \($0.count) seeded tensors" : "loaded \($0.count) tensors from \(weights.weights ?? "")"
            }
            if let saveWeights { try ModelLoading.saveWeights(parameters, of: graph, to: saveWeights) }
            let inputs = try TensorArguments.inputs(input, for: graph, seed: seed)
            var optimized = graph
            try report.step({ () throws(Diagnostic) in try optimizer.optimize(&optimized) }) { "optimized to \(optimized.nodes.count) ops" }
            let outputs = backend == .c
                ? try CBackend.run(optimized, parameters: parameters, weightsFile: weights.rawFile, inputs: inputs, threads: threads,
                                   target: targetOptions.resolved(), progress: report)
                : try report.step({ () throws(Diagnostic) in try Interpreter(graph: optimized).run(parameters: parameters, inputs: inputs) }) { _ in
                    "ran the interpreter"
                }
            let destinations = try TensorArguments.outputPaths(output, for: graph)
            for (name, tensor) in outputs {
                if let path = destinations[name] {
                    try NPY.write(tensor, to: path)
                    Attend.show("\(name): \(formatShape(tensor.shape)) -> \(path)")
                } else {
                    Attend.show(TensorArguments.describe(name: name, tensor))
                }
            }
        }
    }
}

/// Parsing `--input` and `--output` flags and printing tensors.
enum TensorArguments {
    static func split(_ argument: String) -> (name: String?, path: String) {
        // NAME=PATH; a path that itself contains '=' after a '/' is taken whole.
        if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/") {
            return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
        }
        return (nil, argument)
    }

    static func inputs(_ arguments: [String], for graph: AttendIR.Graph, seed: UInt64) throws(Diagnostic) -> [String: Tensor] {
        var result = try Weights.randomInputs(graph, seed: seed)
        let names = graph.inputs.map(\.name)
        for argument in arguments {
            var (name, path) = split(argument)
            if name == nil {
                guard names.count == 1 else {
                    throw .error("the model has \(names.count) inputs (\(names.joined(separator: ", "))); use --input NAME=PATH", at: .unknown("--input"))
                }
                name = names[0]
            }
            guard let name, let id = graph.inputs.first(where: { $0.name == name })?.value else {
                throw .error("--input: the model has no input '\(name ?? "")'\(didYouMean(name ?? "", in: names))", at: .unknown("--input"))
            }
            let tensor = try NPY.read(path: path)
            guard tensor.shape == graph.shape(of: id) else {
                // The compiled executable's words (the runtime's .npy reader), for both backends.
                throw .error("array has shape \(formatShape(tensor.shape)), expected \(formatShape(graph.shape(of: id)))", at: .unknown(path))
            }
            result[name] = tensor
        }
        return result
    }

    static func outputPaths(_ arguments: [String], for graph: AttendIR.Graph) throws(Diagnostic) -> [String: String] {
        var result: [String: String] = [:]
        let names = graph.outputs.map(\.name)
        for argument in arguments {
            let (name, path) = split(argument)
            let chosen = name ?? names[0]
            guard names.contains(chosen) else {
                throw .error("--output: the model has no output '\(chosen)'\(didYouMean(chosen, in: names))", at: .unknown("--output"))
            }
            result[chosen] = path
        }
        return result
    }

    static func describe(name: String, _ tensor: Tensor) -> String {
        let data = tensor.data
        let mean = data.isEmpty ? 0 : data.reduce(0.0) { $0 + Double($1) } / Double(data.count)
        let head = data.prefix(6).map { String(format: "%.6g", Double($0)) }.joined(separator: ", ")
        return "\(name): \(formatShape(tensor.shape)) mean \(String(format: "%.6g", mean)) min \(String(format: "%.6g", Double(data.min() ?? 0))) max \(String(format: "%.6g", Double(data.max() ?? 0))) [\(head)\(data.count > 6 ? ", ..." : "")]"
    }
}
