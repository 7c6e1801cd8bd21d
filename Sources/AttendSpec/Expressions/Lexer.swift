/// A token of the expression language.
struct ExprToken: Sendable {
    enum Kind: Equatable, Sendable {
        case number(ExprValue)
        case string(String)
        case name(String)
        /// `and or not if else True False None true false`.
        case keyword(String)
        /// Operators and punctuation: `+ - * / // % ** < <= > >= == != ( ) [ ] , =`.
        case symbol(String)
        case end
    }

    let kind: Kind
    /// Offset of the first scalar, in Unicode scalars from the start of the text.
    let offset: Int
    /// The token as written, for messages.
    let spelling: String

    var quoted: String { kind == .end ? "end of expression" : "'\(spelling)'" }
}

/// Splits expression text into tokens, following Python's lexical rules for the subset
/// the language has (number literals with `_` separators and `0x`/`0o`/`0b` prefixes,
/// leading-zero rules, simple quoted strings).
struct ExprLexer {
    static let keywords: Set<String> = ["and", "or", "not", "if", "else", "True", "False", "None", "true", "false"]
    private static let twoCharacterSymbols: Set<String> = ["**", "//", "<=", ">=", "==", "!="]
    private static let oneCharacterSymbols: Set<Unicode.Scalar> = ["+", "-", "*", "/", "%", "<", ">", "(", ")", "[", "]", ",", "="]

    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    static func tokenize(_ text: String) throws(ExprFailure) -> [ExprToken] {
        var lexer = ExprLexer(text)
        var tokens: [ExprToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        position + ahead < scalars.count ? scalars[position + ahead] : nil
    }

    private func spelling(from start: Int) -> String {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[start..<position])
        return text
    }

