import AttendBasic
import AttendIR
import AttendInterpreter
import Testing

/// reorder in the interpreter: layouts are how generated code stores a value, and the
/// interpreter computes logical tensors, so a chain of reorders returns its input exactly.
@Suite struct ReorderKernelTests {
    @Test func reorderChainsAreTheIdentity() throws {
        let graph = try IRParser.parse("""
            graph @chain {
              input %x : [2, 20, 3, 5]
              %0 = reorder(%x) {layout = nchw16c} : [2, 20, 3, 5] layout(nchw16c)
              %1 = reorder(%0) {layout = nchw8c} : [2, 20, 3, 5] layout(nchw8c)
              %2 = reorder(%1) {layout = nhwc} : [2, 20, 3, 5] layout(nhwc)
              %3 = reorder(%2) {layout = nchw} : [2, 20, 3, 5]
              %4 = relu(%3) : [2, 20, 3, 5]
              output %3 as "same"
              output %4 as "relu"
            }

            """, file: "chain.ir")
        let data = (0..<600).map { Float($0 % 37) - 18.5 }
        let x = Tensor(shape: [2, 20, 3, 5], data: data)
        let outputs = try Interpreter(graph: graph).run(parameters: [:], inputs: ["x": x])
        #expect(outputs.map(\.name) == ["same", "relu"])
        #expect(outputs[0].tensor == x)
        #expect(outputs[1].tensor == Tensor(shape: [2, 20, 3, 5], data: data.map { max($0, 0) }))
    }
}
