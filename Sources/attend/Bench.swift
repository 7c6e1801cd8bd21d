import ArgumentParser
import AttendBasic
import AttendCodegen
import AttendIR
import AttendInterpreter
import Foundation

/// `attend bench`: latency percentiles of a model on a backend (release builds; a warm-up
/// run first, then the median of many).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure a model's latency (min, median, p90) on a backend.")

    @OptionGroup var options: ModelOptions

    @OptionGroup var targetOptions: TargetOptions

    @OptionGroup var optimizer: OptimizerOptions

    @Option(help: "c or interpreter.")
    var backend: Run.Backend = .c

    @Option(help: "Timed runs after one warm-up run.")
    var runs: Int = 20

    @Option(help: "Worker threads (C backend).")
    var threads: Int = 1

    @Flag(help: "Also each kernel's median time and share of the run, named as `attend check --kernels` lists them (C backend).")
    var profile = false

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            guard runs >= 1 else { throw .error("--runs must be at least 1", at: .unknown("--runs")) }
            try Attend.checkThreads(threads)
            var graph = try ModelLoading.graph(options)
            let parameters = try Weights.initialize(graph)
            try optimizer.optimize(&graph)
            let inputs = try Weights.randomInputs(graph)
            switch backend {
            case .c:
                Attend.show(try CBackend.bench(graph, parameters: parameters, inputs: inputs, runs: runs, threads: threads, profile: profile,
                                               target: targetOptions.resolved()))
            case .interpreter:
                guard !profile else { throw .error("--profile times the C backend's kernels; the interpreter has none", at: .unknown("--profile")) }
                let interpreter = Interpreter(graph: graph)
                // Folded weights are derived once, as a compiled model's `create` does.
                let parameters = try interpreter.deriveParameters(parameters)
                var times: [Double] = []
                for run in 0...runs {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try interpreter.run(parameters: parameters, inputs: inputs)
                    if run > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6) }
                }
                Attend.show(Latency.summary(times, threads: 1))
            }
        }
    }
}

enum Latency {
    /// `latency ms: min X median Y p90 Z (N runs, T threads)`, the compiled executable's format.
    static func summary(_ times: [Double], threads: Int) -> String {
        let sorted = times.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] }
        return String(format: "latency ms: min %.3f median %.3f p90 %.3f (%d runs, %d threads)", sorted[0], at(0.5), at(0.9), sorted.count, threads)
    }
}
