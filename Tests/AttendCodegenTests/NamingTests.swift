import AttendCodegen
import AttendIR
import Testing

/// Untrusted names never reach generated code unsanitized.
struct NamingTests {
    static let hostile = ["a\"; system(\"rm -rf /\"); \"", "*/ #include <stdio.h> /*", "line\nbreak", "#include \"x.h\"",
                          "??/", "tab\there", "", "0starts_with_digit", "ünïcode", "back\\slash", "_", "__"]

    @Test(arguments: hostile)
    func identifiersAreCIdentifiers(_ name: String) {
        let identifier = Naming.identifier(name, prefix: "k_")
        #expect(identifier.hasPrefix("k_"))
        #expect(identifier.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" })
    }

    @Test func identifiersAreInjective() {
        let names = Self.hostile + ["a_x41", "aA", "a_", "a__", "a b", "a_x20b"]
        let identifiers = names.map { Naming.identifier($0, prefix: "p") }
        #expect(Set(identifiers).count == Set(names).count)
    }

    @Test(arguments: hostile)
    func commentsCannotEndOrSplice(_ name: String) {
        let comment = Naming.comment(name)
        #expect(!comment.contains("*/"))
        #expect(!comment.contains("\n") && !comment.contains("?") && !comment.contains("\\"))
    }

    @Test(arguments: hostile)
    func stringLiteralsAreEscapedBytes(_ name: String) {
        let literal = Naming.stringLiteral(name)
        #expect(literal.hasPrefix("\"") && literal.hasSuffix("\""))
        let inner = literal.dropFirst().dropLast()
        #expect(!inner.contains("\"") && !inner.contains("\n"))
        // Every backslash starts a three-digit octal escape.
        var rest = Substring(inner)
        while let slash = rest.firstIndex(of: "\\") {
            let digits = rest[rest.index(after: slash)...].prefix(3)
            #expect(digits.count == 3 && digits.allSatisfy { ("0"..."7").contains($0) })
            rest = rest[rest.index(after: slash)...].dropFirst(3)
        }
    }

    @Test(arguments: hostile)
    func readableFragmentsAreIdentifierCharacters(_ name: String) {
        let fragment = Naming.readable(name)
        #expect(fragment.count <= 40)
        #expect(fragment.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" })
    }

    @Test func readableStemsStayReadable() {
        #expect(Naming.stem("se_resnet_block") == "se_resnet_block")
        #expect(Naming.stem("bad name; x").hasPrefix("model_"))
        #expect(Naming.stem("9lives").hasPrefix("model_"))
        #expect(Naming.stem("") == "model_")
    }
}
