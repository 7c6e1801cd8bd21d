import AttendBasic
import AttendCodegen
import AttendIR
import Foundation
import Testing

/// Fusion groups come from IR files too, and a file may group anything. Whatever the groups
/// say, the generated code must compute what the interpreter computes: groups that cannot
/// run as one kernel fall back to one kernel per node (or drop the part that cannot fuse).
struct HandWrittenGroupTests {
    static let header = """
        graph @g {
          input %x : [1, 3, 6, 5]
          param @"c.weight" : [4, 3, 3, 3] init uniform_fan_in(27)
          param @"c.bias" : [4] init uniform_fan_in(27)
          param @"d.weight" : [4, 3, 1, 1] init uniform_fan_in(3)
          param @"d.bias" : [4] init uniform_fan_in(3)

        """
    static let conv = "conv2d(%x) {out = 4, kernel = [3, 3], stride = [1, 1], pad = [1, 1], dilation = [1, 1], groups = 1, bias = true} params(weight = @\"c.weight\", bias = @\"c.bias\") : [1, 4, 6, 5] loc(\"c\")"
    static let conv1x1 = "conv2d(%x) {out = 4, kernel = [1, 1], stride = [1, 1], pad = [0, 0], dilation = [1, 1], groups = 1, bias = true} params(weight = @\"d.weight\", bias = @\"d.bias\") : [1, 4, 6, 5] loc(\"d\")"

    static let cases: [(String, String, Int)] = [
        // An epilogue operand computed after the anchor: cannot run at the anchor's place.
        ("late operand", """
          %0 = \(conv) group(0)
          %1 = \(conv1x1)
          %2 = add(%0, %1) {other = None} : [1, 4, 6, 5] group(0)
          output %2 as "y"
        """, 3),
        // A reduction anchor with an epilogue on another grid, and a view in a group.
        ("mismatched grids", """
          %0 = mean(%x) {axes = [2, 3], keepdim = true} : [1, 3, 1, 1] group(1)
          %1 = mul(%x, %0) {other = None} : [1, 3, 6, 5] group(1)
          %2 = reshape(%1) {shape = [1, 90]} : [1, 90] group(1)
          %3 = relu(%2) : [1, 90] group(1)
          output %3 as "y"
        """, 3),
        // A valid epilogue with broadcast operands, and a group of one.
        ("broadcast epilogue", """
          %0 = mean(%x) {axes = [1], keepdim = true} : [1, 1, 6, 5]
          %1 = \(conv) group(2)
          %2 = mul(%1, %0) {other = None} : [1, 4, 6, 5] group(2)
          %3 = sigmoid(%2) : [1, 4, 6, 5] group(2)
          %4 = relu(%3) : [1, 4, 6, 5] group(7)
          output %4 as "y"
          output %2 as "gated"
        """, 3),
        // Global pooling of a conv inside its group, plus a reduction that cannot fuse.
        ("pooling", """
          %0 = \(conv) group(3)
          %1 = relu(%0) : [1, 4, 6, 5] group(3)
          %2 = mean(%1) {axes = [2, 3], keepdim = false} : [1, 4] group(3)
          %3 = max(%1) {axes = [1], keepdim = false} : [1, 6, 5] group(3)
          output %2 as "pooled"
          output %3 as "peak"
        """, 2),
        // Groups that interleave with other nodes and name the same number twice apart.
        ("interleaved", """
          %0 = relu(%x) : [1, 3, 6, 5] group(4)
          %1 = tanh(%x) : [1, 3, 6, 5]
          %2 = add(%0, %1) {other = None} : [1, 3, 6, 5] group(4)
          %3 = neg(%2) : [1, 3, 6, 5] group(4)
          output %3 as "y"
        """, 4),
    ]

    static let attentionHeader = """
        graph @g {
          input %q : [2, 5, 8]
          input %k : [2, 8, 7]
          input %w : [2, 7, 3]

        """

    static let attentionCases: [(String, String, Int)] = [
        // The values come after the scores: the fused kernel could not read them in time.
        ("late values", """
          %0 = matmul(%q, %k) : [2, 5, 7] group(0)
          %1 = softmax(%0) {axis = -1} : [2, 5, 7] group(0)
          %2 = neg(%w) : [2, 7, 3]
          %3 = matmul(%1, %2) : [2, 5, 3] group(0)
          output %3 as "y"
        """, 4),
        // The normalized scores are also returned, so they must be stored.
        ("returned scores", """
          %0 = matmul(%q, %k) : [2, 5, 7] group(0)
          %1 = softmax(%0) {axis = -1} : [2, 5, 7] group(0)
          %2 = matmul(%1, %w) : [2, 5, 3] group(0)
          output %2 as "y"
          output %1 as "p"
        """, 3),
        // A valid attention group with a score epilogue and an output epilogue.
        ("attention", """
          %0 = matmul(%q, %k) : [2, 5, 7] group(0)
          %1 = mul(%0) {other = 0.3} : [2, 5, 7] group(0)
          %2 = softmax(%1) {axis = -1} : [2, 5, 7] group(0)
          %3 = matmul(%2, %w) : [2, 5, 3] group(0)
          %4 = tanh(%3) : [2, 5, 3] group(0)
          output %4 as "y"
          output %1 as "scaled"
        """, 1),
    ]

    @Test(arguments: attentionCases.indices)
    func attentionGroupsAgreeWithTheInterpreter(_ index: Int) throws {
        let (name, body, kernels) = Self.attentionCases[index]
        let graph = try IRParser.parse(Self.attentionHeader + body + "\n}\n", file: "\(name).ir")
        let (count, _, _) = try CGenerator.layout(graph, target: .portable)
        #expect(count == kernels, "\(name): \(count) kernels")
        try CBackendHarness.expectAgreement(graph)
    }

    @Test(arguments: cases.indices)
    func generatedCodeAgreesWithTheInterpreter(_ index: Int) throws {
        let (name, body, kernels) = Self.cases[index]
        let graph = try IRParser.parse(Self.header + body + "\n}\n", file: "\(name).ir")
        let (count, _, _) = try CGenerator.layout(graph, target: .portable)
        #expect(count == kernels, "\(name): \(count) kernels")
        try CBackendHarness.expectAgreement(graph)
    }
}
