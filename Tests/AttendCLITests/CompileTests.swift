import AttendBasic
import Foundation
import Testing

/// `attend compile` and the C backend of `attend run`, as a user drives them.
struct CompileTests {
    /// The backends compute the same float32 arithmetic, up to the order of sums.
    static let cVersusInterpreter = Tolerance(absolute: 1e-5, relative: 1e-5)

    @Test func compiledExecutableRunsAnywhereAndMatchesTheInterpreter() throws {
        let folder = CLI.folder()
        let build = folder.appendingPathComponent("build").path
        let small = ["--set", "width=8", "--set", "size=7"]
        let compiled = try CLI.run(["compile", "Models/cbam_bottleneck.yaml", "-o", build] + small)
        #expect(compiled.status == 0, "\(compiled.stderr)")
        for file in ["cbam_bottleneck.c", "cbam_bottleneck.h", "cbam_bottleneck", "libcbam_bottleneck.a", "attend_runtime/attend_runtime.h"] {
            #expect(FileManager.default.fileExists(atPath: build + "/" + file), "missing \(file)")
        }
        // Copy the executable alone elsewhere and delete the build folder.
        let elsewhere = folder.appendingPathComponent("elsewhere").path
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: build + "/cbam_bottleneck", toPath: elsewhere + "/model")
        try FileManager.default.removeItem(atPath: build)

