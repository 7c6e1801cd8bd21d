import AttendBasic
import AttendCodegen
import AttendFrontend
import AttendIR
import Foundation
import Testing

/// Generated C: deterministic, readable, safe against hostile names, and equal in numbers
/// to the interpreter.
struct CodegenTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let frontend: Frontend? = try? Frontend(libraryRoot: Frontend.defaultLibraryRoot())

    static func graph(_ spec: String) throws -> Graph {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attend-codegen-\(UUID().uuidString).yaml").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(spec.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try #require(frontend).compile(path: path)
    }

    static func model(_ name: String, _ overrides: [String: String] = [:]) throws -> Graph {
        try #require(frontend).compile(path: repository.appendingPathComponent("Models/\(name).yaml").path, overrides: overrides)
    }

    @Test func generationIsDeterministic() throws {
        let first = try CGenerator.generate(try Self.model("vit_block"))
        let second = try CGenerator.generate(try Self.model("vit_block"))
        #expect(first.source == second.source)
        #expect(first.header == second.header)
    }

    @Test func kernelsAreNamedAndCommentedByLayer() throws {
        let program = try CGenerator.generate(try Self.model("se_resnet_block", ["width": "8", "size": "6"]))
        #expect(program.source.contains("/* conv2d 'conv1': [1, 8, 6, 6] -> [1, 8, 6, 6] */"))
        #expect(program.source.contains("static void k0_conv2d("))
        #expect(program.header.contains("se_resnet_block_model *se_resnet_block_create("))
        #expect(program.header.contains("#define SE_RESNET_BLOCK_ARENA_FLOATS"))
    }

    @Test func hostileNamesCompileToHarmlessCode() throws {
        // Model, input, layer and output names with quotes, `;`, `*/`, newlines and `#include`.
        let spec = #"""
        attend: 1
        name: "evil\"; int x = 1; /* */ #include <stdlib.h>\n"
        inputs:
          "in*/put\"; #define": [1, 3]
        layers:
          - "l\"; system(\"echo pwned\"); /*": {op: linear, out: 2}
          - "*/\n#include \"x.h\"": relu
        """#
        let graph = try Self.graph(spec)
        let program = try CGenerator.generate(graph)
        #expect(!program.source.contains("system(\""))
        #expect(!program.source.contains("#include <stdlib.h>\n\""))
        #expect(!program.source.contains("#define\""))
        try CBackendHarness.expectAgreement(graph)
    }
}