    private mutating func next() throws(ExprFailure) -> ExprToken {
        while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0C}" { position += 1 }
        let start = position
        guard let c = peek() else { return ExprToken(kind: .end, offset: start, spelling: "") }
        if isIdentifierStart(c) {
            while let d = peek(), isIdentifierStart(d) || isDigit(d) { position += 1 }
            let word = spelling(from: start)
            return ExprToken(kind: ExprLexer.keywords.contains(word) ? .keyword(word) : .name(word), offset: start, spelling: word)
        }
        if isDigit(c) || (c == "." && peek(1).map(isDigit) == true) {
            let value = try number()
            return ExprToken(kind: .number(value), offset: start, spelling: spelling(from: start))
        }
        if c == "'" || c == "\"" {
            let value = try string(quote: c)
            return ExprToken(kind: .string(value), offset: start, spelling: spelling(from: start))
        }
        if let d = peek(1), ExprLexer.twoCharacterSymbols.contains(String(c) + String(d)) {
            position += 2
            return ExprToken(kind: .symbol(spelling(from: start)), offset: start, spelling: spelling(from: start))
        }
        if ExprLexer.oneCharacterSymbols.contains(c) {
            position += 1
            return ExprToken(kind: .symbol(String(c)), offset: start, spelling: String(c))
        }
        let shown = c.properties.isWhitespace || c.value < 0x20 ? "U+" + String(c.value, radix: 16, uppercase: true) : String(c)
        throw ExprFailure("unexpected character '\(shown)'", at: start)
    }

    // MARK: Numbers

    /// Python's integer and float literals: `255`, `0xff`, `0o377`, `0b1111_1111`,
    /// `1_000`, `1.5`, `.5`, `5.`, `1e-5`, `1_0.2_5e+1_0`.
    private mutating func number() throws(ExprFailure) -> ExprValue {
        let start = position
        if peek() == "0", let prefix = peek(1), let radix = ExprLexer.radix(of: prefix) {
            position += 2
            let digits = digitPart(leadingUnderscore: true) { ExprLexer.digitValue($0).map { $0 < radix } == true }
            let name = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary"
            if digits.isEmpty || peek().map(isIdentifierCharacter) == true {
                consumeIdentifierCharacters()
                throw ExprFailure("invalid \(name) literal '\(spelling(from: start))'", at: start)
            }
            guard let value = Int(digits, radix: radix) else {
                throw ExprFailure("integer literal '\(spelling(from: start))' is too large (the limit is \(Int.max))", at: start)
            }
            return .int(value)
        }
        let integerDigits = digitPart(isDigit)
        var fractionDigits = ""
        var exponent = ""
        var isFloat = false
        if peek() == "." {
            position += 1
            isFloat = true
            fractionDigits = digitPart(isDigit)
        }
        if let e = peek(), e == "e" || e == "E" {
            let sign = peek(1).flatMap { $0 == "+" || $0 == "-" ? String($0) : nil } ?? ""
            if let d = peek(1 + sign.count), isDigit(d) {
                position += 1 + sign.count
                isFloat = true
                exponent = "e" + sign + digitPart(isDigit)
            }
        }
        if peek().map(isIdentifierCharacter) == true {
            consumeIdentifierCharacters()
            throw ExprFailure("invalid number literal '\(spelling(from: start))'", at: start)
        }
        if isFloat {
            // Swift's parser rounds correctly, like Python's: 1e400 is inf, 1e-400 is 0.0.
            let text = (integerDigits.isEmpty ? "0" : integerDigits) + "." + (fractionDigits.isEmpty ? "0" : fractionDigits) + exponent
            guard let value = Double(text) else {
                throw ExprFailure("invalid number literal '\(spelling(from: start))'", at: start)
            }
            return .float(value)
        }
        let text = integerDigits
        if text.count > 1, text.hasPrefix("0"), text.contains(where: { $0 != "0" }) {
            throw ExprFailure("leading zeros in decimal integer literals are not permitted: '\(spelling(from: start))' (use 0o for octal)", at: start)
        }
        guard let value = Int(text) else {
            throw ExprFailure("integer literal '\(spelling(from: start))' is too large (the limit is \(Int.max))", at: start)
        }
        return .int(value)
    }

    /// `digit (["_"] digit)*` (after a radix prefix, `(["_"] digit)+`), returning the digits without separators. A `_` not followed
    /// by a digit is left in place (the caller then reports the literal as invalid).
    private mutating func digitPart(leadingUnderscore: Bool = false, _ accepts: (Unicode.Scalar) -> Bool) -> String {
        var digits = ""
        while let c = peek() {
            if accepts(c) {
                digits.unicodeScalars.append(c)
                position += 1
            } else if c == "_", leadingUnderscore || !digits.isEmpty, let d = peek(1), accepts(d) {
                position += 1
            } else {
                break
            }
        }
        return digits
    }

    private mutating func consumeIdentifierCharacters() {
        while let c = peek(), isIdentifierCharacter(c) { position += 1 }
    }

    private static func radix(of prefix: Unicode.Scalar) -> Int? {
        switch prefix {
        case "x", "X": return 16
        case "o", "O": return 8
        case "b", "B": return 2
        default: return nil
        }
    }

    private static func digitValue(_ c: Unicode.Scalar) -> Int? {
        switch c.value {
        case 0x30...0x39: return Int(c.value - 0x30)
        case 0x61...0x66: return Int(c.value - 0x61 + 10)
        case 0x41...0x46: return Int(c.value - 0x41 + 10)
        default: return nil
        }
    }

    // MARK: Strings

    /// A single-line string in `'` or `"` with the escapes `\\ \' \" \n \t \r`.
    private mutating func string(quote: Unicode.Scalar) throws(ExprFailure) -> String {
        let start = position
        position += 1
        var value = ""
        while let c = peek() {
            position += 1
            if c == quote { return value }
            if c == "\n" || c == "\r" { break }
            if c == "\\" {
                guard let escaped = peek() else { break }
                position += 1
                switch escaped {
                case "\\", "'", "\"": value.unicodeScalars.append(escaped)
                case "n": value += "\n"
                case "t": value += "\t"
                case "r": value += "\r"
                default:
                    throw ExprFailure("unsupported escape sequence '\\\(escaped)' in string", at: position - 2)
                }
            } else {
                value.unicodeScalars.append(c)
            }
        }
        throw ExprFailure("unterminated string", at: start)
    }
}

private func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }

private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
    (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A) || c == "_"
}

private func isIdentifierCharacter(_ c: Unicode.Scalar) -> Bool { isIdentifierStart(c) || isDigit(c) }
