import AttendBasic
import AttendFrontend
import Testing

/// Every kind of spec error: one line `FILE:LINE:COL: error: MESSAGE` at the offending node.
struct DiagnosticTests {
    /// Checks that the first line points at `marker` (its `occurrence`-th appearance in the
    /// spec text, 1-based line and column) and that the message contains each fragment.
    func expectError(_ spec: String, at marker: String, occurrence: Int = 1, _ fragments: String..., name: String = "model.yaml",
                     overrides: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        guard let error = SpecHelpers.error(spec, name: name, overrides: overrides) else {
            Issue.record("expected an error, the spec compiled", sourceLocation: sourceLocation)
            return
        }
        var (line, column, seen) = (0, 0, 0)
        for (index, text) in spec.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = Substring(text)
            while let range = rest.range(of: marker) {
                seen += 1
                if seen == occurrence { (line, column) = (index + 1, text.distance(from: text.startIndex, to: range.lowerBound) + 1) }
                rest = rest[range.upperBound...]
            }
        }
        let first = error.description.split(separator: "\n", omittingEmptySubsequences: false)[0]
        #expect(first.hasPrefix(SpecHelpers.directory.path) && first.contains("/\(name):\(line):\(column): error: "),
                "expected \(line):\(column), got: \(error.description)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(first.contains(fragment), "missing '\(fragment)' in: \(first)", sourceLocation: sourceLocation)
        }
    }

    let header = "attend: 1\nname: t\ninputs:\n  x: [1, 8, 6, 6]\nlayers:\n"

    @Test func unknownOpSuggestsTheClosest() {
        expectError(header + "  - c: {op: conv2x, out: 4, kernel: 3}\n", at: "conv2x", "unknown op or block 'conv2x'", "did you mean 'conv2d'?")
    }

    @Test func unknownBareOp() {
        expectError(header + "  - rleu\n", at: "rleu", "unknown op or block 'rleu'", "did you mean 'relu'?")
    }

    @Test func unknownArgumentSuggestsTheClosest() {
        expectError(header + "  - c: {op: conv2d, out: 4, kernal: 3}\n", at: "kernal", "unknown argument 'kernal'", "did you mean 'kernel'?")
    }

    @Test func missingRequiredArgument() {
        expectError(header + "  - c: {op: conv2d, out: 4}\n", at: "c: {op", "needs argument 'kernel'")
    }

    @Test func wrongArgumentType() {
        expectError(header + "  - c: {op: conv2d, out: 4, kernel: 3, bias: 2}\n", at: "2}", "argument 'bias'", "expected bool")
        expectError(header + "  - c: {op: gelu, approximate: fast}\n", at: "fast", "approximate", "none, tanh")
    }

    @Test func nonIntegralIntArgument() {
        expectError(header + "  - c: {op: conv2d, out: 8 / 3, kernel: 3}\n", at: "8 / 3", "non-integral", "2.66")
    }

    @Test func yaml11WordsAreNotBooleans() throws {
        // `on` is a name here, not YAML 1.1's `true`.
        expectError(header + "  - c: {op: conv2d, out: 4, kernel: 3, bias: on}\n", at: "on}", "unknown name 'on'")
        let graph = try SpecHelpers.compile("attend: 1\nname: t\ninputs:\n  N: [1, 4]\nlayers:\n  - on: {op: linear, out: 2}\n")
        #expect(graph.parameters.map(\.name) == ["on.weight", "on.bias"])
    }

    @Test func unknownReference() {
        expectError(header + "  - a: relu\n  - {op: add, from: [a, b2]}\n", at: "b2", "unknown reference 'b2'")
        expectError(header + "  - aa: relu\n  - {op: add, from: [x, ab]}\n", at: "ab]", "did you mean 'aa'?")
    }

    @Test func cycleIsNamed() {
        expectError(header + "  - a: {op: add, from: [x, b]}\n  - b: {op: relu, from: a}\n", at: "a: {op: add", "cycle between layers: a -> b -> a")
    }

    @Test func duplicateLayerName() {
        expectError(header + "  - a: relu\n  - a: sigmoid\n", at: "a: sigmoid", "duplicate layer name 'a'")
        expectError(header + "  - x: relu\n", at: "x: relu", "already the name of an input")
    }

    @Test func shapeMismatchShowsBothShapes() {
        let spec = "attend: 1\nname: t\ninputs:\n  x: [1, 8, 6, 6]\n  y: [1, 4, 6, 6]\nlayers:\n  - {op: add, from: [x, y]}\n"
        expectError(spec, at: "add", "[1, 8, 6, 6]", "[1, 4, 6, 6]")
    }

    @Test func badExpressionPointsAtTheToken() {
        expectError(header + "  - c: {op: conv2d, out: \"4 * * 2\", kernel: 3}\n", at: "* 2", "bad expression")
    }

    @Test func badYAML() {
        expectError("attend: 1\nname: a: b\n", at: ": b", "bad YAML", "mapping values are not allowed")
        expectError("attend: 1\nname: a\nname: b\n", at: "name: b", "duplicate key 'name'")
    }

    @Test func unknownTopLevelKey() {
        expectError("attend: 1\nlayer: []\n", at: "layer:", "unknown top-level key 'layer'", "did you mean 'layers'?")
    }

    @Test func unreadableFile() throws {
        let frontend = try #require(SpecHelpers.standard)
        #expect(throws: Diagnostic.self) { try frontend.compile(path: "/nonexistent/model.yaml") }
        do {
            _ = try frontend.compile(path: "/nonexistent/model.yaml")
        } catch {
            #expect(error.description == "/nonexistent/model.yaml: error: no such file")
        }
    }

    @Test func blockShapePatternMismatchAtTheCaller() {
        let spec = """
        attend: 1
        name: t
        inputs:
          x: [2, 16]
        layers:
          - s: se
        """
        expectError(spec, at: "s: se", "block 'se' expects x: [N, C, H, W], got [2, 16]")
    }

    @Test func blockSymbolBoundTwice() {
        let spec = """
        attend: 1
        name: t
        inputs:
          a: [1, 4, 5, 5]
          b: [1, 6, 5, 5]
        layers:
          - {op: pair, from: [a, b]}
        blocks:
          pair:
            inputs: {x: [N, C, H, W], y: [N, C, H, W]}
            layers:
              - {op: add, from: [x, y]}
        """
        expectError(spec, at: "pair", "expects y: [N, C, H, W], got [1, 6, 5, 5]", "C is 4 from x")
    }

    @Test func recursiveBlocks() {
        let spec = """
        attend: 1
        name: t
        inputs:
          x: [1, 4]
        layers:
          - a: ping
        blocks:
          ping:
            inputs: {x: [N, C]}
            layers:
              - p: pong
          pong:
            inputs: {x: [N, C]}
            layers:
              - p: ping
        """
        expectError(spec, at: "ping", occurrence: 3, "block 'ping' calls itself: ping -> pong -> ping")
    }

    @Test func unknownBlockArgument() {
        expectError(header + "  - s: {op: se, rd_raito: 0.25}\n", at: "rd_raito", "unknown argument 'rd_raito' for block 'se'", "did you mean 'rd_ratio'?")
    }

    @Test func unknownOverride() {
        let spec = "attend: 1\nname: t\nparams: {width: 4}\ninputs:\n  x: [1, width]\nlayers:\n  - relu\n"
        let error = SpecHelpers.error(spec, overrides: ["widht": "3"])
        #expect(error?.description == "--set: error: --set widht: unknown param 'widht' (did you mean 'width'?); known: width")
    }

    @Test func errorInsideABlockNamesTheCallSite() {
        let spec = """
        attend: 1
        name: t
        inputs:
          x: [1, 4, 3, 3]
        layers:
          - b: broken
        blocks:
          broken:
            inputs: {x: [N, C, H, W]}
            layers:
              - c: {op: conv2d, out: C, kernel: 5}
        """
        guard let error = SpecHelpers.error(spec) else { Issue.record("expected an error"); return }
        #expect(error.description.contains("model.yaml:11:9: error: layer 'b.c'"))
        #expect(error.notes.contains { $0.message.contains("in block 'broken'") && $0.location?.line == 6 })
    }

    /// A block's `require:` is the PyTorch module's assert: an error at the call site with the
    /// module's message and the values, a note at the requirement.
    @Test func requirementFailsAtTheCaller() {
        let spec = "attend: 1\nname: t\ninputs:\n  x: [2, 5, 63]\nlayers:\n  - attn: {op: mhsa, num_heads: 2}\n"
        expectError(spec, at: "attn:", "block 'mhsa' called as 'attn': dim should be divisible by num_heads",
                    "requires attn_head_dim or C % num_heads == 0; attn_head_dim = None, C = 63, num_heads = 2")
        #expect(SpecHelpers.error(spec)?.notes.first?.location?.file.hasSuffix("spatial/mhsa.yaml") == true)
        // attn_head_dim lifts the requirement, as in timm.
        #expect(SpecHelpers.error(spec.replacingOccurrences(of: "num_heads: 2}", with: "num_heads: 2, attn_head_dim: 8}")) == nil)
        let own = header + "  - b: {op: odd, k: 4}\nblocks:\n  odd:\n    args: {k: 3}\n    inputs: {x: [N, C, H, W]}\n"
            + "    require: {\"k % 2 == 1\": kernel_size must be odd}\n    layers:\n      - relu\n"
        expectError(own, at: "b: {op", "kernel_size must be odd (requires k % 2 == 1; k = 4)")
        expectError(own.replacingOccurrences(of: "kernel_size must be odd}", with: "[1]}"), at: "[1]", "expected a message")
    }

    @Test func messagesStayOnOneLine() {
        guard let error = SpecHelpers.error(header + "  - \"a\\nb\": relu\n  - {op: add, from: [\"c\\nd\", x]}\n") else {
            Issue.record("expected an error"); return
        }
        #expect(error.description.split(separator: "\n").count == 1 + error.notes.count)
    }
}
