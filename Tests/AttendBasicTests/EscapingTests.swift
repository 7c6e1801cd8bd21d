import AttendBasic
import Testing

/// Untrusted text reaches diagnostics from spec names, tensor keys, .npy descr strings and
/// paths. Whatever it holds, the printed line has no control character a terminal acts on
/// (ESC sequences retitle the window or clear the screen; BEL rings) and stays bounded.
@Suite struct EscapingTests {
    static let hostile = "a\u{1B}]0;owned\u{07}b\u{1B}[2Jc\u{9B}31md\u{7F}e\u{0}f\tg\nh\ri"

    static func isTerminalSafe(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) }
    }

    @Test func controlCharactersAreEscapedAsTheCRuntimeDoes() {
        let diagnostic = Diagnostic.error("layer '\(Self.hostile)' is bad", at: SourceLocation(file: "m\u{1B}.yaml", line: 2, column: 3))
        let line = diagnostic.description
        #expect(Self.isTerminalSafe(line))
        #expect(line == #"m\x1b.yaml:2:3: error: layer 'a\x1b]0;owned\x07b\x1b[2Jc\u009b31md\x7fe\x00f\tg\nh\ri' is bad"#)
    }

    @Test func notesAreEscapedToo() {
        let diagnostic = Diagnostic.error("x", notes: [.note("from \u{1B}[31mred")])
        let lines = diagnostic.description.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { Self.isTerminalSafe(String($0)) })
    }

    @Test func aHugeMessageIsClipped() {
        let diagnostic = Diagnostic.error(String(repeating: "k", count: 1_000_000))
        #expect(diagnostic.description.count <= Limits.messageCharacters + 3)
        #expect(diagnostic.description.hasSuffix("..."))
    }

    @Test func hostileNamesFromTensorFilesArePrintedSafely() {
        // An .npy descr and a safetensors key carrying escape sequences.
        let npy = npyImage(header: "{'descr': '<f4\u{1B}]2;x\u{07}', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0])
        let safetensors = safetensorsImage("{\"w\u{1B}[2J\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])
        do { _ = try NPY.decode(npy, source: "x.npy"); Issue.record("expected an error") } catch {
            #expect(Self.isTerminalSafe(error.description))
            #expect(error.description.contains(#"\x1b"#))
        }
        do {
            let file = try SafetensorsFile.decode(safetensors, source: "w.safetensors")
            _ = try file.tensor(named: "missing\u{1B}")
            Issue.record("expected an error")
        } catch {
            #expect(Self.isTerminalSafe(error.description))
        }
    }
}
