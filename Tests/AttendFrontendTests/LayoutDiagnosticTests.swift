import Testing

/// reorder in a model file: a stored layout reaches only ops that handle it, and a model's
/// outputs are row-major, each an error at the layer (or output) that breaks the rule.
extension DiagnosticTests {
    @Test func anOpReadingALayoutItDoesNotHandleIsAnError() {
        expectError(header + "  - blocked: {op: reorder, layout: nchw8c}\n  - act: relu\n", at: "act",
                    "op 'relu' does not read layout nchw8c (operand 0); reorder the value to nchw first")
    }

    @Test func aModelOutputIsRowMajor() {
        expectError(header + "  - act: relu\n  - last: {op: reorder, layout: nhwc}\n", at: "last",
                    "output 'last' is stored as nhwc; model outputs are row-major: reorder it to nchw")
        expectError(header + "  - blocked: {op: reorder, layout: nchw16c}\n  - back: {op: reorder, layout: nchw}\noutputs: [blocked]\n",
                    at: "blocked", occurrence: 2, "output 'blocked' is stored as nchw16c")
    }

    @Test func reorderTakesAKnownLayout() {
        expectError(header + "  - blocked: {op: reorder, layout: nchw12c}\n", at: "nchw12c", "expected one of nchw, nhwc, nchw2c")
    }

    @Test func aReorderedRegionCompiles() throws {
        let graph = try SpecHelpers.compile(header + "  - blocked: {op: reorder, layout: nchw8c}\n  - back: {op: reorder, layout: nchw}\n  - act: relu\n")
        #expect(graph.nodes.map(\.op.name) == ["reorder", "reorder", "relu"])
    }
}
