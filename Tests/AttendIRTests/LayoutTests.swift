import Testing
import AttendBasic
import AttendIR

/// Storage layouts: the geometry (offsets and storage sizes, by hand), the names, where a
/// layout may appear (`Graph.apply`, the text format, the verifier) and the reorder op.
@Suite struct LayoutTests {
    /// [N, C, H, W] with C = 20: not a multiple of 16 or 8, so blocked layouts pad their tail.
    static let shape = [2, 20, 3, 5]

    @Test func offsetsAndStorageCounts() {
        // Logical [1, 17, 2, 4]: row-major ((1*20 + 17)*3 + 2)*5 + 4; NHWC ((1*3 + 2)*5 + 4)*20 + 17;
        // NCHW16c (((1*2 + 17/16)*3 + 2)*5 + 4)*16 + 17%16 with ceil(20/16) = 2 blocks.
        #expect(Layout.rowMajor.offset([1, 17, 2, 4], shape: Self.shape) == 569)
        #expect(Layout.channelsLast.offset([1, 17, 2, 4], shape: Self.shape) == 597)
        #expect(Layout.channelBlocked(16).offset([1, 17, 2, 4], shape: Self.shape) == 945)
        #expect(Layout.channelBlocked(8).offset([1, 17, 2, 4], shape: Self.shape) == ((((1 * 3 + 2) * 3 + 2) * 5 + 4) * 8 + 1))
        #expect(Layout.rowMajor.storageCount(Self.shape) == 600)
        #expect(Layout.channelsLast.storageCount(Self.shape) == 600)
        #expect(Layout.channelBlocked(16).storageCount(Self.shape) == 2 * 2 * 3 * 5 * 16)
        #expect(Layout.channelBlocked(8).storageCount(Self.shape) == 2 * 3 * 3 * 5 * 8)
        #expect(Layout.channelBlocked(4).storageCount(Self.shape) == 600)
        #expect(Layout.channelBlocked(16).storageShape(Self.shape) == [2, 2, 3, 5, 16])
        #expect(Layout.channelsLast.storageShape(Self.shape) == [2, 3, 5, 20])
        // Row-major at any rank.
        #expect(Layout.rowMajor.offset([1, 2], shape: [3, 4]) == 6)
    }

    @Test func everyLayoutPlacesEachElementOnceWithinItsStorage() {
        for layout in [Layout.rowMajor, .channelsLast, .channelBlocked(2), .channelBlocked(8), .channelBlocked(16), .channelBlocked(64)] {
            var seen = Set<Int>()
            for n in 0..<2 { for c in 0..<20 { for h in 0..<3 { for w in 0..<5 {
                let offset = layout.offset([n, c, h, w], shape: Self.shape)
                #expect(offset >= 0 && offset < layout.storageCount(Self.shape), "\(layout) [\(n), \(c), \(h), \(w)]")
                seen.insert(offset)
            } } } }
            #expect(seen.count == 600, "\(layout) maps two elements to one place")
        }
        // Lanes of one block are adjacent; the padding lanes of the tail block are 16 - 4 = 12.
        let blocked = Layout.channelBlocked(16)
        #expect(blocked.offset([0, 17, 0, 0], shape: Self.shape) - blocked.offset([0, 16, 0, 0], shape: Self.shape) == 1)
        #expect(blocked.offset([0, 16, 0, 1], shape: Self.shape) - blocked.offset([0, 19, 0, 0], shape: Self.shape) == 13)
    }

    @Test func namesRoundTripAndBadOnesAreErrors() throws {
        for name in Layout.names { #expect(try Layout(name: name).description == name) }
        #expect(try Layout(name: "nchw16c") == .channelBlocked(16))
        #expect(try Layout(name: "nhwc") == .channelsLast)
        #expect(throws: Diagnostic.error("a channel block of 3 is not supported; blocks are 2, 4, 8, 16, 32, 64")) { try Layout(name: "nchw3c") }
        #expect(throws: Diagnostic.error("a channel block of 4096 is not supported; blocks are 2, 4, 8, 16, 32, 64")) { try Layout(name: "nchw4096c") }
        #expect(throws: Diagnostic.self) { try Layout(name: "nchw016c") }
        #expect(throws: Diagnostic.self) { try Layout(name: "nchwc") }
        do {
            _ = try Layout(name: "nwhc")
            Issue.record("nwhc parsed")
        } catch {
            #expect(error.message.hasPrefix("unknown layout 'nwhc' (did you mean ") && error.message.hasSuffix("; layouts: nchw, nhwc, nchw2c, nchw4c, nchw8c, nchw16c, nchw32c, nchw64c"))
        }
    }

    @Test func layoutsOtherThanRowMajorAreForRank4WithinTheSizeLimit() throws {
        try Layout.rowMajor.check(shape: [3])
        try Layout.channelsLast.check(shape: [1, 2, 3, 4])
        #expect(throws: Diagnostic.error("layout nhwc applies to rank-4 (NCHW) values only, not rank 3")) { try Layout.channelsLast.check(shape: [2, 3, 4]) }
        #expect(throws: Diagnostic.error("layout nchw16c applies to rank-4 (NCHW) values only, not rank 5")) { try Layout.channelBlocked(16).check(shape: [1, 2, 3, 4, 5]) }
        // A block of 64 over one channel multiplies the storage by 64: past the limit, an error.
        #expect(throws: Diagnostic.error("in layout nchw64c, the storage [1, 1, 40000, 40000, 64] is too large (more than 2147483647 elements)")) {
            try Layout.channelBlocked(64).check(shape: [1, 1, 40000, 40000])
        }
        var graph = Graph(name: "g")
        let x = graph.addInput(name: "x", shape: [2, 3])
        #expect(throws: Diagnostic.error("layout nchw8c applies to rank-4 (NCHW) values only, not rank 2")) { try graph.setLayout(.channelBlocked(8), of: x) }
        #expect(graph.layout(of: x) == .rowMajor)
    }

