/// A small strict JSON (RFC 8259) reader and string writer for the safetensors header.
/// Hand-written rather than Foundation's so that untrusted headers get exact answers:
/// numbers keep their spelling (an integer is told apart from `1.0`, `1e3` and `true`),
/// object members keep their order (duplicates can be reported), nesting is bounded and
/// nothing traps.
indirect enum JSONValue {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The number as spelled in the text, validated against the JSON grammar.
    case number(String)
    case bool(Bool)
    case null

    /// A short rendering for messages.
    var summary: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string(let text): "\"\(ByteIO.clip(text, limit: 30))\""
        case .number(let text): ByteIO.clip(text, limit: 30)
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        }
    }

    /// The value as a non-negative `Int`, or why it is not one.
    var nonNegativeInt: Result<Int, JSONNumberProblem> {
        guard case .number(let text) = self else { return .failure(.notANumber(summary)) }
        if text.hasPrefix("-") {
            return text.dropFirst().allSatisfy({ $0 == "0" }) ? .success(0) : .failure(.negative(text))
        }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .failure(.notAnInteger(text))
        }
        var value = 0
        for byte in text.utf8 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if o1 || o2 { return .failure(.tooLarge(ByteIO.clip(text, limit: 30))) }
            value = next
        }
        return .success(value)
    }
}

enum JSONNumberProblem: Error, CustomStringConvertible {
    case notANumber(String), negative(String), notAnInteger(String), tooLarge(String)

    var description: String {
        switch self {
        case .notANumber(let what): "\(what) is not a number"
        case .negative(let text): "\(text) is negative"
        case .notAnInteger(let text): "\(text) is not an integer"
        case .tooLarge(let text): "\(text) is too large"
        }
    }
}

/// `text` as a JSON string literal (see `JSON.quoted`), for every stage that writes JSON.
public func jsonStringLiteral(_ text: String) -> String { JSON.quoted(text) }

enum JSON {
    struct Failure: Error {
        var reason: String
        var offset: Int
        /// The input is JSON, but exceeds a limit the caller set.
        var isLimit = false
    }

    static let maxDepth = 64

    /// Parses exactly one JSON value filling `bytes` (surrounding whitespace allowed).
    /// The bytes must already be valid UTF-8.
    /// Arrays longer than `maxArrayItems` fail as soon as the next item starts, so a header
    /// with one 50-million-entry shape costs nothing before it is refused.
    static func parse(_ bytes: [UInt8], maxArrayItems: Int = Int.max) throws(Failure) -> JSONValue {
        var parser = Parser(bytes: bytes, maxArrayItems: maxArrayItems)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        if parser.index < bytes.count { throw parser.failure("unexpected \(parser.describeCurrent()) after the JSON value") }
        return value
    }

    /// `text` as a JSON string literal, escaped the way serde_json does it
    /// (quote, backslash and control characters only; other characters stay as UTF-8).
    static func quoted(_ text: String) -> String {
        escaping(text, quote: "\"") { scalar in
            switch scalar {
            case "\"": return "\\\""
            case "\\": return "\\\\"
            case "\n": return "\\n"
            case "\r": return "\\r"
            case "\t": return "\\t"
            case "\u{08}": return "\\b"
            case "\u{0C}": return "\\f"
            case _ where scalar.value < 0x20: return "\\u" + fourDigitHex(scalar)
            default: return nil
            }
        }
    }

    /// Whether `bytes` is well-formed UTF-8.
    static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxArrayItems: Int
        var index = 0

        init(bytes: [UInt8], maxArrayItems: Int) {
            self.bytes = bytes
            self.maxArrayItems = maxArrayItems
        }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        func failure(_ reason: String) -> Failure { Failure(reason: reason, offset: index) }

        func describeCurrent() -> String {
            guard let byte = current else { return "end of input" }
            if byte >= 0x21, byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x" + String(byte, radix: 16)
        }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func value(depth: Int) throws(Failure) -> JSONValue {
            guard depth < JSON.maxDepth else { throw failure("nesting deeper than \(JSON.maxDepth) levels") }
            skipWhitespace()
            guard let byte = current else { throw failure("unexpected end of input") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default: throw failure("unexpected \(describeCurrent())")
            }
        }

        mutating func literal(_ word: String) throws(Failure) {
            for expected in word.utf8 {
                guard current == expected else { throw failure("invalid literal (expected '\(word)')") }
                index += 1
            }
        }

        mutating func object(depth: Int) throws(Failure) -> JSONValue {
            index += 1 // '{'
            var members: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if current == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw failure("expected a string key, found \(describeCurrent())") }
                let key = try string()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw failure("expected ':' after a key, found \(describeCurrent())") }
                index += 1
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                if current == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw failure("expected ',' or '}' in an object, found \(describeCurrent())")
            }
        }

        mutating func array(depth: Int) throws(Failure) -> JSONValue {
            index += 1 // '['
            var items: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                guard items.count < maxArrayItems else {
                    var failure = failure("an array has more than \(maxArrayItems) items")
                    failure.isLimit = true
                    throw failure
                }
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") { index += 1; continue }
                if current == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw failure("expected ',' or ']' in an array, found \(describeCurrent())")
            }
        }

        mutating func number() throws(Failure) -> String {
            let start = index
            if current == UInt8(ascii: "-") { index += 1 }
            if current == UInt8(ascii: "0") {
                index += 1
            } else if skipDigits() == 0 {
                throw failure("invalid number")
            }
            if current == UInt8(ascii: ".") {
                index += 1
                guard skipDigits() > 0 else { throw failure("invalid number") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard skipDigits() > 0 else { throw failure("invalid number") }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// Skips decimal digits; returns how many.
        mutating func skipDigits() -> Int {
            var n = 0
            while let c = current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { index += 1; n += 1 }
            return n
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let c = current else { throw failure("unterminated string") }
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw failure("invalid \\u escape")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        mutating func string() throws(Failure) -> String {
            index += 1 // opening quote
            var out: [UInt8] = []
            while true {
                guard let byte = current else { throw failure("unterminated string") }
                if byte == UInt8(ascii: "\"") { index += 1; break }
                if byte < 0x20 { throw failure("control character in a string") }
                if byte != UInt8(ascii: "\\") { out.append(byte); index += 1; continue }
                index += 1
                guard let escaped = current else { throw failure("unterminated string") }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard current == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw failure("lone surrogate in a \\u escape")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("lone surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw failure("lone surrogate in a \\u escape") }
                    out.append(contentsOf: Array(String(scalar).utf8))
                default:
                    throw failure("invalid escape in a string")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
