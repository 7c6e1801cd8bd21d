import ArgumentParser
import AttendBasic
import AttendExport
import Foundation

/// `attend export`: the model's graph (as elaborated, before optimization) and its weights
/// as a standard ONNX file.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a model and its weights as an ONNX file.")

    enum Format: String, ExpressibleByArgument { case onnx }

    @OptionGroup var options: ModelOptions

    @Option(help: "Output format: onnx.")
    var format: Format = .onnx

    @Option(name: .shortAndLong, help: "The file to write.")
    var output: String

    @OptionGroup var weights: WeightOptions

    @Option(help: "Seed for random weights, as `attend run --seed`.")
    var seed: UInt64 = 0

    @Option(help: "Also write the weights used (e.g. the seeded ones) as safetensors, to run a compiled model on the same ones.")
    var saveWeights: String?

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            // The unoptimized graph: every loaded parameter is a state_dict entry; derived ones
            // (spectral norm) are exported as the nodes computing them.
            let graph = try ModelLoading.graph(options)
            let parameters = try ModelLoading.parameters(for: graph, weights: weights, seed: seed)
            if let saveWeights { try ModelLoading.saveWeights(parameters, of: graph, to: saveWeights) }
            let bytes = try ONNXExport.serialize(graph, parameters: parameters)
            guard FileManager.default.createFile(atPath: output, contents: bytes) else {
                throw .error("cannot write the ONNX file", at: .unknown(output))
            }
            print("wrote \(output) (ONNX opset \(ONNXExport.opsetVersion), \(graph.nodes.count) ops, \(bytes.count) bytes)")
        }
    }
}