    /// x [1, 20, 4, 4] -> reorder(nchw16c) -> reorder(nchw8c) -> reorder(nhwc) -> reorder(nchw) -> relu.
    static func chain() throws -> Graph {
        var b = TextGraphBuilder("chain")
        var v = b.input("x", [1, 20, 4, 4])
        for layout in ["nchw16c", "nchw8c", "nhwc", "nchw"] {
            v = try b.apply("reorder", [v], ["layout": .string(layout)], layer: "to_\(layout)")[0]
        }
        let y = try b.apply("relu", [v], layer: "act")
        b.graph.outputs.append(("y", y[0]))
        return b.graph
    }

    @Test func reorderGivesItsResultTheTargetLayout() throws {
        let graph = try Self.chain()
        try Verifier.verify(graph)
        #expect(graph.values.map(\.layout) == [.rowMajor, .channelBlocked(16), .channelBlocked(8), .channelsLast, .rowMajor, .rowMajor])
        #expect(graph.values.allSatisfy { $0.shape == [1, 20, 4, 4] })
        #expect(graph.storageCount(of: ValueID(1)) == 2 * 16 * 16)
        #expect(graph.storageCount(of: ValueID(2)) == 3 * 8 * 16)
        // Not a view and not removable: a copy kernel between storages.
        let reorder = try #require(OpRegistry.op(named: "reorder"))
        let attributes = try reorder.typeArguments([("layout", .string("nchw16c"))])
        #expect(reorder.indexMap(inputs: [[1, 20, 4, 4]], attributes: attributes, output: 0) == nil)
        #expect(!reorder.returnsInputUnchanged(inputs: [[1, 20, 4, 4]], attributes: attributes))
        #expect(reorder.fusion == .opaque)
    }

    @Test func applyRejectsLayoutsAnOpDoesNotHandle() throws {
        var b = TextGraphBuilder("g")
        let x = b.input("x", [1, 20, 4, 4])
        let blocked = try b.apply("reorder", [x], ["layout": .string("nchw16c")])
        #expect(throws: Diagnostic.error("op 'relu' does not read layout nchw16c (operand 0); reorder the value to nchw first")) {
            try b.apply("relu", blocked)
        }
        #expect(throws: Diagnostic.error("op 'add' does not read layout nchw16c (operand 1); reorder the value to nchw first")) {
            try b.apply("add", [x, blocked[0]])
        }
        let flat = b.input("flat", [2, 3, 4])
        #expect(throws: Diagnostic.error("reorder to nhwc of [2, 3, 4]: layout nhwc applies to rank-4 (NCHW) values only, not rank 3")) {
            try b.apply("reorder", [flat], ["layout": .string("nhwc")])
        }
        let reorder = try #require(OpRegistry.op(named: "reorder"))
        #expect(throws: ArgumentError.self) { try reorder.typeArguments([("layout", .string("nchw3c"))]) }
        #expect(throws: ArgumentError.self) { try reorder.typeArguments([]) }
    }

    @Test func derivedParametersAreRowMajor() throws {
        var graph = Graph(name: "g")
        graph.parameters.append(Parameter(name: "w", shape: [1, 20, 4, 4], initializer: .constant(1)))
        let reorder = try #require(OpRegistry.op(named: "reorder"))
        #expect(throws: Diagnostic.error("op 'reorder' gives layout nchw16c; a derived parameter is row-major")) {
            try graph.deriveParameter("w.blocked", op: reorder, operands: ["w"], attributes: try reorder.typeArguments([("layout", .string("nchw16c"))]))
        }
        try graph.deriveParameter("w.copy", op: reorder, operands: ["w"], attributes: try reorder.typeArguments([("layout", .string("nchw"))]))
        try Verifier.verify(graph)
    }
}

