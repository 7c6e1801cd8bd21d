/// The one walk behind every string literal the project writes (JSON, the textual IR, DOT,
/// Python reprs, one-line diagnostics): each Unicode scalar is either replaced by what
/// `escape` returns or kept; `quote`, when given, wraps the result.
public func escaping(_ text: String, quote: String = "", _ escape: (Unicode.Scalar) -> String?) -> String {
    var out = quote
    for scalar in text.unicodeScalars {
        if let replacement = escape(scalar) { out += replacement } else { out.unicodeScalars.append(scalar) }
    }
    return out + quote
}

/// `\uXXXX` (four hex digits, JSON's form) for a scalar below U+10000.
public func fourDigitHex(_ scalar: Unicode.Scalar) -> String {
    let hex = String(scalar.value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
