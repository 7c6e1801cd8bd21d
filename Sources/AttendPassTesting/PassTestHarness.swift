import AttendBasic
import AttendIR
import AttendInterpreter
import AttendOptimizer

/// Runs a pass test written as text, the way MLIR's lit tests run: the file is a graph in the
/// textual IR whose comments say what to run and what to expect —
///
///     // PASSES: fold-batchnorm, dce
///     // CHECK: [[Y:%[0-9]+]] = conv2d(%x) {{.*}}bias = true
///     // CHECK-NOT: batchnorm
///     graph @g { ... }
///
/// The harness parses the graph, runs the passes with the verifier after each, checks the
/// printed result against the `CHECK` lines (see `FileCheck`), and runs the interpreter on
/// seeded random inputs and weights before and after: any output differing by more than
/// `TOLERANCE` (default 1e-5, relative to the output's largest magnitude, at least 1) fails.
public struct PassTestHarness {
    public var registry: PassRegistry

    public init(registry: PassRegistry = .standard) { self.registry = registry }

    public struct Result: Sendable {
        /// The graph after the passes, as printed for the CHECK lines.
        public var output: String
        /// Why the test failed; empty when it passed.
        public var failures: [String]
        public var passed: Bool { failures.isEmpty }
    }

    /// Runs the test in `text` (named `file` in messages).
    public func run(_ text: String, file: String) -> Result {
        var failures: [String] = []
        guard let passes = Self.passes(in: text) else {
            return Result(output: "", failures: ["\(file): no '// PASSES: a, b' line"])
        }
        let tolerance = Self.directive("TOLERANCE", in: text).first.flatMap(Double.init) ?? 1e-5
        let original: Graph, checks: FileCheck
        do {
            original = try IRParser.parse(text, file: file)
            checks = try FileCheck(checks: text, file: file)
        } catch {
            return Result(output: "", failures: [error.description])
        }
        var graph = original
        let manager = PassManager(registry: registry, options: PassOptions(passes: passes, verifyEach: true), report: { _ in })
        do { try manager.run(&graph) } catch {
            return Result(output: "", failures: ["\(file): " + error.message])
        }
        let output = graph.text
        if checks.directives.isEmpty { failures.append("\(file): no CHECK lines") }
        if let failure = checks.check(output) { failures.append(failure + "\n--- output ---\n" + output) }
        if let failure = Self.compareNumerically(original, graph, tolerance: tolerance) { failures.append("\(file): " + failure) }
        return Result(output: output, failures: failures)
    }

    /// Runs both graphs in the interpreter on the same seeded weights and inputs; nil when
    /// every output agrees within `tolerance`.
    public static func compareNumerically(_ before: Graph, _ after: Graph, tolerance: Double, seed: UInt64 = 7) -> String? {
        let weights = randomWeights(before, seed: seed)
        let inputs: [String: Tensor]
        do { inputs = try Weights.randomInputs(before, seed: seed) } catch { return "inputs cannot be made: \(error.message)" }
        let expected: [(name: String, tensor: Tensor)], actual: [(name: String, tensor: Tensor)]
        do {
            expected = try Interpreter(graph: before).run(parameters: weights, inputs: inputs)
            actual = try Interpreter(graph: after).run(parameters: weights, inputs: inputs)
        } catch {
            return "interpreter failed: \(error.message)"
        }
        guard expected.map(\.name) == actual.map(\.name) else {
            return "outputs changed from \(expected.map(\.name)) to \(actual.map(\.name))"
        }
        for (want, got) in zip(expected, actual) {
            guard want.tensor.shape == got.tensor.shape else {
                return "output '\(want.name)' changed shape from \(formatShape(want.tensor.shape)) to \(formatShape(got.tensor.shape))"
            }
            let scale = max(1, want.tensor.data.map { abs(Double($0)) }.filter(\.isFinite).max() ?? 1)
            if let problem = Tolerance(absolute: tolerance * scale, relative: 0).mismatch(got.tensor, want.tensor) {
                return "output '\(want.name)' differs after the passes: \(problem) (tolerance \(tolerance) x \(scale))"
            }
        }
        return nil
    }

    /// Weights that make every term matter (PyTorch's initial batchnorm statistics are 0 and
    /// 1, which would hide a wrong fold): normal with std 0.5, and variances (`*running_var`)
    /// uniform in [0.5, 2].
    public static func randomWeights(_ graph: Graph, seed: UInt64) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for parameter in graph.loadedParameters {
            var random = SeededRandom(seed: seed, name: parameter.name)
            let count = ShapeRules.elementCount(parameter.shape)
            let variance = parameter.name.hasSuffix("running_var")
            result[parameter.name] = Tensor(shape: parameter.shape, data: (0..<count).map { _ in
                variance ? random.uniform(0.5, 2) : random.normal() * 0.5
            })
        }
        return result
    }

    /// The passes a test runs, in order: its first `// PASSES: a, b` line (nil without one).
    public static func passes(in text: String) -> [String]? {
        directive("PASSES", in: text).first.map { list in
            list.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }.filter { !$0.isEmpty }
        }
    }

    /// The text after `// NAME:` on each line that has it.
    static func directive(_ name: String, in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "// \(name):") else { return nil }
            return line[range.upperBound...].trimmingCharacters(in: " \t")
        }
    }
}
