import AttendBasic
import AttendIR
import Foundation

/// Optimization levels: the default pipelines.
public enum OptimizationLevel: Int, Sendable, CaseIterable {
    case o0 = 0, o2 = 2, o3 = 3

    /// The pass names each level runs, in order.
    public var pipeline: [String] {
        switch self {
        case .o0: return []
        case .o2: return Self.cleanup + ["fuse"]
        case .o3: return Self.cleanup + ["schedule", "fuse"]
        }
    }

    /// Cleanup first (so folding sees canonical patterns), folding, then cleanup of what
    /// folding left behind.
    static let cleanup = ["remove-identity", "simplify", "fold-batchnorm", "expand-prelu", "fold-constants", "simplify", "cse", "dce"]
}

/// What to run and what to report; one struct for every command that optimizes.
public struct PassOptions: Sendable {
    /// Explicit pass names; when set, `level` is ignored.
    public var passes: [String]?
    public var level: OptimizationLevel
    /// Run the verifier after every pass (on in tests).
    public var verifyEach: Bool
    /// Print the graph after every pass, or after the passes named here.
    public var printAfterAll: Bool
    public var printAfter: Set<String>
    /// Report wall-clock time per pass.
    public var timePasses: Bool

    public init(passes: [String]? = nil, level: OptimizationLevel = .o2, verifyEach: Bool = false,
                printAfterAll: Bool = false, printAfter: Set<String> = [], timePasses: Bool = false) {
        self.passes = passes
        self.level = level
        self.verifyEach = verifyEach
        self.printAfterAll = printAfterAll
        self.printAfter = printAfter
        self.timePasses = timePasses
    }

    public var pipeline: [String] { passes ?? level.pipeline }
}

/// Runs a pipeline of passes over a graph, with verification, printing and timing around
/// each pass. Reports (printed graphs, timings) go to `report`, stderr by default.
public struct PassManager {
    public var registry: PassRegistry
    public var options: PassOptions
    public var report: (String) -> Void

    public init(registry: PassRegistry = .standard, options: PassOptions = PassOptions(),
                report: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.registry = registry
        self.options = options
        self.report = report
    }

    /// The passes of the pipeline; unknown names are an error naming the known ones.
    public func resolvePipeline() throws(Diagnostic) -> [any Pass] {
        var result: [any Pass] = []
        for name in options.pipeline {
            guard let pass = registry.pass(named: name) else {
                throw .error("unknown pass '\(name)'\(didYouMean(name, in: registry.names)); passes: \(registry.names.joined(separator: ", "))")
            }
            result.append(pass)
        }
        for name in options.printAfter where registry.pass(named: name) == nil {
            throw .error("--print-after names unknown pass '\(name)'\(didYouMean(name, in: registry.names))")
        }
        return result
    }

    /// Runs the pipeline. A pass that breaks the graph's invariants (with `verifyEach`) is an
    /// error naming the pass.
    public func run(_ graph: inout Graph) throws(Diagnostic) {
        let passes = try resolvePipeline()
        var timings: [(String, Double)] = []
        for pass in passes {
            let start = DispatchTime.now().uptimeNanoseconds
            let changed = try pass.run(on: &graph)
            timings.append((pass.name, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6))
            if options.verifyEach {
                do { try Verifier.verify(graph) } catch {
                    throw .error("after pass '\(pass.name)': the graph does not verify: \(error.message)")
                }
            }
            if options.printAfterAll || options.printAfter.contains(pass.name) {
                report("// -----// IR after \(pass.name)\(changed ? "" : " (unchanged)") //----- //\n" + graph.text)
            }
        }
        if options.timePasses {
            let total = timings.reduce(0) { $0 + $1.1 }
            var lines = ["===- pass timing -===", "  total: " + String(format: "%.3f ms", total)]
            for (name, ms) in timings { lines.append(String(format: "  %9.3f ms  ", ms) + name) }
            report(lines.joined(separator: "\n") + "\n")
        }
    }
}
