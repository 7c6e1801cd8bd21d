import AttendBasic
import AttendIR

/// The textual IR parser and verifier, then printing and re-parsing what parsed.
func fuzzOne(_ bytes: [UInt8]) {
    guard let text = try? SourceText.decode(bytes, file: "fuzz.ir") else { return }
    guard let graph = try? IRParser.parse(text, file: "fuzz.ir") else { return }
    let printed = graph.text
    guard let again = try? IRParser.parse(printed, file: "printed.ir") else { preconditionFailure("printed IR does not parse") }
    precondition(again.text == printed, "printing is not stable")
}

func warmUp() {
    let text = """
        graph @warm {
          input %x : [1, 4, 4, 4]
          param @w : [4, 4, 3, 3] init constant(0.0)
          %0 = conv2d(%x) {out = 4, kernel = [3, 3], pad = [1, 1], bias = false} params(weight = @w) : [1, 4, 4, 4]
          %1 = relu(%0) : [1, 4, 4, 4]
          output %1
        }

        """
    fuzzOne(Array(text.utf8))
    fuzzOne(Array("graph @g {\n  %0 = nosuch()\n}\n".utf8))
    _ = OpRegistry.names
}
