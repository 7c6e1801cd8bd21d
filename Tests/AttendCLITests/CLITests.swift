import AttendBasic
import Foundation
import Testing

/// The command line end to end: the README's commands, outputs, and one-line errors.
struct CLITests {
    static let models = ["Models/se_resnet_block.yaml", "Models/cbam_bottleneck.yaml", "Models/vit_block.yaml", "Models/se_resnet.yaml", "Models/vit.yaml",
                         "Models/cbam_resnet.yaml", "Models/eca_resnet.yaml", "Models/sk_resnet.yaml", "Models/resnest.yaml",
                         "Models/attention_unet.yaml", "Models/video_net.yaml"]

    @Test(arguments: models)
    func checkPrintsTheModel(_ model: String) throws {
        let result = try CLI.run(["check", model])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("parameters:"))
        #expect(result.stdout.contains("FLOPs:"))
    }

    /// Parameter counts equal `sum(p.numel() for p in m.parameters())` of the timm modules
    /// (Bottleneck(256, 64, attn_layer='cbam'), BasicBlock(64, 64, attn_layer='se'),
    /// Block(192, 3, qkv_bias=True), timm.create_model('seresnet18'), and
    /// timm.create_model('vit_tiny_patch16_224'), ResNet(Bottleneck, [3, 4, 6, 3],
    /// block_args={attn_layer: cbam | eca}), timm's skresnet18 and resnest14d, and the
    /// official-code re-typings of Attention U-Net and TimeSformer in the fixture generator);
    /// BatchNorm running statistics are buffers, not parameters.
    @Test(arguments: zip(models, ["75,080", "78,692", "444,864", "11,779,624", "5,717,416", "28,073,576", "25,557,118",
                                  "11,958,056", "10,611,688", "2,136,376", "2,677,066"]))
    func parameterCountsMatchTimm(_ model: String, _ count: String) throws {
        let result = try CLI.run(["check", model])
        #expect(result.stdout.contains("parameters: \(count) in"), "\(result.stdout)")
    }

    static var libraryFiles: [String] {
        let root = CLI.repository.appendingPathComponent("Models/library").path
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".yaml") }.sorted().map { "Models/library/" + $0 }
    }

    /// Every library file checks: each block elaborates on its `example:` inputs.
    @Test(arguments: libraryFiles)
    func everyLibraryFileChecks(_ file: String) throws {
        let result = try CLI.run(["check", file])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func checkALibraryFileRunsItsExamples() throws {
        let result = try CLI.run(["check", "Models/library/channel_spatial/cbam.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("model cbam_channel"))
        #expect(result.stdout.contains("model cbam_spatial"))
    }

    @Test func runWritesNpyOutputsReproducibly() throws {
        let folder = CLI.folder()
        let first = folder.appendingPathComponent("a.npy").path, second = folder.appendingPathComponent("b.npy").path
        let small = ["--set", "width=8", "--set", "size=6"]
        let a = try CLI.run(["run", "Models/se_resnet_block.yaml", "--output", first] + small)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try CLI.run(["run", "Models/se_resnet_block.yaml", "--output", "act2=\(second)"] + small)
        #expect(b.status == 0, "\(b.stderr)")
        let x = try NPY.read(path: first), y = try NPY.read(path: second)
        #expect(x.shape == [1, 8, 6, 6])
        #expect(x == y)
        #expect(x.data.contains { $0 != 0 })
    }

    @Test func runReadsInputsAndWeights() throws {
        let folder = CLI.folder()
        let spec = folder.appendingPathComponent("m.yaml")
        CLI.write("attend: 1\nname: m\ninputs:\n  x: [1, 3]\nlayers:\n  - fc: {op: linear, out: 2}\n", to: spec)
        let weights = folder.appendingPathComponent("w.safetensors").path
        try SafetensorsFile.write([("fc.weight", Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])),
                                   ("fc.bias", Tensor(shape: [2], data: [0.5, -0.5]))], to: weights)
        let input = folder.appendingPathComponent("x.npy").path
        try NPY.write(Tensor(shape: [1, 3], data: [1, 1, 2]), to: input)
        let output = folder.appendingPathComponent("y.npy").path
        let result = try CLI.run(["run", spec.path, "--weights", weights, "--input", "x=\(input)", "--output", output])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try NPY.read(path: output) == Tensor(shape: [1, 2], data: [9.5, 20.5]))
    }

    @Test func specErrorsAreOneLocatedLineAndExitOne() throws {
        let folder = CLI.folder()
        let spec = folder.appendingPathComponent("bad.yaml")
        CLI.write("attend: 1\nname: m\ninputs:\n  x: [1, 3]\nlayers:\n  - fc: {op: lineer, out: 2}\n", to: spec)
        for command in ["check", "run", "graph"] {
            let result = try CLI.run([command, spec.path])
            #expect(result.status == 1)
            #expect(result.stderr == "\(spec.path):6:14: error: unknown op or block 'lineer' (did you mean 'linear'?)\n")
        }
    }

    @Test func weightProblemsAreAllNamed() throws {
        let folder = CLI.folder()
        let spec = folder.appendingPathComponent("m.yaml")
        CLI.write("attend: 1\nname: m\ninputs:\n  x: [1, 3]\nlayers:\n  - fc: {op: linear, out: 2}\n  - bn: {op: batchnorm}\n", to: spec)
        let weights = folder.appendingPathComponent("w.safetensors").path
        try SafetensorsFile.write([("fc.weight", Tensor(zeros: [3, 2])), ("fc.extra", Tensor(zeros: [1])),
                                   ("bn.weight", Tensor(zeros: [2])), ("bn.bias", Tensor(zeros: [2])),
                                   ("bn.running_mean", Tensor(zeros: [2]))], to: weights)
        let result = try CLI.run(["run", spec.path, "--weights", weights])
        #expect(result.status == 1)
        #expect(result.stderr == "\(weights): error: weights do not match model 'm': missing keys: fc.bias, bn.running_var; "
                + "unexpected key: fc.extra; size mismatch for fc.weight: checkpoint has [3, 2], model needs [2, 3]\n")
    }

    @Test func badTensorFilesAndFlagsAreErrors() throws {
        let folder = CLI.folder()
        let garbage = folder.appendingPathComponent("x.npy")
        CLI.write("not a numpy file", to: garbage)
        let bad = try CLI.run(["run", "Models/vit_block.yaml", "--input", garbage.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("\(garbage.path): error:"))
        #expect(bad.stderr.split(separator: "\n").count == 1)
        let wrongShape = folder.appendingPathComponent("y.npy").path
        try NPY.write(Tensor(zeros: [1, 2]), to: wrongShape)
        let shape = try CLI.run(["run", "Models/vit_block.yaml", "--input", "x=\(wrongShape)"])
        #expect(shape.status == 1)
        #expect(shape.stderr == "\(wrongShape): error: array has shape [1, 2], expected [1, 197, 192]\n")
        let missing = try CLI.run(["run", "Models/vit_block.yaml", "--weights", "/nonexistent.safetensors"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("/nonexistent.safetensors: error:"))
        let unknownInput = try CLI.run(["run", "Models/vit_block.yaml", "--input", "y=\(wrongShape)"])
        #expect(unknownInput.status == 1)
        #expect(unknownInput.stderr.contains("no input 'y'"))
    }

    @Test func graphPrintsParseableText() throws {
        let result = try CLI.run(["graph", "Models/vit_block.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("graph @vit_block {"))
        let dot = try CLI.run(["graph", "Models/vit_block.yaml", "--format", "dot"])
        #expect(dot.stdout.hasPrefix("digraph"))
    }
}
