import AttendBasic
import AttendIR
import AttendSpec

/// What names mean while one layer list is elaborated: expression values (params, block
/// args, lets, shape symbols) and tensors (inputs and layers, by name).
struct Scope {
    var env: [String: ExprValue]
    /// Tensor names: inputs, layers, repeat copies (`NAME.0`). A multi-output layer maps to
    /// all of its outputs; `NAME.K` picks one.
    var tensors: [String: [ValueID]] = [:]
    /// The inputs in declaration order, for a first layer without `from`.
    var inputNames: [String] = []
    /// Layer path prefix (`layer1.0.se`), empty at the model's top level.
    var path: String
    /// The enclosing block's argument names (the model's params at the top level), which
    /// `forward:` may pass on.
    var argumentNames: [String] = []
    /// Calls that led here, innermost last, for "in block ... called at" notes.
    var callStack: [(block: String, location: SourceLocation)] = []

    func qualified(_ name: String) -> String {
        path.isEmpty ? name : path + "." + name
    }

    /// Resolves a `from` reference: a name, a repeat copy, or `NAME.K` for output K.
    func resolve(_ reference: SpecScalar) throws(Diagnostic) -> [ValueID] {
        let text = reference.text
        if let values = tensors[text] { return values }
        if let dot = text.lastIndex(of: "."), let k = Int(text[text.index(after: dot)...]),
           let values = tensors[String(text[..<dot])] {
            guard k >= 0, k < values.count else {
                throw .error("'\(text[..<dot])' has \(values.count) output\(values.count == 1 ? "" : "s"); '\(text)' is out of range", at: reference.location)
            }
            return [values[k]]
        }
        throw .error("unknown reference '\(text)'\(didYouMean(text, in: tensors.keys))", at: reference.location)
    }
}
