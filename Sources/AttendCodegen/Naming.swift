/// Names from a spec are untrusted: everything that reaches generated source goes through
/// here. Identifiers keep only `[A-Za-z0-9_]` (other characters become `_xHH`), comments keep
/// printable ASCII minus `*/` and `?` (no comment end, no trigraphs), and strings are escaped
/// byte by byte. A test compiles hostile names (quotes, `;`, `*/`, newlines, `#include`).
public enum Naming {
    /// A C identifier made from untrusted text, with a fixed prefix so it can never collide
    /// with a keyword, a runtime symbol or start with a digit. Deterministic and injective.
    public static func identifier(_ text: String, prefix: String) -> String {
        var out = prefix
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: "_"):
                out += "__"
            default:
                out += "_x" + hex(byte)
            }
        }
        return out
    }

    /// A readable identifier fragment: ASCII letters and digits kept, anything else `_`, at
    /// most `limit` characters. Not injective; callers make names unique by a prefix
    /// (kernels are `k<index>_<layer>`).
    public static func readable(_ text: String, limit: Int = 40) -> String {
        var out = ""
        for byte in text.utf8.prefix(limit) {
            let isAlphanumeric = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            out.append(isAlphanumeric ? Character(UnicodeScalar(byte)) : "_")
        }
        return out
    }

    /// A file or symbol stem for a model name: like `identifier`, but readable for the common
    /// case (`se_resnet_block` stays as is) and never empty.
    public static func stem(_ name: String) -> String {
        let readable = !name.isEmpty && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        } && !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(name.utf8.first ?? 0) && name.utf8.count <= 64
        // Unreadable names are escaped and cut to a length every file system accepts; names
        // in the runtime's `attend_` namespace are escaped too.
        return readable && !name.hasPrefix("attend_") ? name : String(identifier(name, prefix: "model_").prefix(64))
    }

    /// Text safe inside a C block comment: printable ASCII without `?` (trigraphs) or `\\`.
    public static func comment(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x20, scalar.value < 0x7F, scalar != "?", scalar != "\\" {
                // Neither `*/` (ends the comment) nor `/*` (warns under -Wcomment) may form.
                if (scalar == "/" && out.last == "*") || (scalar == "*" && out.last == "/") { out += " " }
                out.unicodeScalars.append(scalar)
            } else {
                out += "_"
            }
        }
        return out
    }

    /// A C string literal with every byte outside `[A-Za-z0-9_.]` as an octal escape.
    public static func stringLiteral(_ text: String) -> String {
        var out = "\""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "."):
                out.append(Character(UnicodeScalar(byte)))
            default:
                let octal = String(byte, radix: 8)
                out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return out + "\""
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