        // Same weights and inputs for both: seeded, written by the interpreter's run.
        let weights = folder.appendingPathComponent("w.safetensors").path
        let input = folder.appendingPathComponent("x.npy").path
        let reference = folder.appendingPathComponent("ref.npy").path
        try NPY.write(Tensor(shape: [1, 32, 7, 7], data: (0..<(32 * 49)).map { Float(($0 * 37) % 101) / 50 - 1 }), to: input)
        let exported = try CLI.run(["run", "Models/cbam_bottleneck.yaml", "--backend", "interpreter", "--input", input,
                                    "--output", reference, "--save-weights", weights] + small)
        #expect(exported.status == 0, "\(exported.stderr)")
        let output = folder.appendingPathComponent("out.npy").path
        let ran = try CLI.exec(elsewhere + "/model", ["--weights", weights, "--input", "x=\(input)", "--output", output, "--threads", "2"])
        #expect(ran.status == 0, "\(ran.stderr)")
        let c = try NPY.read(path: output), interpreter = try NPY.read(path: reference)
        #expect(c.shape == interpreter.shape)
        #expect(Self.cVersusInterpreter.mismatch(c, interpreter) == nil)
        let bench = try CLI.exec(elsewhere + "/model", ["--weights", weights, "--bench", "3"])
        #expect(bench.stdout.contains("latency ms: min"))
    }

    /// `attend bench --profile` times every kernel of the runs, named and ordered as
    /// `attend check --kernels` lists them.
    @Test func benchProfilesEveryKernel() throws {
        let small = ["Models/cbam_bottleneck.yaml", "--set", "width=8", "--set", "size=7"]
        let check = try CLI.run(["check"] + small + ["--kernels"])
        #expect(check.status == 0, "\(check.stderr)")
        let listed = check.stdout.split(separator: "\n").compactMap { line in (try? #/  k\d+: (.*)/#.wholeMatch(in: String(line)))?.map { String($0.1) } }
        let bench = try CLI.run(["bench"] + small + ["--runs", "3", "--profile"])
        #expect(bench.status == 0, "\(bench.stderr)")
        let lines = bench.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("latency ms: min") == true && lines.dropFirst().first?.hasPrefix("kernels: median ms per run") == true)
        let profiled = lines.dropFirst(2).compactMap { line in (try? #/  k\d+ +\d+\.\d{3} +\d+\.\d%  (.*)/#.wholeMatch(in: line))?.map { String($0.1) } }
        #expect(listed.count > 3 && profiled == listed, "\(bench.stdout)")
    }

    @Test func runDefaultsToCAndAgreesWithTheInterpreter() throws {
        let folder = CLI.folder().path
        let cache = folder + "/cache"
        let small = ["--set", "dim=24", "--set", "heads=3", "--set", "tokens=5"]
        let c = try CLI.run(["run", "Models/vit_block.yaml", "--output", folder + "/c.npy"] + small, environment: ["ATTEND_CACHE": cache])
        let interpreter = try CLI.run(["run", "Models/vit_block.yaml", "--backend", "interpreter", "--output", folder + "/i.npy"] + small)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(interpreter.status == 0, "\(interpreter.stderr)")
        let x = try NPY.read(path: folder + "/c.npy"), y = try NPY.read(path: folder + "/i.npy")
        #expect(x.shape == [1, 5, 24] && x.shape == y.shape)
        #expect(Self.cVersusInterpreter.mismatch(x, y) == nil)
        // A second run reuses the cached build.
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(entries.count == 1)
        let again = try CLI.run(["run", "Models/vit_block.yaml"] + small, environment: ["ATTEND_CACHE": cache])
        #expect(again.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache) == entries)
    }

    /// The library and header serve a C program of the user's own: create, run, destroy.
    @Test func libraryAndHeaderAreACAPI() throws {
        let folder = CLI.folder().path
        let compiled = try CLI.run(["compile", "Models/vit_block.yaml", "-o", folder, "--set", "dim=24", "--set", "heads=3", "--set", "tokens=5"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let weights = folder + "/w.safetensors"
        let reference = folder + "/ref.npy"
        let exported = try CLI.run(["run", "Models/vit_block.yaml", "--backend", "interpreter", "--set", "dim=24", "--set", "heads=3",
                                    "--set", "tokens=5", "--save-weights", weights, "--output", reference])
        #expect(exported.status == 0, "\(exported.stderr)")
        let program = """
        #include "vit_block.h"
        #include <stdio.h>
        int main(int argc, char **argv) {
            (void)argc;
            char error[ATTEND_ERROR_SIZE];
            static float input[VIT_BLOCK_INPUT0_ELEMENTS], output[VIT_BLOCK_OUTPUT0_ELEMENTS];
            if (attend_npy_read(argv[2], 3, vit_block_info.inputs[0].shape, input, error)) { fprintf(stderr, "%s\\n", error); return 2; }
            vit_block_model *model = vit_block_create(argv[1], 1, error);
            if (!model) { fprintf(stderr, "%s\\n", error); return 1; }
            const float *inputs[] = {input};
            float *outputs[] = {output};
            int status = vit_block_run(model, inputs, outputs, error);
            vit_block_destroy(model);
            if (status) return 1;
            return attend_npy_write(argv[3], 3, vit_block_info.outputs[0].shape, output, error);
        }
        """
        CLI.write(program, to: URL(fileURLWithPath: folder + "/user.c"))
        let build = try CLI.exec("/usr/bin/cc", ["-std=c11", "-Wall", "-Wextra", "-Werror", "-I", folder, "-I", folder + "/attend_runtime",
                                                 folder + "/user.c", folder + "/libvit_block.a", "-lm", "-lpthread", "-o", folder + "/user"])
        #expect(build.status == 0, "\(build.stderr)")
        // The same seeded input the interpreter used: write it with attend's own run.
        let input = folder + "/x.npy"
        try NPY.write(Tensor(shape: [1, 5, 24], data: (0..<120).map { Float($0 % 13) / 6 - 1 }), to: input)
        let again = try CLI.run(["run", "Models/vit_block.yaml", "--backend", "interpreter", "--set", "dim=24", "--set", "heads=3",
                                 "--set", "tokens=5", "--weights", weights, "--input", input, "--output", reference])
        #expect(again.status == 0, "\(again.stderr)")
        let ran = try CLI.exec(folder + "/user", [weights, input, folder + "/out.npy"])
        #expect(ran.status == 0, "\(ran.stderr)")
        let c = try NPY.read(path: folder + "/out.npy"), interpreter = try NPY.read(path: reference)
        #expect(c.shape == interpreter.shape)
        #expect(Self.cVersusInterpreter.mismatch(c, interpreter) == nil)
    }

    /// Two processes (each with its own hash seed) write the same C for the same model, so
    /// builds are cached and reproduced by their sources.
    @Test func generatedCIsTheSameInEveryProcess() throws {
        let model = "Models/se_resnet.yaml"
        var sources: [String] = []
        for _ in 0..<3 {
            let folder = CLI.folder().path
            let result = try CLI.run(["compile", model, "-o", folder, "--no-build"])
            #expect(result.status == 0, "\(result.stderr)")
            sources.append(try String(contentsOfFile: folder + "/se_resnet.c", encoding: .utf8))
        }
        #expect(Set(sources).count == 1, "the generated C differs between runs")
    }

    @Test func missingOrFailingCompilerIsAClearError() throws {
        let folder = CLI.folder().path
        let missing = try CLI.run(["compile", "Models/vit_block.yaml", "-o", folder], environment: ["CC": "/nonexistent/cc"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "$CC: error: the C compiler /nonexistent/cc (from $CC) was not found\n")
        let failing = try CLI.run(["compile", "Models/vit_block.yaml", "-o", folder], environment: ["CC": "/bin/false"])
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("error: false failed (exit 1)"))
        #expect(failing.stderr.split(separator: "\n").count == 1)
    }

    @Test func badWeightsFileIsAClearErrorFromTheExecutable() throws {
        let folder = CLI.folder()
        let build = folder.appendingPathComponent("b").path
        let compiled = try CLI.run(["compile", "Models/vit_block.yaml", "-o", build, "--set", "dim=24", "--set", "heads=3", "--set", "tokens=5"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let garbage = folder.appendingPathComponent("w.safetensors")
        CLI.write("\u{10}\0\0\0\0\0\0\0{\"a\": oops}", to: garbage)
        let ran = try CLI.exec(build + "/vit_block", ["--weights", garbage.path])
        #expect(ran.status == 1)
        #expect(ran.stderr.hasPrefix("vit_block: error:"))
        #expect(ran.stderr.split(separator: "\n").count == 1)
    }
}
