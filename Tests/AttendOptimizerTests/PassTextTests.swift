import AttendBasic
import AttendIR
import AttendOptimizer
import AttendPassTesting
import Foundation
import Testing

/// Every `Tests/PassTests/*.ir` file: passes run with the verifier after each, CHECK lines
/// match the printed result, and the interpreter gives the same outputs before and after.
struct PassTextTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("PassTests")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".ir") }.sorted()
    }

    @Test(arguments: files)
    func passTest(_ file: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8)
        // One issue per failure, printed once (the harness's message holds the output).
        for failure in PassTestHarness().run(text, file: file).failures { Issue.record(Comment(rawValue: failure)) }
    }

    /// Every built-in pass has a text test, and a negative one: a file that runs that pass
    /// alone (so its checks read that pass's own output), has a `CHECK-NOT`, and whose checks
    /// also hold on the unchanged input, so the pass must leave that graph as it is and must
    /// not produce what the `CHECK-NOT` names. A `CHECK-NOT` on what a pass removes is a
    /// positive test, and one in a file running several passes checks their combined output.
    @Test func everyPassHasTextTests() throws {
        var covered: Set<String> = [], negative: Set<String> = []
        for file in Self.files {
            let text = try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8)
            let passes = try #require(PassTestHarness.passes(in: text), "\(file) has no PASSES line")
            covered.formUnion(passes)
            let checks = try FileCheck(checks: text, file: file)
            guard passes.count == 1, checks.directives.contains(where: { $0.kind == .not }) else { continue }
            if checks.check(try IRParser.parse(text, file: file).text) == nil { negative.insert(passes[0]) }
        }
        for name in PassRegistry.standard.names {
            #expect(covered.contains(name), "pass '\(name)' has no text test")
            #expect(negative.contains(name), "pass '\(name)' has no negative test (run alone, a CHECK-NOT, checks that hold on the input)")
        }
    }
}

/// The FileCheck subset itself.
struct FileCheckTests {
    func check(_ checks: String, _ output: String) throws -> String? {
        try FileCheck(checks: checks, file: "t").check(output)
    }

    @Test func capturesAndReusesVariables() throws {
        let checks = "// CHECK: [[X:%[0-9]+]] = relu\n// CHECK-NEXT: add([[X]], [[X]])"
        #expect(try check(checks, "%4 = relu(%x)\n%5 = add(%4, %4)") == nil)
        #expect(try check(checks, "%4 = relu(%x)\n%5 = add(%4, %3)") != nil)
    }

    @Test func nextMustBeTheFollowingLine() throws {
        let checks = "// CHECK: a\n// CHECK-NEXT: b"
        #expect(try check(checks, "a\nb") == nil)
        #expect(try check(checks, "a\nc\nb") != nil)
    }

    @Test func notIsCheckedBetweenMatches() throws {
        let checks = "// CHECK: a\n// CHECK-NOT: x\n// CHECK: b"
        #expect(try check(checks, "a\ny\nb\nx") == nil)
        #expect(try check(checks, "a\nx\nb") != nil)
        #expect(try check("// CHECK-NOT: x", "y\nx") != nil)
    }

    @Test func literalTextIsNotARegex() throws {
        #expect(try check("// CHECK: f(x) {a = [1]}", "f(x) {a = [1]}") == nil)
        #expect(try check("// CHECK: a.b", "axb") != nil)
        #expect(try check("// CHECK: {{a.b}}", "axb") == nil)
    }

    @Test func undefinedVariablesAndBadDirectivesAreErrors() throws {
        #expect(try check("// CHECK: [[Y]]", "y") != nil)
        #expect(throws: Diagnostic.self) { try FileCheck(checks: "// CHECK-NXT: a", file: "t") }
    }
}

/// The harness fails a pass that changes the numbers, and one that breaks the graph.
struct HarnessNegativeTests {
    /// Replaces every relu by a sigmoid: verifies, but computes something else.
    struct WrongPass: Pass {
        var name: String { "wrong" }
        var summary: String { "a broken pass" }
        func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
            for index in graph.nodes.indices where graph.nodes[index].op.name == "relu" {
                graph.nodes[index].op = OpRegistry.op(named: "sigmoid")!
            }
            return true
        }
    }

    @Test func numericDifferenceFails() {
        var registry = PassRegistry.standard
        registry.register(WrongPass())
        let text = "// PASSES: wrong\n// CHECK: sigmoid\ngraph @g {\n  input %x : [2, 3]\n  %0 = relu(%x) : [2, 3]\n  output %0 as \"y\"\n}\n"
        let result = PassTestHarness(registry: registry).run(text, file: "t.ir")
        #expect(!result.passed)
        #expect(result.failures.contains { $0.contains("differs") })
    }

    @Test func unknownPassIsReported() {
        let text = "// PASSES: nonsense\n// CHECK: relu\ngraph @g {\n  input %x : [2, 3]\n  %0 = relu(%x) : [2, 3]\n  output %0 as \"y\"\n}\n"
        let result = PassTestHarness().run(text, file: "t.ir")
        #expect(result.failures.contains { $0.contains("unknown pass 'nonsense'") })
    }
}
