import Foundation
import Testing
import AttendBasic
@testable import AttendSpec

/// Hostile YAML: alias bombs ("billion laughs"), aliased mapping keys, node floods, deep
/// nesting and bytes that are not UTF-8 are located errors found before any tree is built.
@Suite struct YAMLLimitsTests {
    /// Nine levels of nine aliases each: 9^9 (387 million) scalars once expanded.
    static func aliasBomb() -> String {
        var lines = ["attend: 1", "name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1...8 {
            lines.append("a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func aliasBombIsRefusedAtTheFirstAlias() throws {
        let error = try #require(throws: Diagnostic.self) { try YAMLReader.parse(Self.aliasBomb(), file: "bomb.yaml") }
        #expect(error.message.contains("aliases are not supported"))
        #expect(error.location == SourceLocation(file: "bomb.yaml", line: 4, column: 10))
    }

    @Test func aliasedMappingKeyIsRefusedBeforeItIsHashed() throws {
        var text = Self.aliasBomb()
        text += "? *a8\n: 1\n"
        let error = try #require(throws: Diagnostic.self) { try YAMLReader.parse(text, file: "keys.yaml") }
        #expect(error.message.contains("aliases are not supported"))
    }

    @Test func moreNodesThanTheLimitIsALocatedError() throws {
        let text = "attend: 1\nbig: [" + Array(repeating: "0", count: Limits.yamlNodes).joined(separator: ",") + "]\n"
        let error = try #require(throws: Diagnostic.self) { try YAMLReader.parse(text, file: "big.yaml") }
        #expect(error.message.contains("more than \(Limits.yamlNodes) YAML nodes"))
        #expect(error.location?.line == 2)
    }

    @Test func nestingDeeperThanTheLimitIsALocatedError() throws {
        var text = "attend: 1\n"
        for depth in 0...Limits.yamlDepth { text += String(repeating: " ", count: depth) + "k\(depth):\n" }
        text += String(repeating: " ", count: Limits.yamlDepth + 1) + "leaf: 1\n"
        let error = try #require(throws: Diagnostic.self) { try YAMLReader.parse(text, file: "deep.yaml") }
        #expect(error.message.contains("nested more than \(Limits.yamlDepth) deep"))
        #expect((error.location?.line ?? 0) > 1)
    }

    @Test func anchorsWithoutAliasesAreHarmlessAndAccepted() throws {
        let node = try YAMLReader.parse("attend: 1\nname: &n model\n", file: "anchor.yaml")
        guard case .mapping(let entries, _) = node else { Issue.record("expected a mapping"); return }
        #expect(entries.count == 2)
    }

    @Test func bytesThatAreNotUTF8AreLocatedByLineAndColumn() throws {
        let head = "attend: 1\nname: é\ninputs: {x: [1, ", tail = "]}\n"
        let bytes = Array(head.utf8) + [0xFF] + Array(tail.utf8)
        let error = try #require(throws: Diagnostic.self) { try SourceText.decode(bytes, file: "bad.yaml") }
        #expect(error.location == SourceLocation(file: "bad.yaml", line: 3, column: 17))
        #expect(error.message.contains("0xFF"))
        // A truncated multi-byte character at the very end too.
        let cut = try #require(throws: Diagnostic.self) { try SourceText.decode(Array("ab\n".utf8) + [0xC3], file: "cut.yaml") }
        #expect(cut.location == SourceLocation(file: "cut.yaml", line: 2, column: 1))
    }

    @Test func devicesAndFIFOsAreNotReadAsSpecs() throws {
        let zero = try #require(throws: Diagnostic.self) { try YAMLReader.read(path: "/dev/zero") }
        #expect(zero.message.contains("not a regular file"))
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("attend-fifo-\(UUID().uuidString).yaml").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { try? FileManager.default.removeItem(atPath: fifo) }
        let error = try #require(throws: Diagnostic.self) { try YAMLReader.read(path: fifo) }
        #expect(error.message.contains("not a regular file"))
    }
}
