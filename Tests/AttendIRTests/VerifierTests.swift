import Testing
import AttendBasic
import AttendIR

/// A graph that verifies: conv (with parameters) -> relu -> add with the input -> output.
/// Node 0 is `conv2d 'stem.conv'`, value 0 the input, values 1...3 the node outputs.
private func validGraph() throws -> Graph {
    var b = TextGraphBuilder("valid")
    let x = b.input("x", [1, 2, 5, 5])
    let y = try b.apply("conv2d", [x], ["out": .int(2), "kernel": .int(3), "pad": .int(1)], layer: "stem.conv")
    let z = try b.apply("relu", y, layer: "stem.act")
    let s = try b.apply("add", [z[0], x], layer: "stem.add")
    b.graph.outputs.append(("y", s[0]))
    return b.graph
}

/// The verifier's message for the valid graph corrupted by `corrupt`, or nil when it still verifies.
private func verifierError(_ corrupt: (inout Graph) throws -> Void) throws -> String? {
    try verifierError(of: try validGraph(), corrupt)
}

/// The verifier's message for `graph` corrupted by `corrupt`, or nil when it still verifies.
func verifierError(of graph: Graph, _ corrupt: (inout Graph) throws -> Void) throws -> String? {
    var graph = graph
    try corrupt(&graph)
    do {
        try Verifier.verify(graph)
        return nil
    } catch {
        return error.message
    }
}

@Suite struct VerifierTests {
    @Test func acceptsBuiltAndParsedGraphs() throws {
        try Verifier.verify(try validGraph())
        try Verifier.verify(try TextGraphBuilder.seBlock())
        try Verifier.verify(Graph(name: "empty"))
    }

    @Test func catchesWrongRecordedShape() throws {
        let message = try verifierError { $0.values[2].shape = [1, 2, 5, 4] }
        #expect(message == "node 1 (relu 'stem.act'): output 0 (value 2) is recorded as [1, 2, 5, 4] but infers [1, 2, 5, 5]")
    }

    @Test func catchesUseBeforeDefinition() throws {
        let swapped = try verifierError { $0.nodes.swapAt(0, 1) }
        #expect(swapped == "node 0 (relu 'stem.act'): input 0 uses value 1 before it is defined")
        let outOfRange = try verifierError { $0.nodes[1].inputs = [ValueID(42)] }
        #expect(outOfRange?.contains("input 0 is value 42, which does not exist (the graph has 4 values)") == true)
    }

    @Test func catchesValuesDefinedTwiceOrNever() throws {
        let twice = try verifierError { $0.nodes[1].outputs = [ValueID(1)] }
        #expect(twice == "node 1 (relu 'stem.act') redefines value 1, already defined by node 0 (conv2d 'stem.conv')")
        let never = try verifierError { _ = $0.makeValue(shape: [3]) }
        #expect(never == "graph 'valid': value 4 [3] is never defined (no input or node output produces it)")
        let input = try verifierError { $0.inputs.append(("x2", ValueID(1))) }
        #expect(input?.contains("redefines value 1, already defined by input 'x2'") == true)
    }

    @Test func catchesBadArity() throws {
        let message = try verifierError { $0.nodes[1].inputs = [ValueID(0), ValueID(0)] }
        #expect(message == "node 1 (relu 'stem.act'): op 'relu' takes 1 input, got 2")
    }

