import AttendBasic
import AttendSpec

/// The spec front end's reading stages: bytes to text (UTF-8 located), YAML (aliases, node
/// and depth limits) and the spec syntax tree.
func fuzzOne(_ bytes: [UInt8]) {
    guard let text = try? SourceText.decode(bytes, file: "fuzz.yaml") else { return }
    _ = try? SpecParser.parse(text: text, path: "fuzz.yaml")
}

func warmUp() {
    fuzzOne(Array("attend: 1\nname: m\ninputs: {x: [1, 2]}\nlayers: [relu, {op: add, from: [_, x]}]\n".utf8))
    fuzzOne(Array("a: &a [1]\nb: *a\n".utf8))
    fuzzOne(Array("a: [\n".utf8))
}
