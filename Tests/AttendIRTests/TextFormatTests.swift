import Testing
import AttendBasic
import AttendIR

/// Builds graphs node by node through `Graph.apply`, as the frontend does.
struct TextGraphBuilder {
    var graph: Graph

    init(_ name: String) { graph = Graph(name: name) }

    mutating func input(_ name: String, _ shape: [Int]) -> ValueID {
        graph.addInput(name: name, shape: shape)
    }

    @discardableResult
    mutating func apply(_ opName: String, _ inputs: [ValueID], _ given: KeyValuePairs<String, ArgValue> = [:],
                        layer: String = "") throws -> [ValueID] {
        let op = try #require(OpRegistry.op(named: opName), "op \(opName) is registered")
        let attributes = try op.typeArguments(given.map { (name: $0.key, value: $0.value) })
        return try graph.apply(op, inputs: inputs, attributes: attributes, layer: layer)
    }

    /// A squeeze-excitation block with a GELU tail, a scalar multiply and (when registered)
    /// batchnorm and split: convs with and without parameters, multi-output nodes, choices.
    static func seBlock() throws -> Graph {
        var b = TextGraphBuilder("se_block")
        let x = b.input("x", [2, 24, 7, 5])
        let pooled = try b.apply("mean", [x], ["axes": .ints([2, 3]), "keepdim": .bool(true)], layer: "se.pool")
        let fc1 = try b.apply("conv2d", pooled, ["out": .int(8), "kernel": .int(1)], layer: "se.fc1")
        let act = try b.apply("relu", fc1, layer: "se.act")
        let fc2 = try b.apply("conv2d", act, ["out": .int(24), "kernel": .int(1), "bias": .bool(false)], layer: "se.fc2")
        let gate = try b.apply("sigmoid", fc2, layer: "se.gate")
        let scaled = try b.apply("mul", [x, gate[0]], layer: "se.scale")
        let gelu = try b.apply("gelu", scaled, ["approximate": .string("tanh")], layer: "act")
        var tail = try b.apply("mul", gelu, ["other": .float(0.1)], layer: "half")
        if OpRegistry.op(named: "batchnorm") != nil {
            tail = try b.apply("batchnorm", tail, ["eps": .float(1e-3)], layer: "bn")
        }
        let sum = try b.apply("add", [tail[0], x])
        b.graph.outputs.append(("se", sum[0]))
        if OpRegistry.op(named: "split") != nil {
            let parts = try b.apply("split", sum, ["sizes": .ints([10, 14]), "axis": .int(1)], layer: "parts")
            b.graph.outputs.append(("part1", parts[1]))
        }
        return b.graph
    }
}

/// Field-by-field equality of two graphs (ops by name; source locations are not structure).
fileprivate func expectSameStructure(_ a: Graph, _ b: Graph, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(a.name == b.name, sourceLocation: sourceLocation)
    #expect(a.values == b.values, sourceLocation: sourceLocation)
    #expect(a.inputs.map(\.name) == b.inputs.map(\.name) && a.inputs.map(\.value) == b.inputs.map(\.value), sourceLocation: sourceLocation)
    #expect(a.outputs.map(\.name) == b.outputs.map(\.name) && a.outputs.map(\.value) == b.outputs.map(\.value), sourceLocation: sourceLocation)
    #expect(a.parameters == b.parameters, sourceLocation: sourceLocation)
    #expect(a.nodes.count == b.nodes.count, sourceLocation: sourceLocation)
    for (x, y) in zip(a.nodes, b.nodes) {
        #expect(x.op.name == y.op.name && x.inputs == y.inputs && x.outputs == y.outputs, sourceLocation: sourceLocation)
        #expect(x.attributes == y.attributes && x.layer == y.layer, sourceLocation: sourceLocation)
        #expect(x.parameters.map(\.slot) == y.parameters.map(\.slot) && x.parameters.map(\.name) == y.parameters.map(\.name),
                sourceLocation: sourceLocation)
    }
}

