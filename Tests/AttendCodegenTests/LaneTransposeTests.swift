import Foundation
import Testing
@testable import AttendCodegen

/// The in-register transpose and the partial vector store that channel-vector tiles store
/// through: the shuffle network itself, and the C prelude's helpers built by gcc and clang
/// for each ISA path (AVX-512 masked stores, AVX2 `vmaskmovps`, lane by lane).
struct LaneTransposeTests {
    @Test(arguments: [4, 8, 16, 32])
    func stagesTransposeTheTile(_ width: Int) {
        // Each slot holds (row, column) pairs; the rows start as themselves.
        var slots = (0..<width).map { row in (0..<width).map { column in [row, column] } }
        for stage in LaneTranspose.stages(width: width) {
            #expect(Set(stage.map(\.output)) == Set(0..<width))
            var next = slots
            for step in stage {
                next[step.output] = step.lanes.map { $0 < width ? slots[step.a][$0] : slots[step.b][$0 - width] }
            }
            slots = next
        }
        #expect(slots == (0..<width).map { column in (0..<width).map { row in [row, column] } })
        // width * log2(width) shuffles.
        #expect(LaneTranspose.stages(width: width).joined().count == width * width.trailingZeroBitCount)
    }

    /// The prelude's `attend_transpose_f32x<w>` and `attend_storen_f32x<w>` for w = 4, 8, 16,
    /// warning-free and correct under each compiler and ISA: every lane count 0...w writes
    /// exactly those lanes (a sentinel on both sides stays).
    @Test(arguments: ["gcc", "clang"])
    func preludeHelpersAgreeOnEveryPath(_ compiler: String) throws {
        guard let path = ModelCodegenTests.installed(compiler) else { return }
        // Each ISA with the widths its prelude defines (wider vectors would change the ABI).
        var flagSets: [(flags: [String], widest: Int)] = [([], 4)]
        if Target.native().isa != .portable { flagSets.append((["-mavx2", "-mfma"], 8)) }
        if Target.native().isa == .avx512 { flagSets.append((["-march=native"], 16)) }
        let checks = [4, 8, 16].map { w in
            """
                {
                    attend_f32x\(w) m[\(w)];
                    float t[\(w * w)];
                    for (int i = 0; i < \(w); i++) for (int j = 0; j < \(w); j++) m[i][j] = (float)(i * 100 + j);
                    attend_transpose_f32x\(w)(t, m);
                    for (int i = 0; i < \(w); i++) for (int j = 0; j < \(w); j++)
                        if (t[j * \(w) + i] != (float)(i * 100 + j)) { printf("transpose %d: [%d][%d] = %g\\n", \(w), j, i, t[j * \(w) + i]); return 1; }
                    for (int64_t n = 0; n <= \(w); n++) {
                        float out[\(w + 2)];
                        for (int k = 0; k < \(w + 2); k++) out[k] = -1.0f;
                        attend_storen_f32x\(w)(out + 1, m[3], n);
                        for (int k = 0; k < \(w + 2); k++) {
                            float expected = (k >= 1 && k <= n) ? m[3][k - 1] : -1.0f;
                            if (out[k] != expected) { printf("storen %d, %d lanes: [%d] = %g\\n", \(w), (int)n, k, out[k]); return 1; }
                        }
                    }
                }
            """
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attend-transpose-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sourceFile = directory.appendingPathComponent("helpers.c").path, executable = directory.appendingPathComponent("helpers").path
        for (flags, widest) in flagSets {
            let source = """
            #include <math.h>
            #include <stdint.h>
            #include <stdio.h>
            \(CPrinter.prelude(vectorWidth: widest))
            int main(void) {
            \(checks.prefix(widest.trailingZeroBitCount - 1).joined(separator: "\n"))
                return 0;
            }

            """
            try source.write(toFile: sourceFile, atomically: true, encoding: .utf8)
            let compile = try Subprocess.run(path, CBuild.languageFlags + flags + ["-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function",
                                                                                   sourceFile, "-o", executable, "-lm"])
            #expect(compile.status == 0, "\(compiler) \(flags): \(compile.stderr)")
            guard compile.status == 0 else { continue }
            let result = try Subprocess.run(executable, [])
            #expect(result.status == 0, "\(compiler) \(flags): \(result.stdout)")
        }
    }
}
