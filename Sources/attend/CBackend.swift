import AttendBasic
import AttendCodegen
import AttendIR
import Foundation

/// `attend run --backend c`: generate, build (cached), and run the executable on files.
enum CBackend {
    static func run(_ graph: AttendIR.Graph, parameters: [String: Tensor], weightsFile: String?,
                    inputs: [String: Tensor], threads: Int, target: Target, progress: Progress = Progress(enabled: false)) throws(Diagnostic) -> [(name: String, tensor: Tensor)] {
        try execute(graph, parameters: parameters, weightsFile: weightsFile, inputs: inputs, extra: ["--threads", String(threads)],
                    target: target, progress: progress).outputs
    }

    /// The executable's own `--bench` line.
    /// The latency line of `runs` timed runs; with `profile`, each kernel's median after it.
    static func bench(_ graph: AttendIR.Graph, parameters: [String: Tensor], inputs: [String: Tensor],
                      runs: Int, threads: Int, profile: Bool = false, target: Target) throws(Diagnostic) -> String {
        let result = try execute(graph, parameters: parameters, weightsFile: nil, inputs: inputs,
                                 extra: ["--threads", String(threads), "--bench", String(runs)] + (profile ? ["--profile"] : []), target: target)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        guard let latency = lines.firstIndex(where: { $0.hasPrefix("latency") }) else { return result.stdout }
        // The kernel table follows the latency line; output summaries come after it.
        let table = profile ? lines[(latency + 1)...].prefix { $0.hasPrefix("kernels:") || $0.hasPrefix("  k") } : []
        return ([lines[latency]] + table).joined(separator: "\n")
    }

    private static func execute(_ graph: AttendIR.Graph, parameters: [String: Tensor], weightsFile: String?,
                                inputs: [String: Tensor], extra: [String], target: Target,
                                progress: Progress = Progress(enabled: false)) throws(Diagnostic) -> (outputs: [(name: String, tensor: Tensor)], stdout: String) {
        let program = try progress.step({ () throws(Diagnostic) in try CGenerator.generate(graph, target: target) }) {
            "generated C for '\(graph.name)': \($0.kernelCount) kernels, \($0.source.utf8.count / 1024) KiB"
        }
        progress.starting("building '\(graph.name)' with the C compiler (a cached build is reused)")
        let executable = try progress.step({ () throws(Diagnostic) in try CompiledModelCache.executable(for: program, build: try CBuild(target: target)) }) { _ in
            "executable ready"
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("attend-run-\(UUID().uuidString)").path
        do { try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true) } catch {
            throw .error("cannot create a temporary folder", at: .unknown(scratch))
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var arguments = extra
        if !graph.parameters.isEmpty {
            // The user's file as given, else the seeded weights the interpreter would use.
            let path = weightsFile ?? scratch + "/weights.safetensors"
            if weightsFile == nil {
                try SafetensorsFile.write(graph.loadedParameters.compactMap { p in parameters[p.name].map { (p.name, $0) } }, to: path)
            }
            arguments += ["--weights", path]
        }
        for (k, input) in graph.inputs.enumerated() {
            guard let tensor = inputs[input.name] else { throw .error("no value for input '\(input.name)'") }
            let path = scratch + "/input\(k).npy"
            try NPY.write(tensor, to: path)
            arguments += ["--input", "\(input.name)=\(path)"]
        }
        for (k, output) in graph.outputs.enumerated() { arguments += ["--output", "\(output.name)=\(scratch)/output\(k).npy"] }
        let result = try progress.step({ () throws(Diagnostic) in try Subprocess.run(executable, arguments) }) { _ in "ran the generated C" }
        guard result.status == 0 else {
            // The executable's own one-line error (`NAME: error: REASON`) carries the reason; it is
            // reported as the executable itself prints it, without the cache path.
            let line = result.stderr.split(separator: "\n").first.map(String.init) ?? "exit status \(result.status)"
            let reason = line.range(of: ": error: ").map { String(line[$0.upperBound...]) } ?? line
            throw .error(reason, at: .unknown(weightsFile ?? graph.name))
        }
        var outputs: [(name: String, tensor: Tensor)] = []
        for (k, output) in graph.outputs.enumerated() {
            outputs.append((output.name, try NPY.read(path: "\(scratch)/output\(k).npy")))
        }
        return (outputs, result.stdout)
    }
}
