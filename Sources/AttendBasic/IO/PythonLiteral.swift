/// The Python literals an NPY header is written in (`repr` of a dict), parsed without
/// evaluating anything: dicts, tuples, lists, strings, integers, `True`, `False`, `None`.
/// The parser works on untrusted bytes: bounded nesting, overflow-checked integers,
/// and every problem is a `Failure` with a short reason, never a trap.
indirect enum PythonLiteral {
    case dict([(key: String, value: PythonLiteral)])
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case string(String)
    case int(Int)
    case bool(Bool)
    case none

    /// How the value reads in Python, for messages (`(2, 3)`, `'<f4'`, `True`).
    var repr: String {
        switch self {
        case .dict(let items): "{" + items.map { "'\($0.key)': \($0.value.repr)" }.joined(separator: ", ") + "}"
        case .tuple(let items): items.count == 1 ? "(\(items[0].repr),)" : "(" + items.map(\.repr).joined(separator: ", ") + ")"
        case .list(let items): "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .string(let text): "'\(text)'"
        case .int(let value): String(value)
        case .bool(let value): value ? "True" : "False"
        case .none: "None"
        }
    }

    struct Failure: Error {
        var reason: String
    }

    /// Parses exactly one literal filling `bytes` (surrounding whitespace allowed).
    /// Strings decode as UTF-8 when `utf8`, else as Latin-1 (NPY 1.0 and 2.0 headers).
    static func parse(_ bytes: [UInt8], utf8: Bool) throws(Failure) -> PythonLiteral {
        var parser = Parser(bytes: bytes, utf8: utf8)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw Failure(reason: "unexpected \(parser.describeCurrent()) after the literal")
        }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        let utf8: Bool
        var index = 0
        static let maxDepth = 32

        init(bytes: [UInt8], utf8: Bool) {
            self.bytes = bytes
            self.utf8 = utf8
        }

        static func isNameByte(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): true
            default: false
            }
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        func describeCurrent() -> String {
            guard let byte = current else { return "end of header" }
            if byte >= 0x21, byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x" + String(byte, radix: 16)
        }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
                index += 1
            }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
            skipWhitespace()
            guard current == byte else { throw Failure(reason: "expected \(what), found \(describeCurrent())") }
            index += 1
        }

        mutating func value(depth: Int) throws(Failure) -> PythonLiteral {
            guard depth < Self.maxDepth else { throw Failure(reason: "nesting too deep") }
            skipWhitespace()
            guard let byte = current else { throw Failure(reason: "unexpected end of header") }
            switch byte {
            case UInt8(ascii: "{"): return try dict(depth: depth)
            case UInt8(ascii: "("): return try tuple(depth: depth)
            case UInt8(ascii: "["):
                index += 1
                return .list(try sequence(closing: UInt8(ascii: "]"), depth: depth).items)
            case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .int(try integer())
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "_"):
                let start = index
                while let c = current, Self.isNameByte(c) { index += 1 }
                let word = String(decoding: bytes[start..<index], as: UTF8.self)
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "None": return .none
                default: throw Failure(reason: "unexpected name '\(ByteIO.clip(word, limit: 20))'")
                }
            default:
                throw Failure(reason: "unexpected \(describeCurrent())")
            }
        }

        mutating func dict(depth: Int) throws(Failure) -> PythonLiteral {
            index += 1 // '{'
            var items: [(key: String, value: PythonLiteral)] = []
            while true {
                skipWhitespace()
                if current == UInt8(ascii: "}") { index += 1; return .dict(items) }
                guard current == UInt8(ascii: "'") || current == UInt8(ascii: "\"") else {
                    throw Failure(reason: "expected a quoted key or '}', found \(describeCurrent())")
                }
                let key = try string()
                try expect(UInt8(ascii: ":"), "':' after key '\(ByteIO.clip(key, limit: 20))'")
                let value = try value(depth: depth + 1)
                items.append((key, value))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                if current == UInt8(ascii: "}") { index += 1; return .dict(items) }
                throw Failure(reason: "expected ',' or '}', found \(describeCurrent())")
            }
        }

        /// `()` is the empty tuple, `(x,)` a 1-tuple, and `(x)` just `x`, as in Python.
        mutating func tuple(depth: Int) throws(Failure) -> PythonLiteral {
            index += 1 // '('
            let (items, sawComma) = try sequence(closing: UInt8(ascii: ")"), depth: depth)
            if items.count == 1, !sawComma { return items[0] }
            return .tuple(items)
        }

        /// Comma-separated values up to `closing` (the opener already consumed); a trailing comma is allowed.
        mutating func sequence(closing: UInt8, depth: Int) throws(Failure) -> (items: [PythonLiteral], sawComma: Bool) {
            var items: [PythonLiteral] = []
            var sawComma = false
            while true {
                skipWhitespace()
                if current == closing { index += 1; return (items, sawComma) }
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; sawComma = true; continue }
                if current == closing { index += 1; return (items, sawComma) }
                throw Failure(reason: "expected ',' or '\(Character(Unicode.Scalar(closing)))', found \(describeCurrent())")
            }
        }

        mutating func string() throws(Failure) -> String {
            guard let quote = current else { throw Failure(reason: "unexpected end of header") }
            index += 1
            var content: [UInt8] = []
            while true {
                guard let byte = current else { throw Failure(reason: "unterminated string") }
                index += 1
                if byte == quote { break }
                if byte == 0x0A { throw Failure(reason: "unterminated string") }
                if byte == UInt8(ascii: "\\") {
                    guard let escaped = current else { throw Failure(reason: "unterminated string") }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): content.append(0x0A)
                    case UInt8(ascii: "t"): content.append(0x09)
                    case UInt8(ascii: "r"): content.append(0x0D)
                    case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): content.append(escaped)
                    default: content.append(contentsOf: [UInt8(ascii: "\\"), escaped])
                    }
                    continue
                }
                content.append(byte)
            }
            if utf8 { return String(decoding: content, as: UTF8.self) }
            var text = ""
            for byte in content { text.unicodeScalars.append(Unicode.Scalar(byte)) }
            return text
        }

        /// A decimal integer with optional sign and Python 2's `L` suffix.
        mutating func integer() throws(Failure) -> Int {
            var negative = false
            if current == UInt8(ascii: "-") || current == UInt8(ascii: "+") {
                negative = current == UInt8(ascii: "-")
                index += 1
            }
            guard let first = current, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
                throw Failure(reason: "expected a digit, found \(describeCurrent())")
            }
            var value = 0
            var overflowed = false
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                let digit = Int(c - UInt8(ascii: "0"))
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times10.addingReportingOverflow(negative ? -digit : digit)
                if o1 || o2 { overflowed = true } else { value = next }
                index += 1
            }
            if current == UInt8(ascii: "L") || current == UInt8(ascii: "l") { index += 1 }
            if current == UInt8(ascii: ".") || current == UInt8(ascii: "e") || current == UInt8(ascii: "E") || current == UInt8(ascii: "j") {
                throw Failure(reason: "expected an integer, found a number that is not one")
            }
            if overflowed { throw Failure(reason: "integer too large") }
            return value
        }
    }
}
