import AttendBasic
import AttendCodegen
import AttendInterpreter
import AttendIR
import Foundation
import Testing

/// End to end through the C backend: generate a graph's C, build it with the bundled
/// runtime (warnings are errors), run the executable on files, and compare with the
/// interpreter, the oracle.
enum CBackendHarness {
    /// Flags for tests: fast to compile, and no warning tolerated in generated or runtime code.
    static let flags = ["-O1"] + CBuild.languageFlags + ["-Wall", "-Wextra", "-Werror"]

    /// The runtime compiled once per test process for each set of flags.
    nonisolated(unsafe) private static var runtimes: [[String]: Result<String, Diagnostic>] = [:]
    private static let lock = NSLock()

    static func runtime(flags: [String], compiler: String? = nil) throws(Diagnostic) -> String {
        lock.lock()
        defer { lock.unlock() }
        let key = flags + [compiler ?? ""]
        if let built = runtimes[key] { return try built.get() }
        let directory = folder()
        let result: Result<String, Diagnostic>
        do throws(Diagnostic) {
            var build = try CBuild(target: .portable)
            build.flags = flags
            if let compiler { build.compiler = compiler }
            try? FileManager.default.createDirectory(atPath: directory + "/" + CBuild.runtimeFolder, withIntermediateDirectories: true)
            for (name, data) in build.runtime {
                _ = FileManager.default.createFile(atPath: directory + "/" + CBuild.runtimeFolder + "/" + name, contents: data)
            }
            result = .success(try build.buildRuntime(in: directory))
        } catch {
            result = .failure(error)
        }
        runtimes[key] = result
        return try result.get()
    }

    static func folder() -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-c-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Builds and runs `graph` in C on these parameters and inputs; returns outputs by name.
    static func run(_ graph: Graph, parameters: [String: Tensor], inputs: [String: Tensor],
                    flags: [String] = flags, compiler: String? = nil, threads: Int = 2, target: Target = .portable,
                    strategies: [any KernelStrategy]? = nil, sharingFunctions: Bool = true, parallelFloats: Int = 0) throws -> [String: Tensor] {
        let directory = folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The test cases are small: by default their kernels still split across the threads,
        // so the tasks' ranges are what is checked.
        let program = try CGenerator.generate(graph, target: target, strategies: strategies ?? KernelStrategies.allowed(on: target),
                                              sharingFunctions: sharingFunctions, parallelFloats: parallelFloats)
        var build = try CBuild(target: target)
        build.flags = flags + target.compilerFlags
        if let compiler { build.compiler = compiler }
        try build.write(program, to: directory)
        let executable = try build.build(program, in: directory, runtimeLibrary: try runtime(flags: build.flags, compiler: compiler))
        var arguments = ["--threads", String(threads)]
        if !graph.parameters.isEmpty {
            let weights = directory + "/weights.safetensors"
            try SafetensorsFile.write(graph.parameters.compactMap { p in parameters[p.name].map { (p.name, $0) } }, to: weights)
            arguments += ["--weights", weights]
        }
        for (k, input) in graph.inputs.enumerated() {
            let path = directory + "/input\(k).npy"
            guard let tensor = inputs[input.name] else { throw Diagnostic.error("no value for input \(input.name)") }
            try NPY.write(tensor, to: path)
            arguments += ["--input", "\(input.name)=\(path)"]
        }
        for (k, output) in graph.outputs.enumerated() {
            arguments += ["--output", "\(output.name)=\(directory)/output\(k).npy"]
        }
        let result = try Subprocess.run(executable, arguments)
        guard result.status == 0 else { throw Diagnostic.error("the compiled model failed: \(result.stderr)") }
        var outputs: [String: Tensor] = [:]
        for (k, output) in graph.outputs.enumerated() {
            outputs[output.name] = try NPY.read(path: "\(directory)/output\(k).npy")
        }
        return outputs
    }

    /// C against the interpreter: the same float32 arithmetic, up to the order of sums.
    static let tolerance = Tolerance(absolute: 1e-5, relative: 1e-5)

    /// Runs `graph` on seeded random weights and inputs in both the interpreter and C, and
    /// records an issue for every output that is missing or not within `tolerance`.
    static func expectAgreement(_ graph: Graph, seed: UInt64 = 1, threads: Int = 2, flags: [String] = flags, compiler: String? = nil,
                                target: Target = .portable, strategies: [any KernelStrategy]? = nil, parallelFloats: Int = 0,
                                sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let parameters = try Weights.initialize(graph, seed: seed)
        let inputs = try Weights.randomInputs(graph, seed: seed)
        let expected = try Interpreter(graph: graph).run(parameters: parameters, inputs: inputs)
        let actual = try run(graph, parameters: parameters, inputs: inputs, flags: flags, compiler: compiler, threads: threads, target: target,
                             strategies: strategies, parallelFloats: parallelFloats)
        for (name, reference) in expected {
            guard let tensor = actual[name] else {
                Issue.record("C produced no output '\(name)'", sourceLocation: sourceLocation)
                continue
            }
            if let problem = tolerance.mismatch(tensor, reference) {
                Issue.record("\(graph.name) output \(name), C vs the interpreter: \(problem)", sourceLocation: sourceLocation)
            }
        }
    }
}