/// The text form: a layout other than row-major follows the value's shape, and parses back.
@Suite struct LayoutTextTests {
    static func parseError(_ text: String) -> String? {
        do {
            _ = try IRParser.parse(text, file: "t.ir")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func roundTrips() throws {
        let graph = try LayoutTests.chain()
        let text = graph.text
        #expect(text.contains("  %0 = reorder(%x) {layout = nchw16c} : [1, 20, 4, 4] layout(nchw16c) loc(\"to_nchw16c\")\n"))
        #expect(text.contains("  %2 = reorder(%1) {layout = nhwc} : [1, 20, 4, 4] layout(nhwc) loc(\"to_nhwc\")\n"))
        // Row-major is never printed.
        #expect(text.contains("  %3 = reorder(%2) {layout = nchw} : [1, 20, 4, 4] loc(\"to_nchw\")\n"))
        #expect(text.components(separatedBy: "layout(").count == 4)
        let parsed = try IRParser.parse(text, file: "chain.ir")
        #expect(parsed.values == graph.values)
        #expect(parsed.text == text)
    }

    static func graph(input: String = "[1, 20, 4, 4]", _ body: String) -> String {
        "graph @g {\n  input %x : \(input)\n\(body)\n}\n"
    }

    @Test func badLayoutsAreLocatedErrors() {
        #expect(Self.parseError(Self.graph("  %0 = reorder(%x) {layout = nchw16c} : [1, 20, 4, 4] layout(nchw3c)\n  output %0 as \"y\""))
                == "t.ir:3:62: error: a channel block of 3 is not supported; blocks are 2, 4, 8, 16, 32, 64")
        #expect(Self.parseError(Self.graph(input: "[20, 4] layout(nhwc)", "  output %x as \"y\""))
                == "t.ir:2:29: error: layout nhwc applies to rank-4 (NCHW) values only, not rank 2")
        #expect(Self.parseError(Self.graph(input: "[1, 20, 4, 4] layout(nhwc)", "  output %x as \"y\""))
                == "attend: error: graph 'g': input 'x' has layout nhwc; graph inputs and outputs are row-major (nchw)")
        #expect(Self.parseError(Self.graph("  %0 = reorder(%x) {layout = nchw16c} : [1, 20, 4, 4] layout(nchw16c)\n  output %0 as \"y\""))
                == "attend: error: graph 'g': output 'y' has layout nchw16c; graph inputs and outputs are row-major (nchw)")
        // The result of a reorder has its target layout, written out.
        #expect(Self.parseError(Self.graph("  %0 = reorder(%x) {layout = nchw16c} : [1, 20, 4, 4]\n  %1 = reorder(%0) {layout = nchw} : [1, 20, 4, 4]\n  output %1 as \"y\""))
                == "t.ir:3:8: error: node 0 (reorder): op 'reorder' does not write layout nchw (result 0)")
        #expect(Self.parseError(Self.graph("  %0 = reorder(%x) {layout = nchw16c} : [1, 20, 4, 4] layout(nchw16c)\n  %1 = relu(%0) : [1, 20, 4, 4]\n  output %1 as \"y\""))
                == "t.ir:4:8: error: relu: op 'relu' does not read layout nchw16c (operand 0); reorder the value to nchw first")
        #expect(Self.parseError(Self.graph("  %0 = reorder(%x) {layout = nchw17c} : [1, 20, 4, 4]\n  output %0 as \"y\"")) != nil)
    }
}

/// The verifier's layout rules on a graph corrupted after it was built.
@Suite struct LayoutVerifierTests {
    /// x [1, 2, 5, 5] -> relu -> add x -> output; values 0 (x), 1 (relu), 2 (add).
    static func verifierError(_ corrupt: (inout Graph) throws -> Void) throws -> String? {
        var b = TextGraphBuilder("valid")
        let x = b.input("x", [1, 2, 5, 5])
        let y = try b.apply("relu", [x], layer: "act")
        let s = try b.apply("add", [y[0], x], layer: "add")
        b.graph.outputs.append(("y", s[0]))
        try Verifier.verify(b.graph)
        return try AttendIRTests.verifierError(of: b.graph, corrupt)
    }

    @Test func rejectsLayoutsNoOpHandles() throws {
        #expect(try Self.verifierError { $0.values[1].layout = .channelBlocked(16) }
                == "node 0 (relu 'act'): op 'relu' does not write layout nchw16c (result 0)")
        #expect(try Self.verifierError { $0.values[0].layout = .channelsLast }
                == "graph 'valid': input 'x' has layout nhwc; graph inputs and outputs are row-major (nchw)")
        #expect(try Self.verifierError { $0.values[2].layout = .channelsLast }
                == "graph 'valid': output 'y' has layout nhwc; graph inputs and outputs are row-major (nchw)")
        #expect(try Self.verifierError { $0.values[1].layout = .channelBlocked(3) }
                == "graph 'valid': value 1 [1, 2, 5, 5]: a channel block of 3 is not supported; blocks are 2, 4, 8, 16, 32, 64")
        var flat = TextGraphBuilder("flat")
        let relu = try flat.apply("relu", [flat.input("x", [2, 25])])
        flat.graph.values[relu[0].index].layout = .channelsLast
        #expect(throws: Diagnostic.error("graph 'flat': value 1 [2, 25]: layout nhwc applies to rank-4 (NCHW) values only, not rank 2")) {
            try Verifier.verify(flat.graph)
        }
        #expect(try Self.verifierError { _ in } == nil)
    }
}
