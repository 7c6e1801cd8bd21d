import AttendBasic
import Foundation
import Testing

/// `attend_main` tested through a real executable: a tiny C model (y = scale * x, or
/// scale * (a + b); total = sum(y)) compiled with the system C compiler against the runtime
/// sources, warnings as errors. Set ATTEND_RUNTIME_SANITIZE=1 to build it with
/// -fsanitize=address,undefined.
enum FakeModel {
    static let source = #"""
    #include <stdio.h>
    #include <stdlib.h>
    #include "attend_runtime.h"

    typedef struct { attend_weights *weights; const float *scale; attend_pool *pool; int64_t *profile; } fake_model;
    typedef struct { const float *a, *b; float *y; float scale; } fake_context;

    static void fake_destroy(void *opaque) {
        fake_model *m = opaque;
        if (!m) return;
        attend_pool_destroy(m->pool);
        attend_weights_close(m->weights);
        free(m);
    }

    static void *fake_create(const char *weights_path, int threads, char *error) {
        static const int64_t no_shape[1] = {0};
        static const char *const known[] = {"scale"};
        static const char *const ignored[] = {"bn.num_batches_tracked"};
        fake_model *m = calloc(1, sizeof *m);
        if (!m) return NULL;
        if (!weights_path) { snprintf(error, ATTEND_ERROR_SIZE, "this model needs --weights"); free(m); return NULL; }
        m->weights = attend_weights_open(weights_path, error);
        if (!m->weights) goto fail;
        if (attend_weights_get(m->weights, "scale", 0, no_shape, &m->scale, error)) goto fail;
        if (attend_weights_check_unexpected(m->weights, known, 1, ignored, 1, error)) goto fail;
        m->pool = attend_pool_create(threads, error);
        if (!m->pool) goto fail;
        return m;
    fail:
        fake_destroy(m);
        return NULL;
    }

    static void fake_task(void *opaque, int64_t begin, int64_t end) {
        const fake_context *c = opaque;
        for (int64_t i = begin; i < end; i++) c->y[i] = c->scale * (c->a[i] + (c->b ? c->b[i] : 0.0f));
    }

    static int fake_run(void *opaque, const float *const *inputs, float *const *outputs, char *error) {
        fake_model *m = opaque;
        if (getenv("FAKE_FAIL")) { snprintf(error, ATTEND_ERROR_SIZE, "forced failure\nwith a second line"); return 1; }
    #ifdef TWO_INPUTS
        fake_context c = {inputs[0], inputs[1], outputs[0], *m->scale};
    #else
        fake_context c = {inputs[0], NULL, outputs[0], *m->scale};
    #endif
        int64_t mark = m->profile ? attend_now_ns() : 0;
        attend_parallel_for(m->pool, 0, 6, fake_task, &c);
        if (m->profile) attend_profile_mark(m->profile + 0, &mark);
        float total = 0;
        for (int i = 0; i < 6; i++) total += outputs[0][i];
        outputs[1][0] = total;
        if (m->profile) attend_profile_mark(m->profile + 1, &mark);
        return 0;
    }

    static const attend_tensor_info fake_outputs[2] = {{"y", 2, {2, 3}}, {"total", 0, {0}}};
    #ifdef TWO_INPUTS
    static const attend_tensor_info fake_inputs[2] = {{"a", 2, {2, 3}}, {"b", 2, {2, 3}}};
    static const attend_model_info fake_info = {"fake2", 2, fake_inputs, 2, fake_outputs, fake_create, fake_run, fake_destroy, 0, NULL, NULL};
    #else
    static void fake_profile(void *opaque, int64_t *kernel_ns) { ((fake_model *)opaque)->profile = kernel_ns; }
    static const char *const fake_kernels[2] = {"y: scale", "total: sum\nof y"};
    static const attend_tensor_info fake_inputs[1] = {{"x", 2, {2, 3}}};
    static const attend_model_info fake_info = {"fake", 1, fake_inputs, 2, fake_outputs, fake_create, fake_run, fake_destroy,
                                                2, fake_kernels, fake_profile};
    #endif

