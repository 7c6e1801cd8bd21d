import AttendBasic
import AttendFrontend
import AttendIR
import AttendSpec
import Foundation
import Testing

/// `attend export --format onnx` on every example network (at reduced sizes) and every
/// library block (on its `example:` inputs): the file passes onnx.checker's full check and
/// ONNX Runtime's outputs match `attend run`'s on the same seeded weights and inputs: the
/// compiled C backend for the networks, the interpreter (the reference, and seconds faster
/// than a C build each) for the blocks.
/// Needs python3 with onnx, onnxruntime and numpy; reported as skipped without them.
struct ONNXRoundTripTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var block: String?
        var settings: [String: Int] = [:]

        var arguments: [String] {
            [file] + (block.map { ["--block", $0] } ?? [])
                + settings.sorted { $0.key < $1.key }.flatMap { ["--set", "\($0.key)=\($0.value)"] }
        }
        var testDescription: String { block.map { "\(file) --block \($0)" } ?? file }
        /// `attend run`'s backend to compare with.
        var backend: String { block == nil ? "c" : "interpreter" }
    }

    /// Every Models/*.yaml network, shrunk where its default is large (odd sizes on purpose:
    /// ceil-mode pooling and uneven adaptive bins).
    static let models: [Case] = [
        Case(file: "Models/attention_unet.yaml", settings: ["feature_scale": 16, "height": 32, "width": 48]),
        Case(file: "Models/cbam_bottleneck.yaml", settings: ["width": 8, "size": 9]),
        Case(file: "Models/cbam_resnet.yaml", settings: ["width": 4, "size": 45, "classes": 10, "depth1": 1, "depth2": 2, "depth3": 1, "depth4": 1]),
        Case(file: "Models/detr.yaml", settings: ["batch": 2, "height": 72, "width": 100, "d_model": 16, "heads": 2, "ffn": 24, "queries": 7, "classes": 3,
                                                  "encoder_layers": 1, "decoder_layers": 2, "backbone_width": 4, "backbone_stem": 8,
                                                  "depth1": 1, "depth2": 1, "depth3": 1, "depth4": 1]),
        Case(file: "Models/eca_resnet.yaml", settings: ["width": 4, "size": 45, "classes": 10, "depth1": 1, "depth2": 1, "depth3": 2, "depth4": 1]),
        Case(file: "Models/ir_se_50.yaml", settings: ["batch": 2, "size": 32, "width": 16, "units1": 1, "units2": 2, "units3": 1, "units4": 1, "embedding": 24]),
        Case(file: "Models/resnest.yaml", settings: ["width": 4, "stem": 6, "size": 37, "classes": 9]),
        Case(file: "Models/sagan.yaml", settings: ["batch": 2, "z_dim": 16, "conv_dim": 8]),
        Case(file: "Models/se_resnet.yaml", settings: ["batch": 2, "image_width": 39, "width": 6, "size": 45, "classes": 7, "depth": 1]),
        Case(file: "Models/se_resnet_block.yaml", settings: ["width": 16, "size": 9]),
        Case(file: "Models/sk_resnet.yaml", settings: ["width": 6, "size": 45, "classes": 10, "depth": 1]),
        Case(file: "Models/video_net.yaml", settings: ["batch": 2, "frames": 3, "height": 24, "width": 40, "patch": 8, "dim": 20, "depth": 2, "heads": 4, "classes": 7]),
        Case(file: "Models/vit.yaml", settings: ["batch": 3, "size": 32, "patch": 8, "dim": 24, "depth": 2, "heads": 3, "classes": 10]),
        Case(file: "Models/vit_block.yaml", settings: ["dim": 48, "heads": 3, "tokens": 10]),
    ]

    /// Ops no spec writes but code generation derives weights with (checked here on inputs,
    /// as no network's export holds them).
    static let derivations: [Case] = [Case(file: "Tests/AttendExportTests/Specs/weight_packings.yaml")]

    /// Every block with an `example:` in the standard library.
    static let blocks: [Case] = {
        let root = repository.appendingPathComponent("Models/library")
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var cases: [Case] = []
        for case let path as String in walker where path.hasSuffix(".yaml") {
            let file = "Models/library/" + path
            guard let spec = try? SpecParser.parse(path: repository.appendingPathComponent(file).path) else { continue }
            for block in spec.blocks where block.example != nil { cases.append(Case(file: file, block: block.name.text)) }
        }
        return cases.sorted { ($0.file, $0.block ?? "") < ($1.file, $1.block ?? "") }
    }()

    @Test func theLibraryHasBlocksToExport() {
        #expect(Self.blocks.count >= 20, "found \(Self.blocks.count) library blocks with examples")
    }

    @Test(.enabled(if: Python.hasONNX, "needs python3 with onnx, onnxruntime and numpy"), arguments: models + derivations + blocks)
    func exportRunsInONNXRuntimeLikeAttendRun(_ c: Case) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("attend-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        // The graph, to write seeded inputs both runtimes read.
        let graph = try elaborate(c)
        var inputs: [String] = []
        for (name, tensor) in try Weights.randomInputs(graph, seed: 7).sorted(by: { $0.key < $1.key }) {
            let path = folder.appendingPathComponent("in.\(inputs.count).npy").path
            try NPY.write(tensor, to: path)
            inputs.append("\(name)=\(path)")
        }
        let outputs = graph.outputs.enumerated().map { "\($1.name)=" + folder.appendingPathComponent("out.\($0).npy").path }

        let model = folder.appendingPathComponent("model.onnx").path
        let exported = try run(attend, ["export"] + c.arguments + ["--format", "onnx", "-o", model])
        try #require(exported.status == 0, "export failed: \(exported.stderr)")
        let ran = try run(attend, ["run"] + c.arguments + ["--backend", c.backend] + inputs.flatMap { ["--input", $0] } + outputs.flatMap { ["--output", $0] })
        try #require(ran.status == 0, "attend run failed: \(ran.stderr)")
        let checked = try run(Python.executable, ["python3", repository.appendingPathComponent("Tests/AttendExportTests/onnx_check.py").path, model]
                              + inputs.flatMap { ["--input", $0] } + outputs.flatMap { ["--expect", $0] })
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    }

    func elaborate(_ c: Case) throws -> AttendIR.Graph {
        let frontend = try Frontend(libraryRoot: repository.appendingPathComponent("Models/library").path)
        let path = repository.appendingPathComponent(c.file).path
        if let block = c.block { return try frontend.exampleGraph(block: block, in: try SpecParser.parse(path: path)) }
        return try frontend.compile(path: path, overrides: c.settings.mapValues(String.init))
    }
}

/// A python3 with onnx, onnxruntime and numpy, if there is one.
enum Python {
    static let executable = "/usr/bin/env"
    static let hasONNX: Bool = {
        (try? run(executable, ["python3", "-c", "import onnx, onnxruntime, numpy"]).status) == 0
    }()
}

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// `attend`, built beside the test bundle.
var attend: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("attend").path
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program from the repository root and captures what it prints.
func run(_ path: String, _ arguments: [String]) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.currentDirectoryURL = repository
    // stderr goes to a file, so a chatty child can never block on a full pipe we are not reading.
    let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent("attend-stderr-\(UUID().uuidString)").path
    _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: errorPath) }
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle(forWritingAtPath: errorPath)
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let stderr = FileManager.default.contents(atPath: errorPath) ?? Data()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                         stderr: String(decoding: stderr, as: UTF8.self))
}
