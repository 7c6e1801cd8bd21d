import AttendBasic
import Foundation
import Testing

/// Loading checkpoints as PyTorch users have them: a bare module's own state_dict, keys with
/// a prefix (`module.` from DataParallel), and a non-strict load that lists what it skipped.
struct WeightLoadingCLITests {
    static let fixture = CLI.repository.appendingPathComponent("Tests/Fixtures/blocks/se_module_bare")

    /// The fixture's input as .npy and its expected output.
    func inputAndExpected(in folder: URL) throws -> (input: String, expected: Tensor) {
        let inputs = try SafetensorsFile.read(path: Self.fixture.appendingPathComponent("inputs.safetensors").path)
        let input = folder.appendingPathComponent("x.npy").path
        try NPY.write(try inputs.tensor(named: "x"), to: input)
        let outputs = try SafetensorsFile.read(path: Self.fixture.appendingPathComponent("outputs.safetensors").path)
        return (input, try outputs.tensor(named: "se"))
    }

    /// timm's SEModule(64).state_dict() (fc1.weight, fc1.bias, fc2.weight, fc2.bias) loads into
    /// the library block run by itself, and the generated C matches PyTorch.
    @Test func aBareModuleLoadsItsOwnStateDict() throws {
        let folder = CLI.folder()
        let (input, expected) = try inputAndExpected(in: folder)
        let output = folder.appendingPathComponent("y.npy").path
        let weights = Self.fixture.appendingPathComponent("weights.safetensors").path
        let result = try CLI.run(["run", "Models/library/channel/se.yaml", "--block", "se", "--weights", weights,
                                  "--input", "x=\(input)", "--output", output])
        #expect(result.status == 0, "\(result.stderr)")
        let actual = try NPY.read(path: output)
        #expect(actual.shape == expected.shape)
        #expect(zip(actual.data, expected.data).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-5 * abs($1) })
    }

    /// `module.fc1.weight` ... (DataParallel) loads with `--weights-prefix module.`, on both
    /// backends, to the same numbers; a rule that maps two keys onto one is an error.
    @Test func prefixedKeysAreRenamed() throws {
        let folder = CLI.folder()
        let (input, expected) = try inputAndExpected(in: folder)
        let bare = try SafetensorsFile.read(path: Self.fixture.appendingPathComponent("weights.safetensors").path)
        let prefixed = folder.appendingPathComponent("w.safetensors").path
        try SafetensorsFile.write(try bare.entries.map { ("module." + $0.name, try bare.tensor(named: $0.name)) }, to: prefixed)
        for backend in ["c", "interpreter"] {
            let output = folder.appendingPathComponent("y-\(backend).npy").path
            let result = try CLI.run(["run", "Models/library/channel/se.yaml", "--block", "se", "--weights", prefixed,
                                      "--weights-prefix", "module.", "--backend", backend, "--input", "x=\(input)", "--output", output])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(zip(try NPY.read(path: output).data, expected.data).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-5 * abs($1) })
        }
        let strictFailure = try CLI.run(["run", "Models/library/channel/se.yaml", "--block", "se", "--weights", prefixed, "--backend", "interpreter"])
        #expect(strictFailure.status == 1 && strictFailure.stderr.contains("missing keys: fc1.weight"))
        // OLD=NEW replaces a prefix: here `module.` becomes `x.`, which the model does not have.
        let renamed = try CLI.run(["run", "Models/library/channel/se.yaml", "--block", "se", "--weights", prefixed,
                                   "--weights-prefix", "module.=x.", "--backend", "interpreter"])
        #expect(renamed.status == 1 && renamed.stderr.contains("unexpected keys: x.fc1.bias"), "\(renamed.stderr)")
        let both = folder.appendingPathComponent("both.safetensors").path
        try SafetensorsFile.write([("module.fc1.bias", Tensor(zeros: [8])), ("fc1.bias", Tensor(zeros: [8]))], to: both)
        let collision = try CLI.run(["run", "Models/library/channel/se.yaml", "--block", "se", "--weights", both,
                                     "--weights-prefix", "module.", "--backend", "interpreter"])
        #expect(collision.status == 1)
        #expect(collision.stderr.contains("both become 'fc1.bias' under --weights-prefix"), "\(collision.stderr)")
        let empty = try CLI.run(["run", "Models/library/channel/se.yaml", "--block", "se", "--weights", both, "--weights-prefix", "=x"])
        #expect(empty.status == 1 && empty.stderr.contains("--weights-prefix expects OLD or OLD=NEW"))
    }

    /// --no-strict: unexpected keys are skipped and missing parameters keep their seeded
    /// values, each listed on stderr; a shape mismatch stays an error, as in PyTorch.
    @Test func nonStrictListsWhatItSkipped() throws {
        let folder = CLI.folder()
        let bare = try SafetensorsFile.read(path: Self.fixture.appendingPathComponent("weights.safetensors").path)
        let partial = folder.appendingPathComponent("partial.safetensors").path
        var entries = try bare.entries.filter { $0.name != "fc2.bias" }.map { ($0.name, try bare.tensor(named: $0.name)) }
        entries.append(("head.weight", Tensor(zeros: [3, 64])))
        try SafetensorsFile.write(entries, to: partial)
        let arguments = ["run", "Models/library/channel/se.yaml", "--block", "se", "--weights", partial, "--backend", "interpreter"]
        let strict = try CLI.run(arguments)
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("missing key: fc2.bias; unexpected key: head.weight"), "\(strict.stderr)")
        let loose = try CLI.run(arguments + ["--no-strict"])
        #expect(loose.status == 0, "\(loose.stderr)")
        #expect(loose.stderr.contains("weights: skipped 1 unexpected key: head.weight"), "\(loose.stderr)")
        #expect(loose.stderr.contains("weights: 1 parameter not in the file keep their seeded initial values: fc2.bias"), "\(loose.stderr)")
        let mismatched = folder.appendingPathComponent("mismatched.safetensors").path
        try SafetensorsFile.write([("fc2.bias", Tensor(zeros: [3]))], to: mismatched)
        let shape = try CLI.run(["run", "Models/library/channel/se.yaml", "--block", "se", "--weights", mismatched, "--backend", "interpreter", "--no-strict"])
        #expect(shape.status == 1 && shape.stderr.contains("size mismatch for fc2.bias"), "\(shape.stderr)")
        let noFile = try CLI.run(["run", "Models/library/channel/se.yaml", "--block", "se", "--no-strict"])
        #expect(noFile.status == 1 && noFile.stderr.contains("apply to a --weights file"))
    }
}