/// The diagnostic parsing `text` throws, or nil when it parses.
fileprivate func parseError(_ text: String) -> Diagnostic? {
    do {
        _ = try IRParser.parse(text, file: "t.ir")
        return nil
    } catch {
        return error
    }
}

@Suite struct TextFormatTests {
    @Test func roundTripsTheSEBlock() throws {
        let graph = try TextGraphBuilder.seBlock()
        try Verifier.verify(graph)
        let text = graph.text
        let parsed = try IRParser.parse(text, file: "se.ir")
        #expect(parsed.text == text)
        expectSameStructure(graph, parsed)
        // Node lines follow the graph line, the inputs and the parameters.
        let line = 1 + graph.inputs.count + graph.parameters.count + 2
        #expect(parsed.nodes[1].location == AttendBasic.SourceLocation(file: "se.ir", line: line, column: 8))
    }

    @Test func printsTheDocumentedForm() throws {
        var b = TextGraphBuilder("tiny")
        let x = b.input("x", [1, 3, 4, 4])
        let y = try b.apply("conv2d", [x], ["out": .int(2), "kernel": .int(3), "pad": .int(1)], layer: "stem.conv")
        let z = try b.apply("gelu", y, ["approximate": .string("tanh")], layer: "stem.act")
        let w = try b.apply("mul", z, ["other": .float(0.1)])
        b.graph.outputs.append(("out", w[0]))
        b.graph.parameters[0].ignoredKeys = ["stem.conv.extra"]
        #expect(b.graph.text == """
            graph @tiny {
              input %x : [1, 3, 4, 4]
              param @"stem.conv.weight" : [2, 3, 3, 3] init uniform_fan_in(27) ignoring "stem.conv.extra"
              param @"stem.conv.bias" : [2] init uniform_fan_in(27)
              %0 = conv2d(%x) {out = 2, kernel = [3, 3], stride = [1, 1], pad = [1, 1], dilation = [1, 1], groups = 1, bias = true} \
            params(weight = @"stem.conv.weight", bias = @"stem.conv.bias") : [1, 2, 4, 4] loc("stem.conv")
              %1 = gelu(%0) {approximate = tanh} : [1, 2, 4, 4] loc("stem.act")
              %2 = mul(%1) {other = 0.1} : [1, 2, 4, 4]
              output %2 as "out"
            }

            """)
        expectSameStructure(b.graph, try IRParser.parse(b.graph.text, file: "tiny.ir"))
    }

    @Test func hostileNamesRoundTrip() throws {
        let hostile = "a\"b\\c\n} d\t\u{7}\u{2028}é🙂"
        var b = TextGraphBuilder("g{\"\n}")
        let x = b.input("weird name", [1, 2, 3, 3])
        let zero = b.input("0", [1, 2, 3, 3])
        let empty = b.input("", [1])
        let y = try b.apply("conv2d", [x], ["out": .int(2), "kernel": .int(1)], layer: hostile)
        let s = try b.apply("add", [y[0], zero])
        let t = try b.apply("add", [s[0], empty])
        let gelu = try b.apply("gelu", t, ["approximate": .string("none")], layer: "\"")
        b.graph.outputs.append(("out\n\"x\"", gelu[0]))
        b.graph.outputs.append(("", s[0]))
        b.graph.parameters[0].ignoredKeys = ["}\n", ""]
        try Verifier.verify(b.graph)
        let text = b.graph.text
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == b.graph.inputs.count
                + b.graph.parameters.count + b.graph.nodes.count + b.graph.outputs.count + 3)
        #expect(text.contains("%\"weird name\""))
        #expect(text.contains("add(%0, %\"0\")") == false && text.contains("= add(%1, %0)"))
        let parsed = try IRParser.parse(text, file: "h.ir")
        #expect(parsed.text == text)
        expectSameStructure(b.graph, parsed)
    }

    @Test func floatsAndInitializersRoundTripExactly() throws {
        var b = TextGraphBuilder("floats")
        let x = b.input("x", [2, 3])
        var v = x
        for (index, scalar) in [0.1, 1e-300, -2.5e17, 1.0 / 3.0, .leastNonzeroMagnitude, -0.0, .greatestFiniteMagnitude].enumerated() {
            v = try b.apply("mul", [v], ["other": .float(scalar)], layer: "m\(index)")[0]
        }
        b.graph.outputs.append(("y", v))
        b.graph.parameters = [
            Parameter(name: "free.a", shape: [3], initializer: .constant(0.1)),
            Parameter(name: "free.b", shape: [], initializer: .normal(std: 0.02)),
            Parameter(name: "free.c", shape: [2, 2], initializer: .constant(.infinity)),
        ]
        let parsed = try IRParser.parse(b.graph.text, file: "f.ir")
        #expect(parsed.text == b.graph.text)
        expectSameStructure(b.graph, parsed)
    }

    @Test func parsesHandWrittenText() throws {
        let graph = try IRParser.parse("""

            // A comment line.
            graph @hand {
              input %in : [1, 4]   // trailing comment

              %a = relu(%in) : [1, 4]
              %"b c" = "add"(%a, %in) {other = None} : [1, 4] loc("x.add")
              output %"b c" as out
            }
            """, file: "hand.ir")
        #expect(graph.nodes.map(\.op.name) == ["relu", "add"])
        #expect(graph.outputs.map(\.name) == ["out"])
        #expect(graph.nodes[1].layer == "x.add")
    }

    @Test(arguments: [
        ("%0 = conv2(%x) : [1, 2, 3, 3]", "3:8", "unknown op 'conv2' (did you mean 'conv2d'?)"),
        ("%0 = relu(%y) : [1, 2, 3, 3]", "3:13", "undefined value %y (did you mean %x?)"),
        ("%x = relu(%x) : [1, 2, 3, 3]", "3:3", "value %x is redefined (first defined at line 2)"),
        ("%0 = relu(%x) : [1, 2, 3, 4]", "3:19", "is declared [1, 2, 3, 4] but infers [1, 2, 3, 3]"),
        ("%0 = gelu(%x) {approximate = fast} : [1, 2, 3, 3]", "3:18", "expected one of none, tanh, got 'fast'"),
        ("%0 = mean(%x) {keepdim = 3} : [1, 2, 3, 3]", "3:18", "argument 'keepdim' of 'mean': expected bool, got int 3"),
        ("%0 = mean(%x) {kepdim = true} : [1, 2, 3, 3]", "3:18", "unknown argument 'kepdim' for op 'mean' (did you mean 'keepdim'?)"),
        ("%0 = relu(%x) {keepdim = true, keepdim = true} : [1, 2, 3, 3]", "3:34", "attribute 'keepdim' is given twice"),
        ("%0 = add(%x, %x, %x) : [1, 2, 3, 3]", "3:8", "takes 1 to 2 inputs, got 3"),
        ("%0, %1 = relu(%x) : [1, 2, 3, 3]", "3:3", "relu produces 1 result(s), but the line gives 2 names"),
        ("%0 = relu(%x) : [1, 2, 3, 3], [1]", "3:19", "but the line gives 2 shape(s)"),
        ("%0 = relu(%x) : [1, 2, 3, 3] loc(\"a\nb\")", "3:36", "unterminated string"),
        ("%0 = relu(%x) {a = \"\\q\"} : [1]", "3:22", "unknown escape \\q"),
        ("%0 = relu(%x) : [1, 2, 3, 3] extra", "3:32", "expected end of line, got 'extra'"),
        ("%0 = mean(%x) {axes = [1, 2.5]} : [1]", "3:18", "expected a whole number in the list, got 2.5"),
        ("%0 = conv2d(%x) {out = 99999999999, kernel = 1} : [1]", "3:20", "out of range"),
        ("%0 = relu(%x) {x = 99999999999999999999} : [1]", "3:22", "integer 99999999999999999999 is out of range"),
        ("%0 = relu(%x) : [1, 2, 3, 3] $", "3:32", "unexpected character \"$\""),
        ("input %big : [100000, 100000, 1000]", "3:33", "shape has more than"),
        ("output %x as \"a\"\n  output %x as \"a\"", "4:16", "output name \"a\" is used twice"),
    ] as [(String, String, String)])
    func reportsLocatedErrors(line: String, position: String, message: String) throws {
        let text = "graph @g {\n  input %x : [1, 2, 3, 3]\n  \(line)\n}\n"
        let error = try #require(parseError(text), "\(line) should not parse")
        #expect(error.description.hasPrefix("t.ir:\(position): error: "), "\(error)")
        #expect(error.message.contains(message), "\(error)")
    }

    @Test func reportsParameterErrors() throws {
        let header = "graph @g {\n  input %x : [1, 2, 3, 3]\n"
        let weight = "  param @\"c.weight\" : [4, 2, 1, 1] init uniform_fan_in(2)\n"
        let conv = "%0 = conv2d(%x) {out = 4, kernel = 1, bias = false}"
        func error(_ lines: String) throws -> Diagnostic {
            try #require(parseError(header + lines + "}\n"))
        }
        // Bindings may name any declared parameter of the right shape (the optimizer binds
        // derived ones), but it must be declared, and every slot must be bound.
        let misnamed = try error(weight + "  \(conv) params(weight = @w) : [1, 4, 3, 3] loc(\"c\")\n")
        #expect(misnamed.message.contains("parameter @w is not declared"), "\(misnamed)")
        #expect(misnamed.location?.line == 4)
        let undeclared = try error("  \(conv) params(weight = @\"c.weight\") : [1, 4, 3, 3] loc(\"c\")\n")
        #expect(undeclared.message.contains("not declared"), "\(undeclared)")
        let wrongShape = try error("  param @\"c.weight\" : [4, 2, 3, 3] init uniform_fan_in(2)\n"
                                   + "  \(conv) params(weight = @\"c.weight\") : [1, 4, 3, 3] loc(\"c\")\n")
        #expect(wrongShape.message.contains("declared [4, 2, 3, 3] but conv2d 'c' needs [4, 2, 1, 1]"), "\(wrongShape)")
        let missing = try error(weight + "  \(conv) : [1, 4, 3, 3] loc(\"c\")\n")
        #expect(missing.message.contains("has parameter slots (weight), but the line gives params()"), "\(missing)")
        let twice = try error(weight + weight)
        #expect(twice.message.contains("declared twice"), "\(twice)")
        let derivedWrongShape = try error(weight + "  param @d : [4, 2] = reshape(@\"c.weight\") {shape = [8]}\n")
        #expect(derivedWrongShape.message.contains("derived parameter @d"), "\(derivedWrongShape)")
        let derivedUndeclared = try error("  param @d : [2] = neg(@nothing)\n")
        #expect(derivedUndeclared.message.contains("@nothing is not declared"), "\(derivedUndeclared)")
        let badInit = try error("  param @p : [1] init uniform_fanin(3)\n")
        #expect(badInit.message.contains("unknown initializer 'uniform_fanin' (did you mean 'uniform_fan_in'?)"), "\(badInit)")
        // A declared but unbound parameter is kept, as the verifier allows it.
        let free = try IRParser.parse(header + weight + "}\n", file: "t.ir")
        #expect(free.parameters.map(\.name) == ["c.weight"])
    }

    @Test func reportsStructuralErrors() {
        #expect(parseError("")?.message == "expected 'graph', got end of file")
        #expect(parseError("graph @g {\n  input %x : [1]\n")?.message.contains("is not closed") == true)
        #expect(parseError("graph @g {\n}\ngraph @h {\n}\n")?.message == "expected end of file after the graph, got 'graph'")
        #expect(parseError("graph @g { input %x : [1]\n}\n")?.message == "expected end of line, got 'input'")
        #expect(parseError("graph @g {\n  input %x : [-1]\n}\n")?.message.contains("dimension -1 is out of range") == true)
        #expect(parseError("graph @g {\n  output %x as \"y\"\n}\n")?.message == "undefined value %x")
        #expect(parseError("graph @g {\n}\n") == nil)
    }

    /// Truncations and single-character corruptions of valid text never trap: they parse or
    /// throw a located diagnostic.
    @Test func neverTrapsOnCorruptedText() throws {
        let text = try TextGraphBuilder.seBlock().text
        let scalars = Array(text.unicodeScalars)
        var random = SeededRandom(seed: 7, name: "ir-fuzz")
        let alphabet = Array("%@\"\\{}()[],=:-0123456789.e xn\n".unicodeScalars)
        // Every truncation before the closing brace leaves the graph unclosed: a located error.
        let closing = try #require(scalars.lastIndex(of: "}"))
        for cut in stride(from: 0, through: closing, by: 3) {
            let error = parseError(String(String.UnicodeScalarView(scalars[..<cut])))
            #expect(error?.location != nil, "truncated at \(cut): \(error.map(\.description) ?? "parsed")")
        }
        var rejected = 0
        for _ in 0..<1500 {
            var mutated = scalars
            let index = Int.random(in: 0..<mutated.count, using: &random)
            let replacement = alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
            switch index % 3 {
            case 0: mutated.remove(at: index)
            case 1: mutated.insert(replacement, at: index)
            default: mutated[index] = replacement
            }
            if let error = parseError(String(String.UnicodeScalarView(mutated))) {
                #expect(error.location != nil, "\(error)")
                rejected += 1
            }
        }
        // The corruptions reach the error paths (most single-character damage is an error).
        #expect(rejected > 1000, "only \(rejected) of 1500 corruptions were rejected")
    }

    @Test func dotShowsNodesEdgesAndGroups() throws {
        var b = TextGraphBuilder("say \"hi\"")
        let x = b.input("x\"y", [1, 2, 3, 3])
        let y = try b.apply("conv2d", [x], ["out": .int(2), "kernel": .int(1)], layer: "c\"1\\")
        let z = try b.apply("relu", y, layer: "act")
        b.graph.outputs.append(("out", z[0]))
        let dot = b.graph.dot(groups: [[0, 1], [7]])
        #expect(dot.hasPrefix("digraph \"say \\\"hi\\\"\" {"))
        #expect(dot.contains("in0 [shape=ellipse, style=filled, fillcolor=\"#e8e8e8\", label=\"x\\\"y\\n[1, 2, 3, 3]\"];"))
        #expect(dot.contains("n0 [shape=box, label=\"conv2d\\nc\\\"1\\\\\\n[1, 2, 3, 3]\\nparams: weight, bias (6)\"];"))
        #expect(dot.contains("in0 -> n0 [label=\"[1, 2, 3, 3]\"];"))
        #expect(dot.contains("n0 -> n1 [label=\"[1, 2, 3, 3]\"];"))
        #expect(dot.contains("n1 -> out0 [label=\"[1, 2, 3, 3]\"];"))
        #expect(dot.contains("subgraph cluster_0 {"))
        #expect(!dot.contains("cluster_1"))
        #expect(dot == b.graph.dot(groups: [[0, 1], [7]]))
        #expect(!b.graph.dot().contains("subgraph"))
        // Every quote inside a label is escaped: unescaped quotes pair up on each line.
        for line in dot.split(separator: "\n") {
            var quotes = 0, escaped = false
            for c in line {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { quotes += 1 }
            }
            #expect(quotes % 2 == 0, "\(line)")
        }
    }
}
