import AttendBasic
@testable import AttendCodegen
import AttendInterpreter
import AttendIR
import Testing

/// How kernels split across threads: elementwise rows of a batch of 1 split, and kernels on
/// little data run on the calling thread.
struct ThreadSplitTests {
    /// A graph of one elementwise op on `shapes` (with a PReLU after it when `prelu`).
    static func graph(_ op: String, _ shapes: [[Int]], prelu: Bool = false) throws -> Graph {
        var graph = try SingleNodeHarness.graph(op, shapes, [])
        if prelu {
            let slope = try #require(OpRegistry.op(named: "prelu"))
            let attributes = try slope.typeArguments([(name: "num_parameters", value: .int(shapes[0][1]))])
            let value = try graph.apply(slope, inputs: [graph.outputs[0].value], attributes: attributes, layer: "slope")[0]
            graph.outputs.append((name: "sloped", value: value))
        }
        return graph
    }

    /// The batch axis of 1 does not make a kernel serial: the parallel loop runs over the
    /// output's rows (every axis but the last), for elementwise ops and PReLU alike.
    @Test func elementwiseRowsOfABatchOfOneSplit() throws {
        let mul = try SingleNodeHarness.kernel(try SingleNodeHarness.graph("mul", [[1, 4, 8, 8], [1, 4, 1, 1]], []))
        guard case .loop(_, _, let upper, .parallel, let body)? = mul.body.first else {
            Issue.record("the elementwise kernel does not start with a parallel loop: \(mul.body)")
            return
        }
        #expect(upper == 32)
        #expect(SingleNodeHarness.vectorizedLoopsAreInnermost(body))
        let kernel = try SingleNodeHarness.kernel(try SingleNodeHarness.graph("prelu", [[1, 3, 5, 5]], [("num_parameters", .int(3))]))
        guard case .loop(_, _, let rows, .parallel, _)? = kernel.body.first else {
            Issue.record("the kernel does not start with a parallel loop: \(kernel.body)")
            return
        }
        // PReLU's rows are its [batch, channels, pixels] grid's: one per channel.
        #expect(rows == 3)
    }

    /// Below `Kernel.parallelFloats` floats of buffers a kernel's parallel loops run serially
    /// on the calling thread; at it, they split.
    @Test func kernelsOnLittleDataRunInline() throws {
        func kernelText(_ shape: [Int]) throws -> String {
            let program = try CGenerator.generate(try Self.graph("mul", [shape, [1, shape[1], 1, 1]]), target: .portable)
            return program.kernelFiles.map(\.source).joined(separator: "\n")
        }
        // 2 x 4 x 8 x 8 floats in and out, 4 of the gate.
        let small = try kernelText([1, 4, 8, 8])
        #expect(!small.contains("attend_parallel_for"))
        #expect(small.contains("for (int64_t r = 0; r < 32; r++) {"))
        // 2 x 16384 + 16: just over the bound.
        #expect(Kernel.parallelFloats == 2 * 16_384)
        #expect(try kernelText([1, 16, 32, 32]).contains("attend_parallel_for(pool, 0, 512,"))
        let lowered = Kernel(name: "k", comment: "", parameters: [Kernel.Parameter(BufferRef("y"), .output, count: 100)],
                             body: [.loop(variable: "i", lower: 0, upper: 100, schedule: .parallel, body: [.store(BufferRef("y"), .v("i"), .constant(1))])])
        #expect(lowered.runningSmallWorkInline(below: 100) == lowered)
        guard case .loop(_, _, _, .serial, _)? = lowered.runningSmallWorkInline(below: 101).body.first else {
            Issue.record("a kernel on fewer floats than the bound kept its parallel loop")
            return
        }
    }

    /// Kernels run inline compute what their split versions do, and their C (which leaves
    /// buffers unread: a convolution's weights, packed at load into another) compiles
    /// without warnings.
    @Test(arguments: [1, 2])
    func inlineKernelsAgreeWithTheInterpreter(threads: Int) throws {
        let convolution = try ConvGEMMStrategyTests.optimized("""
            attend: 1
            name: inline_case
            inputs:
              x: [1, 8, 6, 6]
            layers:
              - conv: {op: conv2d, out: 12, kernel: 1, bias: true}
              - act: relu

            """)
        for graph in [try Self.graph("mul", [[2, 3, 4, 5], [1, 3, 1, 5]], prelu: true), convolution] {
            try CBackendHarness.expectAgreement(graph, threads: threads, parallelFloats: Kernel.parallelFloats)
        }
    }
}
