import AttendBasic
@testable import AttendCodegen
import AttendInterpreter
import AttendIR
import Testing

/// Storage layouts in generated code: the index expressions agree with `Layout`'s own
/// geometry, buffers are sized by their storage, reorder writes zeros in padding lanes, and
/// chains of reorders in C agree with the interpreter (where reorder is the identity).
@Suite struct ReorderLoweringTests {
    static let shape = [2, 20, 3, 5]
    static let layouts: [Layout] = [.rowMajor, .channelsLast, .channelBlocked(4), .channelBlocked(8), .channelBlocked(16), .channelBlocked(64)]

    /// Index expressions of constants fold to constants: the generated offset of every
    /// element is the one `Layout.offset` computes.
    @Test func indexOffsetsAreTheLayoutsOffsets() {
        for layout in Self.layouts {
            for n in 0..<2 { for c in 0..<20 { for h in 0..<3 { for w in 0..<5 {
                let coordinate = [n, c, h, w]
                let expr = layout.offset(coordinate.map(IndexExpr.constant), shape: Self.shape)
                #expect(expr == .constant(layout.offset(coordinate, shape: Self.shape)), "\(layout) \(coordinate)")
            } } } }
        }
    }

    /// Walking a layout's storage in order, the logical coordinates of each position are the
    /// element stored there; positions past C are the padding lanes, and only those.
    @Test func logicalCoordinatesInvertTheOffsets() throws {
        for layout in Self.layouts {
            let storageShape = layout.storageShape(Self.shape)
            var elements = 0
            for flat in 0..<layout.storageCount(Self.shape) {
                let position = Loops.coordinates(.constant(flat), storageShape)
                let (logical, inside) = layout.logicalCoordinates(position, shape: Self.shape)
                let values = try logical.map { expr throws -> Int in
                    guard case .constant(let v) = expr else { throw Diagnostic.error("\(layout): \(expr) is not folded") }
                    return v
                }
                var isElement = true
                if let inside {
                    guard case .less(.constant(let c), .constant(let bound)) = inside else {
                        Issue.record("\(layout): unexpected condition \(inside)")
                        continue
                    }
                    isElement = c < bound
                }
                #expect(isElement == (values[1] < 20), "\(layout) storage \(flat)")
                if isElement {
                    elements += 1
                    #expect(layout.offset(values, shape: Self.shape) == flat, "\(layout) storage \(flat)")
                }
            }
            #expect(elements == 600, "\(layout)")
        }
    }

    static func parse(_ name: String, _ body: String) throws -> Graph {
        try IRParser.parse("graph @\(name) {\n\(body)\n}\n", file: "\(name).ir")
    }

    /// x -> nchw16c -> nchw -> relu over C = 20: the blocked value holds 2 blocks of 16.
    static let tail = """
          input %x : [1, 20, 4, 4]
          %0 = reorder(%x) {layout = nchw16c} : [1, 20, 4, 4] layout(nchw16c)
          %1 = reorder(%0) {layout = nchw} : [1, 20, 4, 4]
          %2 = relu(%1) : [1, 20, 4, 4]
          output %2 as "y"
        """

    @Test func buffersAreSizedByTheirStorage() throws {
        let graph = try Self.parse("tail", Self.tail)
        let (kernels, plan, _) = try CGenerator.layout(graph, target: .portable)
        #expect(kernels == 3)
        // The blocked value takes 2 * 16 * 16 floats, not 20 * 16; the row-major one 320.
        #expect(plan.naiveSize == 512 + 320)
    }

