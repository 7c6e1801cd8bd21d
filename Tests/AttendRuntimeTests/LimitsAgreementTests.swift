import AttendBasic
import Foundation
import Testing

/// The C runtime keeps its own copies of the limits (it is shipped as C beside every model);
/// they must be the numbers `Limits` documents, or the two backends would accept different
/// inputs.
@Suite struct LimitsAgreementTests {
    static let runtime = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/AttendRuntime")

    /// The integer a `#define NAME value` line gives (`1024`, `100000000ull`, `(1u << 20)`).
    static func define(_ name: String, in file: String) throws -> Int {
        let text = try String(contentsOf: runtime.appendingPathComponent(file), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("#define \(name) ") }, "\(name) in \(file)")
        var value = line.dropFirst("#define \(name) ".count).prefix { $0 != "/" }.trimmingCharacters(in: .whitespaces)
        value = value.replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "")
            .replacingOccurrences(of: "ull", with: "").replacingOccurrences(of: "u", with: "")
        let parts = value.components(separatedBy: "<<").map { $0.trimmingCharacters(in: .whitespaces) }
        let base = try #require(Int(parts[0]), "\(name) = \(value)")
        return parts.count == 2 ? base << (try #require(Int(parts[1]))) : base
    }

    @Test func theRuntimeUsesTheDocumentedLimits() throws {
        #expect(try Self.define("ATTEND_MAX_RANK", in: "include/attend_runtime.h") == Limits.modelRank)
        #expect(try Self.define("ST_MAX_RANK", in: "attend_safetensors.h") == Limits.fileRank)
        #expect(try Self.define("NPY_MAX_RANK", in: "attend_npy.h") == Limits.fileRank)
        #expect(try Self.define("MAX_HEADER_LENGTH", in: "weights.c") == Limits.safetensorsHeaderBytes)
        #expect(try Self.define("NPY_MAX_HEADER", in: "npy.c") == Limits.npyHeaderBytes)
        #expect(try Self.define("MAX_THREADS", in: "standalone.c") == Limits.threads)
        #expect(try Self.define("JSON_MAX_DEPTH", in: "attend_json.h") == 64)
        #expect(try Self.define("ATTEND_MESSAGE_NAME_CLIP", in: "attend_message.h") == Limits.nameInMessage)
        #expect(try Self.define("LISTED_NAMES", in: "weights.c") == Limits.namesInMessage)
    }
}
