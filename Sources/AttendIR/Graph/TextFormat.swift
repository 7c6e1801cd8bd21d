import AttendBasic

// The IR's textual form: one statement per line, deterministic, and parsed back by `IRParser`
// to the same graph.
//
//     graph @se_block {
//       input %x : [2, 24, 7, 5]
//       param @"se.fc1.weight" : [8, 24, 1, 1] init uniform_fan_in(24)
//       param @"se.fc1.weight.scaled" : [8, 24, 1, 1] = mul(@"se.fc1.weight") {other = 0.5}
//       %0 = mean(%x) {axes = [2, 3], keepdim = true} : [2, 24, 1, 1] loc("se.pool")
//       %1 = conv2d(%0) {out = 8, ...} params(weight = @"se.fc1.weight") : [2, 8, 1, 1] loc("se.fc1")
//       output %1 as "se"
//     }
//
// Derived parameters (`= op(@operands) {attributes}`) are the optimizer's folded weights;
// `buffer` marks state_dict buffers; `group(N)` after a node marks its fusion group; a
// value's storage layout other than row-major follows its shape (`[1, 20, 4, 4] layout(nchw16c)`).
// Inputs print by name and node outputs by number (skipping numbers an input is named);
// names that are not plain identifiers print as escaped strings, so any name round-trips.

extension Graph {
    /// The graph in IR text form; `IRParser.parse` reads it back.
    public var text: String {
        IRPrinter(graph: self).print()
    }
}

/// Lexical rules shared by the printer and the parser.
enum IRSyntax {
    /// Words that are values in attribute position, so a string spelled like one is quoted.
    static let valueWords: Set<String> = ["true", "false", "None", "nan", "inf"]

    static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_"
    }

    static func isIdentifierContinue(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || isDigit(c)
    }

    static func isDigit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }

    /// `[A-Za-z_][A-Za-z0-9_]*`: op, attribute, slot and symbol names printed bare.
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, isIdentifierStart(first) else { return false }
        return text.unicodeScalars.allSatisfy(isIdentifierContinue)
    }

    /// `[A-Za-z0-9_]+`: value names printed bare after `%` (so numbered values need no quotes).
    static func isBareName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.allSatisfy(isIdentifierContinue)
    }

    /// A double-quoted string literal. Quotes, backslashes and every control or line-breaking
    /// character are escaped, so a literal never spans lines.
    static func quote(_ text: String) -> String {
        escaping(text, quote: "\"") { scalar in
            switch scalar {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            default: return isLineBreakingOrControl(scalar) ? "\\u{" + String(scalar.value, radix: 16) + "}" : nil
            }
        }
    }

    /// Control characters and Unicode line separators: never printed raw in a one-line literal.
    static func isLineBreakingOrControl(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (v >= 0x7F && v <= 0x9F) || v == 0x2028 || v == 0x2029
    }

    /// An identifier as is, anything else quoted.
    static func name(_ text: String) -> String {
        isIdentifier(text) ? text : quote(text)
    }

    /// A value reference: `%x`, `%3`, `%"weird name"`.
    static func valueName(_ text: String) -> String {
        "%" + (isBareName(text) ? text : quote(text))
    }

    /// A parameter or graph reference: `@model`, `@"layer1.0.conv1.weight"`.
    static func symbolName(_ text: String) -> String {
        "@" + name(text)
    }

    /// An attribute value: numbers, bools and None as `ArgValue` prints them (floats round-trip
    /// exactly through `formatFloat`); words bare when unambiguous, otherwise quoted.
    static func attribute(_ value: ArgValue) -> String {
        if case .string(let word) = value {
            return isIdentifier(word) && !valueWords.contains(word) ? word : quote(word)
        }
        return value.description
    }

    /// ` {name = value, ...}`, or nothing when there are no attributes.
    static func attributes(_ attributes: Attributes) -> String {
        guard !attributes.entries.isEmpty else { return "" }
        return " {" + attributes.entries.map { name($0.name) + " = " + attribute($0.value) }.joined(separator: ", ") + "}"
    }

    static func initializer(_ initializer: ParameterInit) -> String {
        switch initializer {
        case .uniformFanIn(let fanIn): return "uniform_fan_in(\(fanIn))"
        case .constant(let value): return "constant(\(formatFloat(value)))"
        case .normal(let std): return "normal(std = \(formatFloat(std)))"
        }
    }
}

/// Prints a graph; total on any graph, so a corrupted one can be printed for debugging (ids
/// out of range print as names the parser reports as undefined).
struct IRPrinter {
    let graph: Graph
    private var names: [Int: String] = [:]

    init(graph: Graph) {
        self.graph = graph
        var reserved: Set<String> = []
        for (name, id) in graph.inputs where names[id.index] == nil {
            names[id.index] = IRSyntax.valueName(name)
            reserved.insert(name)
        }
        var counter = 0
        for node in graph.nodes {
            for id in node.outputs where names[id.index] == nil {
                while reserved.contains(String(counter)) { counter += 1 }
                names[id.index] = "%\(counter)"
                counter += 1
            }
        }
    }