    @Test func paddingLanesAreStoredAsZeros() throws {
        let graph = try Self.parse("tail", Self.tail)
        let lowering = try #require(Lowerings.direct(for: graph.nodes[0].op))
        let c = CPrinter().kernel(try CGenerator.makeKernel(graph.nodes[0], index: 0, graph: graph, lowering: lowering))
        // A loop over the 2 * 16 blocked rows of 16 lanes; lanes past channel 20 store 0.
        #expect(c.contains("attend_parallel_for(pool, 0, 32, "), "\(c)")
        #expect(c.contains("< 20) ? "), "\(c)")
        #expect(c.contains(": 0.0f"), "\(c)")
        // Reading back from the blocked layout never tests: every logical element exists.
        let back = try #require(Lowerings.direct(for: graph.nodes[1].op))
        let read = CPrinter().kernel(try CGenerator.makeKernel(graph.nodes[1], index: 1, graph: graph, lowering: back))
        #expect(!read.contains("?"), "\(read)")
    }

    @Test func codeGenerationRejectsLayoutsAnOpDoesNotHandle() throws {
        var graph = try Self.parse("tail", Self.tail)
        // relu reading the blocked value directly, as a broken pass might leave it.
        graph.nodes[2].inputs = [ValueID(1)]
        #expect(throws: Diagnostic.error("node 2 (relu): op 'relu' does not read layout nchw16c (operand 0); reorder the value to nchw first",
                                         at: AttendBasic.SourceLocation(file: "tail.ir", line: 5, column: 8))) {
            _ = try CGenerator.generate(graph, target: .portable)
        }
    }

    /// Graphs of reorder chains run in C, against the interpreter.
    static let chains: [(name: String, body: String)] = [
        ("tail", tail),
        // C = 32, a multiple of 16; block to block with C = 20 and a batch of 2.
        ("blocks", """
          input %x : [1, 32, 4, 4]
          input %z : [2, 20, 3, 5]
          %0 = reorder(%x) {layout = nchw16c} : [1, 32, 4, 4] layout(nchw16c)
          %1 = reorder(%0) {layout = nchw} : [1, 32, 4, 4]
          %2 = relu(%1) : [1, 32, 4, 4]
          %3 = reorder(%z) {layout = nchw16c} : [2, 20, 3, 5] layout(nchw16c)
          %4 = reorder(%3) {layout = nchw8c} : [2, 20, 3, 5] layout(nchw8c)
          %5 = reorder(%4) {layout = nchw4c} : [2, 20, 3, 5] layout(nchw4c)
          %6 = reorder(%5) {layout = nchw} : [2, 20, 3, 5]
          %7 = relu(%6) : [2, 20, 3, 5]
          output %2 as "x_16c"
          output %7 as "z_16c_8c_4c"
        """),
        // NHWC both ways, NHWC to blocked, and a reorder of a view (a permute) straight
        // into an output.
        ("channels_last", """
          input %x : [2, 3, 5, 7]
          input %t : [1, 4, 5, 20]
          %0 = reorder(%x) {layout = nhwc} : [2, 3, 5, 7] layout(nhwc)
          %1 = reorder(%0) {layout = nchw} : [2, 3, 5, 7]
          %2 = relu(%1) : [2, 3, 5, 7]
          %3 = reorder(%0) {layout = nchw2c} : [2, 3, 5, 7] layout(nchw2c)
          %4 = reorder(%3) {layout = nhwc} : [2, 3, 5, 7] layout(nhwc)
          %5 = reorder(%4) {layout = nchw} : [2, 3, 5, 7]
          %6 = permute(%t) {dims = [0, 3, 1, 2]} : [1, 20, 4, 5]
          %7 = reorder(%6) {layout = nchw16c} : [1, 20, 4, 5] layout(nchw16c)
          %8 = reorder(%7) {layout = nchw} : [1, 20, 4, 5]
          output %2 as "nhwc"
          output %5 as "nhwc_2c_nhwc"
          output %8 as "permuted_16c"
        """),
    ]

    @Test(arguments: chains.indices)
    func reorderChainsAgreeWithTheInterpreter(_ index: Int) throws {
        let (name, body) = Self.chains[index]
        let graph = try Self.parse(name, body)
        try CBackendHarness.expectAgreement(graph)
    }
}
