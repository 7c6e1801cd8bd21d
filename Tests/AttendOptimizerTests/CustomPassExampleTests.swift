import AttendBasic
import AttendIR
import AttendOptimizer
import AttendPassTesting
import Foundation
import Testing

// The worked example of Docs/passes.md, compiled and run here so the document stays true
// (a test below checks the document quotes this code verbatim).

// BEGIN EXAMPLE
/// `relu(relu(x))` is `relu(x)`: the outer relu's readers read the inner one.
struct DoubleReluPattern: RewritePattern {
    func rewrite(at index: Int, in rewriter: inout Rewriter) throws(Diagnostic) -> Bool {
        let node = rewriter.graph.nodes[index]
        guard (node.op as? ElementwiseOp)?.kind == .relu, let inner = rewriter.producerNode(of: node.inputs[0]),
              (inner.op as? ElementwiseOp)?.kind == .relu
        else { return false }
        rewriter.replaceUses(of: node.outputs[0], with: node.inputs[0])
        return true
    }
}

struct DoubleReluPass: Pass {
    var name: String { "double-relu" }
    var summary: String { "relu(relu(x)) -> relu(x)" }
    func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        try PatternPass(name: name, summary: summary, patterns: [DoubleReluPattern()]).run(on: &graph)
    }
}

@Test func doubleReluFolds() {
    var registry = PassRegistry.standard
    registry.register(DoubleReluPass())
    let test = """
        // PASSES: double-relu
        // CHECK: [[A:%[0-9]+]] = relu(%x)
        // CHECK-NEXT: sigmoid([[A]])
        // CHECK-NOT: relu(
        graph @g {
          input %x : [2, 3]
          %0 = relu(%x) : [2, 3]
          %1 = relu(%0) : [2, 3]
          %2 = sigmoid(%1) : [2, 3]
          output %2 as "y"
        }
        """
    let result = PassTestHarness(registry: registry).run(test, file: "double-relu.ir")
    #expect(result.passed, "\(result.failures)")
}
// END EXAMPLE

@Test func passesDocumentQuotesTheExample() throws {
    let here = URL(fileURLWithPath: #filePath)
    let source = try String(contentsOf: here, encoding: .utf8)
    let start = try #require(source.range(of: "// BEGIN EXAMPLE\n")), end = try #require(source.range(of: "// END EXAMPLE"))
    let example = String(source[start.upperBound..<end.lowerBound])
    let document = try String(contentsOf: here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Docs/passes.md"), encoding: .utf8)
    #expect(document.contains(example), "Docs/passes.md must quote the example of CustomPassExampleTests.swift verbatim")
}
