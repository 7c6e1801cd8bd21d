import Testing
import AttendBasic
import AttendIR

/// IR text from an attacker (or a fuzzer): every registered op with degenerate attribute
/// values (0, -1, huge) and inputs of every small rank must give a located diagnostic,
/// never a trap. Before the fix, `conv2d {groups = 0}` divided by zero and a rank-1 conv
/// input indexed out of range while the parser asked for the op's parameter slots.
@Suite struct HostileIRTests {
    /// Degenerate values for one argument of this kind, as IR attribute text.
    static func hostileValues(_ kind: ArgKind) -> [String] {
        switch kind {
        case .int, .optionalInt: return ["0", "-1", "16777216"]
        case .ints(let count?): return ["0", "-1", "[" + Array(repeating: "0", count: count).joined(separator: ", ") + "]"]
        case .ints(nil): return ["[]", "[0]", "[-1, -1]", "[0, 0, 0, 0, 0, 0, 0, 0, 0]"]
        case .float, .floats: return ["0.0", "-1.0", "nan"]
        case .bool, .choice: return []
        }
    }

    static func shape(rank: Int) -> String {
        "[" + Array(repeating: "2", count: rank).joined(separator: ", ") + "]"
    }

    static func text(op: String, rank: Int, inputs: Int, attribute: String?) -> String {
        var lines = ["graph @hostile {"]
        for i in 0..<inputs { lines.append("  input %x\(i) : \(shape(rank: rank))") }
        lines.append("  param @w : [2, 2, 1, 1] init constant(0.0)")
        let operands = (0..<inputs).map { "%x\($0)" }.joined(separator: ", ")
        let attributes = attribute.map { " {\($0)}" } ?? ""
        lines.append("  %y = \(op)(\(operands))\(attributes) params(weight = @w) : [2]")
        lines.append("  output %y")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func everyOpWithDegenerateAttributesAndRanksIsALocatedError() throws {
        var cases = 0
        for op in OpRegistry.all {
            let arities = (0...3).filter { op.arity.accepts($0) }
            var attributes: [String?] = [nil]
            for argument in op.arguments {
                attributes += Self.hostileValues(argument.kind).map { "\(argument.name) = \($0)" }
            }
            for inputs in arities {
                for rank in [0, 1, 2, 3, 4, 5] {
                    for attribute in attributes {
                        let text = Self.text(op: op.name, rank: rank, inputs: inputs, attribute: attribute)
                        cases += 1
                        do {
                            _ = try IRParser.parse(text, file: "hostile.ir")
                            // Parsing may only succeed if the printed shape happened to be right.
                        } catch {
                            #expect(error.location?.line ?? 0 >= 1, "\(op.name): \(error.message)")
                        }
                    }
                }
            }
        }
        #expect(cases > 1000)
    }

    @Test func convWithZeroGroupsNamesTheProblemAtTheNode() throws {
        let text = """
        graph @g {
          input %x : [1, 4, 4, 4]
          param @w : [4, 4, 3, 3] init constant(0.0)
          %0 = conv2d(%x) {out = 4, kernel = [3, 3], pad = [1, 1], groups = 0, bias = false} params(weight = @w) : [1, 4, 4, 4]
          output %0
        }

        """
        let error = try #require(throws: Diagnostic.self) { try IRParser.parse(text, file: "g.ir") }
        #expect(error.message.contains("groups=0"))
        #expect(error.location?.line == 4)
    }

    @Test func rankOneConvInputIsAnErrorNotATrap() throws {
        for rank in 0...1 {
            let text = """
            graph @g {
              input %x : \(Self.shape(rank: rank))
              param @w : [4, 4, 3, 3] init constant(0.0)
              %0 = conv2d(%x) {out = 4, kernel = [3, 3]} params(weight = @w) : [1, 4, 4, 4]
              output %0
            }

            """
            let error = try #require(throws: Diagnostic.self) { try IRParser.parse(text, file: "g.ir") }
            #expect(error.message.contains("expects input [N, C, H, W]"))
        }
    }
}