    int main(int argc, char **argv) { return attend_main(&fake_info, argc, argv); }
    """#

    struct Built: Sendable {
        var single: String
        var pair: String
        var folder: String
    }

    static let built: Result<Built, RuntimeError> = build()

    static func build() -> Result<Built, RuntimeError> {
        let folder = scratchFolder()
        let runtime = repositoryRoot + "/Sources/AttendRuntime"
        let sources = ((try? FileManager.default.contentsOfDirectory(atPath: runtime)) ?? []).filter { $0.hasSuffix(".c") }.sorted()
        guard !sources.isEmpty else { return .failure(RuntimeError(message: "no runtime sources in \(runtime)")) }
        _ = FileManager.default.createFile(atPath: folder + "/fake_model.c", contents: Data(source.utf8))
        let environment = ProcessInfo.processInfo.environment
        let compiler = environment["CC"].flatMap { $0.isEmpty ? nil : $0 } ?? "cc"
        var flags = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-O1", "-I", runtime + "/include", "-I", runtime]
        if environment["ATTEND_RUNTIME_SANITIZE"] == "1" {
            flags += ["-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
        }
        let inputs = sources.map { runtime + "/" + $0 } + [folder + "/fake_model.c"]
        var built = Built(single: folder + "/fake", pair: folder + "/fake2", folder: folder)
        for (output, defines) in [(built.single, [String]()), (built.pair, ["-DTWO_INPUTS"])] {
            let result = run("/usr/bin/env", [compiler] + flags + defines + inputs + ["-o", output, "-lm", "-lpthread"], in: folder)
            guard result.status == 0 else {
                return .failure(RuntimeError(message: "\(compiler) failed (\(result.status)): \(result.stderr)"))
            }
        }
        built.folder = folder
        return .success(built)
    }

    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `program` in `folder`; output goes through files so neither pipe can fill.
    static func run(_ program: String, _ arguments: [String], in folder: String, environment: [String: String] = [:]) -> Output {
        let id = UUID().uuidString
        let outPath = folder + "/\(id).out", errPath = folder + "/\(id).err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            return Output(status: -1, stdout: "", stderr: "cannot create output files")
        }
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return Output(status: -1, stdout: "", stderr: "cannot run \(program): \(error)") }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let text = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        return Output(status: process.terminationStatus, stdout: text(outPath), stderr: text(errPath))
    }
}

@Suite struct MainTests {
    let folder: String
    let fake: String
    let fake2: String

    init() throws {
        let built = try FakeModel.built.get()
        fake = built.single
        fake2 = built.pair
        folder = scratchFolder()
        try SafetensorsFile.write([("scale", Tensor(shape: [], data: [2])), ("bn.num_batches_tracked", Tensor(shape: [], data: [0]))],
                                  to: folder + "/w.safetensors")
        try NPY.write(Tensor(shape: [2, 3], data: [0, 1, 2, 3, 4, 5]), to: folder + "/x.npy")
    }

    func run(_ arguments: [String], program: String? = nil, environment: [String: String] = [:]) -> FakeModel.Output {
        FakeModel.run(program ?? fake, arguments, in: folder, environment: environment)
    }

    @Test func summarizesOutputs() {
        let zeros = run(["--weights", "w.safetensors"])
        #expect(zeros.status == 0 && zeros.stderr.isEmpty)
        #expect(zeros.stdout == "y: [2, 3] mean 0 min 0 max 0\ntotal: [] mean 0 min 0 max 0\n")
        let given = run(["--weights", "w.safetensors", "--input", "x.npy"])
        #expect(given.status == 0 && given.stderr.isEmpty)
        #expect(given.stdout == "y: [2, 3] mean 5 min 0 max 10\ntotal: [] mean 30 min 30 max 30\n")
        // --flag=value, NAME=PATH, any order.
        let spelled = run(["--input=x=x.npy", "--threads=2", "--weights=w.safetensors"])
        #expect(spelled.status == 0 && spelled.stdout == given.stdout)
    }

    @Test func writesOutputs() throws {
        let result = run(["--weights", "w.safetensors", "--input", "x=x.npy", "--output", "y=y.npy", "--output", "total=t.npy"])
        #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty)
        #expect(try NPY.read(path: folder + "/y.npy") == Tensor(shape: [2, 3], data: [0, 2, 4, 6, 8, 10]))
        #expect(try NPY.read(path: folder + "/t.npy") == Tensor(shape: [], data: [30]))
        #expect(readBytes(folder + "/y.npy") == NPY.encode(Tensor(shape: [2, 3], data: [0, 2, 4, 6, 8, 10])))
        // A bare --output is the first output; the rest are summarized.
        let bare = run(["--weights", "w.safetensors", "--input", "x.npy", "--output", "first.npy"])
        #expect(bare.status == 0 && bare.stdout == "total: [] mean 30 min 30 max 30\n")
        #expect(readBytes(folder + "/first.npy") == readBytes(folder + "/y.npy"))
        for threads in [1, 2, 4, 8] {
            let threaded = run(["--weights", "w.safetensors", "--input", "x.npy", "--output", "y\(threads).npy", "--threads", "\(threads)"])
            #expect(threaded.status == 0)
            #expect(readBytes(folder + "/y\(threads).npy") == readBytes(folder + "/y.npy"))
        }
    }

    @Test func benchmarks() throws {
        let result = run(["--weights", "w.safetensors", "--bench", "5", "--threads", "2"])
        #expect(result.status == 0 && result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        let pattern = try Regex(#"^latency ms: min (\d+\.\d{3}) median (\d+\.\d{3}) p90 (\d+\.\d{3}) \(5 runs, 2 threads\)$"#)
        let match = try #require(try pattern.wholeMatch(in: lines.first ?? ""))
        let numbers = (1...3).compactMap { match.output[$0].substring.flatMap { Double($0) } }
        #expect(numbers.count == 3 && numbers[0] <= numbers[1] && numbers[1] <= numbers[2])
        #expect(lines.dropFirst().first == "y: [2, 3] mean 0 min 0 max 0")
        let single = run(["--weights", "w.safetensors", "--bench", "1"])
        #expect(single.stdout.split(separator: "\n").first?.hasSuffix("(1 run, 1 thread)") == true)
    }

    /// `--profile`: after the latency line, each kernel's median over the same runs, its share
    /// of their sum and its name (escaped to one line), in run order.
    @Test func profilesKernels() throws {
        let result = run(["--weights", "w.safetensors", "--bench", "7", "--profile", "--threads", "2"])
        #expect(result.status == 0 && result.stderr.isEmpty)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(lines)")
        #expect(lines.first?.hasSuffix("(7 runs, 2 threads)") == true)
        let header = try #require(try Regex(#"^kernels: median ms per run, share of their sum \((\d+\.\d{3}) ms\)$"#).wholeMatch(in: lines[1]))
        #expect(Double(header.output[1].substring ?? "") != nil)
        let row = try Regex(#"^  k(\d+) +(\d+\.\d{3}) +(\d+\.\d)%  (.*)$"#)
        var shares: [Double] = []
        for (k, name) in ["y: scale", "total: sum\\nof y"].enumerated() {
            let match = try #require(try row.wholeMatch(in: lines[2 + k]), "\(lines[2 + k])")
            #expect(match.output[1].substring == "\(k)"[...] && match.output[4].substring.map(String.init) == name)
            shares.append(Double(match.output[3].substring ?? "") ?? -1)
        }
        #expect(abs(shares.reduce(0, +) - 100) <= 0.2, "\(shares)")
        #expect(lines[4] == "y: [2, 3] mean 0 min 0 max 0")
    }

    @Test func help() {
        let result = run(["--help"])
        #expect(result.status == 0 && result.stderr.isEmpty)
        #expect(result.stdout.hasPrefix("usage: fake [--weights W.safetensors]"))
        #expect(result.stdout.contains("inputs:\n  x [2, 3]\noutputs:\n  y [2, 3]\n  total []\n"))
    }

    @Test func errorsAreOneLine() throws {
        try NPY.write(Tensor(shape: [3, 2], data: [0, 1, 2, 3, 4, 5]), to: folder + "/wrong.npy")
        try SafetensorsFile.write([("scale", Tensor(shape: [], data: [2])), ("extra", Tensor(shape: [1], data: [0]))], to: folder + "/extra.safetensors")
        try SafetensorsFile.write([("scales", Tensor(shape: [], data: [2]))], to: folder + "/missing.safetensors")
        let w = ["--weights", "w.safetensors"]
        let cases: [([String], String)] = [
            ([], "this model needs --weights"),
            (["--weights"], "missing value for --weights"),
            (["--weights", "--threads", "2"], "missing value for --weights"),
            (["--weights="], "missing value for --weights"),
            (w + ["--bogus"], "unknown option '--bogus' (see --help)"),
            (["--weights", "nope.safetensors", "--bogus=1"], "unknown option '--bogus' (see --help)"),
            (w + ["-t", "2"], "unexpected argument '-t' (see --help)"),
            (w + ["stray"], "unexpected argument 'stray' (see --help)"),
            (w + ["--threads", "0"], "invalid value '0' for --threads (expected an integer from 1 to 1024)"),
            (w + ["--threads", "2x"], "invalid value '2x' for --threads (expected an integer from 1 to 1024)"),
            (w + ["--threads", "99999999999999999999"], "invalid value '99999999999999999999' for --threads (expected an integer from 1 to 1024)"),
            (w + ["--bench", "-1"], "invalid value '-1' for --bench (expected an integer from 1 to 1000000)"),
            (w + ["--profile"], "--profile needs --bench N (the runs to take each kernel's median over)"),
            (w + ["--profile", "--bench", "2", "--profile"], "--profile given twice"),
            (w + ["--threads", "2", "--threads", "2"], "--threads given twice"),
            (w + ["--weights", "w.safetensors"], "--weights given twice"),
            (w + ["--input", "q=x.npy"], "unknown input 'q' (inputs: x)"),
            (w + ["--output", "q=o.npy"], "unknown output 'q' (outputs: y, total)"),
            (w + ["--input", "x=", "--output", "o.npy"], "missing path after 'x=' in --input"),
            (w + ["--input", "x.npy", "--input", "x=x.npy"], "--input x given twice"),
            (w + ["--output", "a.npy", "--output", "y=b.npy"], "--output y given twice"),
            (w + ["--input", "wrong.npy"], "wrong.npy: array has shape [3, 2], expected [2, 3]"),
            (w + ["--input", "none.npy"], "none.npy: cannot open (No such file or directory)"),
            (w + ["--output", "no/such/y.npy"], "no/such/y.npy: cannot create (No such file or directory)"),
            (["--weights", "extra.safetensors"], "unexpected key: extra"),
            (["--weights", "missing.safetensors"], "missing key: scale"),
            (["--weights", "none.safetensors"], "none.safetensors: cannot open the weights file (No such file or directory)"),
            (["--weights", "x.npy"], "x.npy: safetensors header length"),
        ]
        for (arguments, expected) in cases {
            let result = run(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stdout.isEmpty, "\(arguments)")
            #expect(result.stderr.hasPrefix("fake: error: " + expected) && result.stderr.hasSuffix("\n"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(arguments): \(result.stderr)")
        }
        let failing = run(w, environment: ["FAKE_FAIL": "1"])
        #expect(failing.status == 1 && failing.stderr == "fake: error: forced failure\\nwith a second line\n")
        let failingBench = run(w + ["--bench", "3"], environment: ["FAKE_FAIL": "1"])
        #expect(failingBench.status == 1 && failingBench.stdout.isEmpty && failingBench.stderr == failing.stderr)
    }

    @Test func namedInputsWhenThereAreSeveral() throws {
        try NPY.write(Tensor(shape: [2, 3], data: [1, 1, 1, 1, 1, 1]), to: folder + "/ones.npy")
        let result = run(["--weights", "w.safetensors", "--input", "a=x.npy", "--input", "b=ones.npy", "--output", "y=y2.npy"], program: fake2)
        #expect(result.status == 0 && result.stdout == "total: [] mean 42 min 42 max 42\n")
        #expect(try NPY.read(path: folder + "/y2.npy").data == [2, 4, 6, 8, 10, 12])
        let onlyB = run(["--weights", "w.safetensors", "--input", "b=ones.npy"], program: fake2)
        #expect(onlyB.stdout.hasPrefix("y: [2, 3] mean 2 min 2 max 2\n"))
        let unprofiled = run(["--weights", "w.safetensors", "--bench", "2", "--profile"], program: fake2)
        #expect(unprofiled.status == 1 && unprofiled.stderr == "fake2: error: --profile: this model does not report its kernels\n")
        let bare = run(["--weights", "w.safetensors", "--input", "x.npy"], program: fake2)
        #expect(bare.status == 1 && bare.stderr == "fake2: error: --input x.npy needs a NAME= prefix: the model has 2 inputs (a, b)\n")
    }
}
