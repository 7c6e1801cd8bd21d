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
        let first = try CGenerator.generate(try Self.model("vit_block"), target: .portable)
        let second = try CGenerator.generate(try Self.model("vit_block"), target: .portable)
        #expect(first.source == second.source)
        #expect(first.kernelFiles == second.kernelFiles)
        #expect(first.header == second.header)
    }

    @Test func kernelsAreNamedAndCommentedByLayer() throws {
        let program = try CGenerator.generate(try Self.model("se_resnet_block", ["width": "8", "size": "6"]), target: .portable)
        let kernels = program.kernelFiles.filter { $0.optimization != .loadTime }.map(\.source).joined()
        #expect(kernels.contains("/* conv2d 'conv1': [1, 8, 6, 6] -> [1, 8, 6, 6] */"))
        // External (each file is compiled apart), named with the model's stem, declared in
        // the file that calls them.
        #expect(kernels.contains("ATTEND_KERNEL void se_resnet_block_k0_conv1("))
        #expect(kernels.contains("ATTEND_KERNEL void se_resnet_block_k6_se_fc1("))
        #expect(program.source.contains("ATTEND_KERNEL void se_resnet_block_k0_conv1("))
        #expect(program.source.contains("se_resnet_block_k0_conv1(inputs[0]"))
        #expect(program.kernelFiles.contains { $0.optimization == .loadTime && $0.source.contains("/* derived parameter") })
        #expect(program.header.contains("se_resnet_block_model *se_resnet_block_create("))
        #expect(program.header.contains("#define SE_RESNET_BLOCK_ARENA_FLOATS"))
    }

    /// C source with every block comment removed.
    static func withoutComments(_ text: String) -> String {
        var out = "", rest = Substring(text)
        while let open = rest.range(of: "/*") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "*/") else { return out }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    @Test func hostileNamesCompileToHarmlessCode() throws {
        // Model, input, layer and output names with quotes, `;`, `*/`, newlines and `#include`.
        let spec = #"""
        attend: 1
        name: "evil\"; int x = 1; /* */ #include <stdlib.h>\n"
        inputs:
          "in*/put\"; #define\nX": [1, 3]
        layers:
          - "l\";system(\"echo_pwned\");/*": {op: linear, out: 2}
          - "*/#include<stdio_h>": relu
        """#
        let graph = try Self.graph(spec)
        let program = try CGenerator.generate(graph, target: .portable)
        // Outside comments (which cannot be closed from inside), no payload survives.
        let kernelSources = program.kernelFiles.map(\.source)
        for text in [program.source, program.header, program.main] + kernelSources {
            let code = Self.withoutComments(text)
            #expect(!code.contains("system("))
            #expect(!code.contains("#define\""))
            #expect(!code.contains("int x = 1"))
            let includes = text == program.source || kernelSources.contains(text) ? 5 : text == program.main ? 1 : 2
            #expect(code.components(separatedBy: "#include").count - 1 == includes)
        }
        #expect(program.stem.count <= 64)
        // And it compiles warning-free and computes what the interpreter computes.
        try CBackendHarness.expectAgreement(graph)
    }
}

/// The example networks through C: agreement with the interpreter on 1 and 2 threads, a
/// build with AddressSanitizer and UndefinedBehaviorSanitizer, and warning-free builds
/// with both gcc and clang.
struct ModelCodegenTests {
    static let small: [(String, [String: String])] = [
        ("se_resnet_block", ["width": "12", "size": "9"]),
        ("cbam_bottleneck", ["width": "8", "size": "7"]),
        ("vit_block", ["dim": "48", "heads": "3", "tokens": "11"]),
    ]

    @Test(arguments: small.map(\.0))
    func agreesWithTheInterpreter(_ name: String) throws {
        let graph = try CodegenTests.model(name, Self.small.first { $0.0 == name }?.1 ?? [:])
        try CBackendHarness.expectAgreement(graph, threads: 1)
        try CBackendHarness.expectAgreement(graph, seed: 7, threads: 2)
    }

    @Test(arguments: small.map(\.0))
    func cleanUnderSanitizers(_ name: String) throws {
        let graph = try CodegenTests.model(name, Self.small.first { $0.0 == name }?.1 ?? [:])
        let flags = ["-O1", "-g"] + CBuild.languageFlags + ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
        try CBackendHarness.expectAgreement(graph, threads: 2, flags: flags, compiler: "/usr/bin/gcc")
    }

    /// Where `compiler` is installed (looked up on PATH), nil when it is not: a test that
    /// needs it is then reported as skipped, not passed.
    static func installed(_ compiler: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { "\($0)/\(compiler)" }.first(where: FileManager.default.isExecutableFile(atPath:))
    }

    @Test(.enabled(if: ModelCodegenTests.installed("gcc") != nil, "gcc is not installed"))
    func warningFreeWithGCC() throws {
        try Self.expectWarningFree(compiler: try #require(Self.installed("gcc")))
    }

    @Test(.enabled(if: ModelCodegenTests.installed("clang") != nil, "clang is not installed"))
    func warningFreeWithClang() throws {
        try Self.expectWarningFree(compiler: try #require(Self.installed("clang")))
    }

    static func expectWarningFree(compiler: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        for (name, overrides) in small {
            let graph = try CodegenTests.model(name, overrides)
            // Portable (4-lane vectors) and this machine's own vector code.
            for target in Set([Target.portable, Target.native()]) {
                try CBackendHarness.expectAgreement(graph, flags: ["-O2"] + CBuild.languageFlags + ["-Wall", "-Wextra", "-Werror"],
                                                    compiler: compiler, target: target, sourceLocation: sourceLocation)
            }
        }
    }
}