    private func value(_ id: ValueID) -> String {
        names[id.index] ?? IRSyntax.valueName("<undefined value \(id.index)>")
    }

    /// The value's shape, then its storage layout unless row-major: `[1, 20, 4, 4] layout(nchw16c)`.
    private func shape(_ id: ValueID) -> String {
        guard graph.values.indices.contains(id.index) else { return "[]" }
        let value = graph.values[id.index]
        return formatShape(value.shape) + (value.layout == .rowMajor ? "" : " layout(\(value.layout))")
    }

    func print() -> String {
        var lines = ["graph \(IRSyntax.symbolName(graph.name)) {"]
        for (_, id) in graph.inputs {
            lines.append("  input \(value(id)) : \(shape(id))")
        }
        for parameter in graph.parameters {
            var line = "  param \(IRSyntax.symbolName(parameter.name)) : \(formatShape(parameter.shape))"
            if let definition = parameter.definition {
                line += " = " + IRSyntax.name(definition.op.name) + "(" + definition.operands.map(IRSyntax.symbolName).joined(separator: ", ") + ")"
                line += IRSyntax.attributes(definition.attributes)
            } else {
                line += " init " + IRSyntax.initializer(parameter.initializer)
            }
            if parameter.isBuffer { line += " buffer" }
            if !parameter.ignoredKeys.isEmpty {
                line += " ignoring " + parameter.ignoredKeys.map(IRSyntax.quote).joined(separator: ", ")
            }
            lines.append(line)
        }
        for node in graph.nodes {
            lines.append("  " + statement(node))
        }
        for (name, id) in graph.outputs {
            lines.append("  output \(value(id)) as \(IRSyntax.quote(name))")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private func statement(_ node: Node) -> String {
        var line = ""
        if !node.outputs.isEmpty {
            line += node.outputs.map(value).joined(separator: ", ") + " = "
        }
        line += IRSyntax.name(node.op.name) + "(" + node.inputs.map(value).joined(separator: ", ") + ")"
        line += IRSyntax.attributes(node.attributes)
        if !node.parameters.isEmpty {
            let bindings = node.parameters.map { IRSyntax.name($0.slot) + " = " + IRSyntax.symbolName($0.name) }
            line += " params(" + bindings.joined(separator: ", ") + ")"
        }
        if !node.outputs.isEmpty {
            line += " : " + node.outputs.map(shape).joined(separator: ", ")
        }
        if !node.layer.isEmpty {
            line += " loc(\(IRSyntax.quote(node.layer)))"
        }
        if let group = node.group {
            line += " group(\(group))"
        }
        return line
    }
}

// MARK: Tokens

enum IRTokenKind: Equatable {
    /// `[A-Za-z_][A-Za-z0-9_]*`: keywords, op and attribute names, bare words.
    case word(String)
    /// A decoded `"..."` literal.
    case string(String)
    case int(Int)
    case float(Double)
    /// `%name` or `%"name"`.
    case value(String)
    /// `@name` or `@"name"`.
    case symbol(String)
    /// One of `{ } ( ) [ ] , = :`.
    case punct(Unicode.Scalar)
    case newline
    case end
    /// A lexical error, reported when the parser reaches it.
    case invalid(Diagnostic)

    var description: String {
        switch self {
        case .word(let word): return "'\(word)'"
        case .string(let text): return "string \(IRSyntax.quote(text))"
        case .int(let v): return "\(v)"
        case .float(let v): return formatFloat(v)
        case .value(let name): return IRSyntax.valueName(name)
        case .symbol(let name): return IRSyntax.symbolName(name)
        case .punct(let c): return "'\(c)'"
        case .newline: return "end of line"
        case .end: return "end of file"
        case .invalid(let diagnostic): return diagnostic.message
        }
    }
}

struct IRToken {
    var kind: IRTokenKind
    var location: SourceLocation
}

/// Splits IR text into tokens. Never fails: a lexical error becomes an `.invalid` token, so
/// the parser reports errors in text order. Columns count Unicode scalars from 1.
enum IRLexer {
    static func tokens(_ text: String, file: String) -> [IRToken] {
        let scalars = Array(text.unicodeScalars)
        var tokens: [IRToken] = []
        var i = 0, line = 1, lineStart = 0
        func at(_ index: Int) -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
        while i < scalars.count {
            let c = scalars[i]
            let location = SourceLocation(file: file, line: line, column: i - lineStart + 1)
            func add(_ kind: IRTokenKind) { tokens.append(IRToken(kind: kind, location: location)) }
            func invalid(_ message: String) { add(.invalid(.error(message, at: location))) }
            if c == " " || c == "\t" || c == "\r" {
                i += 1
            } else if c == "\n" {
                add(.newline)
                i += 1
                line += 1
                lineStart = i
            } else if c == "/", at(i + 1) == "/" {
                while let next = at(i), next != "\n" { i += 1 }
            } else if "{}()[],=:".unicodeScalars.contains(c) {
                add(.punct(c))
                i += 1
            } else if c == "\"" {
                switch string(scalars, &i) {
                case .success(let text): add(.string(text))
                case .failure(let error): invalid(error.message)
                }
            } else if c == "%" || c == "@" {
                i += 1
                var name: String?
                if at(i) == "\"" {
                    switch string(scalars, &i) {
                    case .success(let text): name = text
                    case .failure(let error): invalid(error.message)
                    }
                } else {
                    let start = i
                    while let next = at(i), IRSyntax.isIdentifierContinue(next) { i += 1 }
                    if i > start { name = String(String.UnicodeScalarView(scalars[start..<i])) } else {
                        invalid("expected a name or a string after '\(c)'")
                    }
                }
                if let name { add(c == "%" ? .value(name) : .symbol(name)) }
            } else if IRSyntax.isDigit(c) || (c == "-" && at(i + 1).map(IRSyntax.isDigit) == true) {
                add(number(scalars, &i, location: location))
            } else if c == "-", at(i + 1) == "i", at(i + 2) == "n", at(i + 3) == "f",
                      !(at(i + 4).map(IRSyntax.isIdentifierContinue) ?? false) {
                add(.float(-.infinity))
                i += 4
            } else if IRSyntax.isIdentifierStart(c) {
                let start = i
                while let next = at(i), IRSyntax.isIdentifierContinue(next) { i += 1 }
                add(.word(String(String.UnicodeScalarView(scalars[start..<i]))))
            } else {
                invalid("unexpected character \(IRSyntax.quote(String(c)))")
                i += 1
            }
        }
        let end = SourceLocation(file: file, line: line, column: scalars.count - lineStart + 1)
        tokens.append(IRToken(kind: .end, location: end))
        return tokens
    }

    /// A string literal starting at the opening quote; on return `i` is past the closing quote
    /// (or, on error, past the offending character).
    private static func string(_ s: [Unicode.Scalar], _ i: inout Int) -> Result<String, StringError> {
        var out = String.UnicodeScalarView()
        i += 1
        while i < s.count {
            let c = s[i]
            i += 1
            switch c {
            case "\"": return .success(String(out))
            case "\n":
                i -= 1
                return .failure(StringError("unterminated string (strings end on the line they start; write \\n for a newline)"))
            case "\\":
                guard i < s.count else { break }
                let e = s[i]
                i += 1
                switch e {
                case "\"", "\\": out.append(e)
                case "n": out.append("\n")
                case "r": out.append("\r")
                case "t": out.append("\t")
                case "u":
                    let start = i
                    guard i < s.count, s[i] == "{" else { return .failure(StringError("expected '{' after \\u in string")) }
                    i += 1
                    var digits = ""
                    while i < s.count, s[i] != "}", digits.count < 9, s[i] != "\n" { digits.unicodeScalars.append(s[i]); i += 1 }
                    guard i < s.count, s[i] == "}", let v = UInt32(digits, radix: 16), let scalar = Unicode.Scalar(v) else {
                        i = max(i, start)
                        return .failure(StringError("invalid \\u{...} escape in string (1 to 8 hex digits of a Unicode scalar)"))
                    }
                    i += 1
                    out.append(scalar)
                default:
                    return .failure(StringError("unknown escape \\\(e) in string (use \\\", \\\\, \\n, \\r, \\t or \\u{...})"))
                }
            default: out.append(c)
            }
        }
        return .failure(StringError("unterminated string"))
    }

    struct StringError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`: an int without fraction or exponent.
    private static func number(_ s: [Unicode.Scalar], _ i: inout Int, location: SourceLocation) -> IRTokenKind {
        let start = i
        func digits() { while i < s.count, IRSyntax.isDigit(s[i]) { i += 1 } }
        var isFloat = false
        if s[i] == "-" { i += 1 }
        digits()
        if i + 1 < s.count, s[i] == ".", IRSyntax.isDigit(s[i + 1]) {
            isFloat = true
            i += 1
            digits()
        }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            var j = i + 1
            if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
            if j < s.count, IRSyntax.isDigit(s[j]) {
                isFloat = true
                i = j
                digits()
            }
        }
        let text = String(String.UnicodeScalarView(s[start..<i]))
        if i < s.count, IRSyntax.isIdentifierContinue(s[i]) || s[i] == "." {
            while i < s.count, IRSyntax.isIdentifierContinue(s[i]) || s[i] == "." { i += 1 }
            return .invalid(.error("malformed number '\(String(String.UnicodeScalarView(s[start..<i])))'", at: location))
        }
        if isFloat {
            guard let v = Double(text) else { return .invalid(.error("malformed number '\(text)'", at: location)) }
            return .float(v)
        }
        guard let v = Int(text) else {
            return .invalid(.error("integer \(text) is out of range", at: location))
        }
        return .int(v)
    }
}