    @Test func catchesIncompleteOrMistypedAttributes() throws {
        let required = try verifierError { $0.nodes[0].attributes["out"] = nil }
        #expect(required == "node 0 (conv2d 'stem.conv'): op 'conv2d' needs argument 'out' (int)")
        let defaulted = try verifierError { $0.nodes[0].attributes["stride"] = nil }
        #expect(defaulted == "node 0 (conv2d 'stem.conv'): attribute 'stride' is missing (the schema default is [1, 1])")
        let uncanonical = try verifierError { $0.nodes[0].attributes["kernel"] = .int(3) }
        #expect(uncanonical == "node 0 (conv2d 'stem.conv'): attribute 'kernel' is int 3, but the schema types it as list [3, 3]")
        let mistyped = try verifierError { $0.nodes[0].attributes["bias"] = .int(1) }
        #expect(mistyped == "node 0 (conv2d 'stem.conv'): argument 'bias' of 'conv2d': expected bool, got int 1")
        let unknown = try verifierError { $0.nodes[1].attributes["alpha"] = .float(1) }
        #expect(unknown?.hasPrefix("node 1 (relu 'stem.act'): unknown argument 'alpha' for op 'relu'") == true)
        let reordered = try verifierError { graph in
            let out = graph.nodes[0].attributes["out"]
            graph.nodes[0].attributes["out"] = nil
            graph.nodes[0].attributes["out"] = out
        }
        #expect(reordered?.contains("attributes are not in schema order") == true)
    }

    @Test func catchesFailingShapeInference() throws {
        let message = try verifierError { $0.nodes[0].attributes["groups"] = .int(3) }
        #expect(message?.hasPrefix("node 0 (conv2d 'stem.conv'): shape inference fails: conv2d groups=3") == true)
    }

    @Test func catchesParameterProblems() throws {
        let shape = try verifierError { $0.parameters[0].shape = [2, 2, 1, 1] }
        #expect(shape == "node 0 (conv2d 'stem.conv'): parameter 'stem.conv.weight' (slot 'weight') has shape [2, 2, 1, 1] but the op needs [2, 2, 3, 3]")
        let missing = try verifierError { $0.parameters.remove(at: 1) }
        #expect(missing?.hasPrefix("node 0 (conv2d 'stem.conv'): slot 'bias' names parameter 'stem.conv.bias', which the graph does not have") == true)
        let unbound = try verifierError { $0.nodes[0].parameters.removeLast() }
        #expect(unbound == "node 0 (conv2d 'stem.conv'): parameter slot 'bias' is not bound")
        let extra = try verifierError { $0.nodes[1].parameters = [(slot: "weight", name: "stem.conv.weight")] }
        #expect(extra == "node 1 (relu 'stem.act'): binds unknown parameter slot 'weight'; it has no parameters")
        let duplicate = try verifierError { $0.parameters.append($0.parameters[0]) }
        #expect(duplicate == "graph 'valid': parameter 'stem.conv.weight' is defined twice")
        let free = try verifierError { $0.parameters.append(Parameter(name: "free", shape: [3], initializer: .constant(0))) }
        #expect(free == nil)
    }

    @Test func catchesBadInputsAndOutputs() throws {
        let undefined = try verifierError { $0.outputs.append(("z", ValueID(9))) }
        #expect(undefined == "graph 'valid': output 'z' is value 9, which does not exist (the graph has 4 values)")
        let duplicateOutput = try verifierError { $0.outputs.append(("y", ValueID(1))) }
        #expect(duplicateOutput == "graph 'valid': output name 'y' is used twice")
        let duplicateInput = try verifierError { graph in _ = graph.addInput(name: "x", shape: [1]) }
        #expect(duplicateInput == "graph 'valid': input name 'x' is used twice")
    }

    @Test func locatesNodeErrors() throws {
        var graph = try validGraph()
        graph.nodes[1].location = SourceLocation(file: "net.yaml", line: 4, column: 7)
        graph.values[2].shape = [1]
        do {
            try Verifier.verify(graph)
            Issue.record("corrupted graph verified")
        } catch {
            #expect(error.description.hasPrefix("net.yaml:4:7: error: node 1 (relu 'stem.act')"))
        }
    }

    @Test func printsCorruptedGraphsWithoutTrapping() throws {
        var graph = try validGraph()
        graph.nodes[1].inputs = [ValueID(-1), ValueID(99)]
        graph.outputs.append(("bad", ValueID(1000)))
        #expect(graph.text.contains("relu(%\"<undefined value -1>\", %\"<undefined value 99>\")"))
        #expect(graph.dot().contains("n1 [shape=box"))
    }
}
