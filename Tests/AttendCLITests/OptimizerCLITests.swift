import Foundation
import Testing

/// The optimizer options on the command line: `opt`, `graph --optimized`, `check`'s report,
/// the pass manager's printing and timing, and one-line errors.
struct OptimizerCLITests {
    static let passTest = "Tests/PassTests/fuse.ir"

    @Test func optRunsNamedPasses() throws {
        let result = try CLI.run(["opt", Self.passTest, "--passes", "fold-batchnorm,dce", "--verify-each"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("conv.weight.folded"))
        #expect(!result.stdout.contains("batchnorm("))
    }

    @Test func printAfterAndTimePassesGoToStderr() throws {
        let result = try CLI.run(["opt", Self.passTest, "-O2", "--print-after", "fuse", "--time-passes"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("IR after fuse"))
        #expect(!result.stderr.contains("IR after dce"))
        #expect(result.stderr.contains("pass timing"))
        #expect(result.stderr.contains("fold-batchnorm"))
        let all = try CLI.run(["opt", Self.passTest, "--passes=cse,dce", "--print-after-all"])
        #expect(all.stderr.contains("IR after cse") && all.stderr.contains("IR after dce"), "\(all.stderr)")
    }

    @Test func levelZeroChangesNothing() throws {
        let plain = try CLI.run(["graph", "Models/se_resnet_block.yaml"])
        let zero = try CLI.run(["graph", "Models/se_resnet_block.yaml", "-O0"])
        #expect(plain.stdout == zero.stdout)
        #expect(plain.stdout.contains("batchnorm("))
    }

    @Test func optimizedDotColorsFusedGroups() throws {
        let result = try CLI.run(["graph", "Models/se_resnet_block.yaml", "--optimized", "--format", "dot"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("subgraph cluster_0"))
        #expect(result.stdout.contains("fillcolor="))
    }

    @Test func checkReportsKernelsAndMemory() throws {
        let result = try CLI.run(["check", "Models/se_resnet_block.yaml"])
        // Six: the SE squeeze's pooling is a kernel of its own beside the Winograd convolution
        // (fused, every panel group would transform the tiles again); five where the
        // convolution's kernel finalizes whole planes (the GEMM strategy, direct loops).
        #expect(result.stdout.contains("kernels: 6 (from 13 primitive ops)"), "\(result.stdout)")
        #expect(result.stdout.contains("winograd 2"), "\(result.stdout)")
        for flags in [["--direct-only"], ["--strategies", "gemm"]] {
            let fused = try CLI.run(["check", "Models/se_resnet_block.yaml"] + flags)
            #expect(fused.stdout.contains("kernels: 5 (from 13 primitive ops)"), "\(flags): \(fused.stdout)")
        }
        #expect(result.stdout.contains("arena: "))
        #expect(result.stdout.contains("naive sum of intermediates"))
        let unoptimized = try CLI.run(["check", "Models/se_resnet_block.yaml", "-O0"])
        #expect(unoptimized.stdout.contains("kernels: 13 (from 13 primitive ops)"), "\(unoptimized.stdout)")
    }

    /// `--strategies` keeps only the named kernel strategies; an unknown name is a one-line error.
    @Test func strategiesOptionRestrictsTheChoice() throws {
        let gemm = try CLI.run(["check", "Models/se_resnet_block.yaml", "--kernels", "--strategies", "gemm"])
        #expect(gemm.status == 0)
        #expect(gemm.stdout.contains("strategies (") && gemm.stdout.contains("gemm 2") && !gemm.stdout.contains("winograd"), "\(gemm.stdout)")
        let unknown = try CLI.run(["check", "Models/se_resnet_block.yaml", "--strategies", "gemm,wingrad"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown kernel strategy 'wingrad' in --strategies; known: winograd, winograd-channels, direct-channels, gemm-channels, gemm, separable"),
                "\(unknown.stderr)")
    }

    @Test func badOptionsAreOneLineErrors() throws {
        let unknown = try CLI.run(["opt", Self.passTest, "--passes", "fuze"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown pass 'fuze' (did you mean 'fuse'?)"), "\(unknown.stderr)")
        #expect(unknown.stderr.split(separator: "\n").count == 1)
        let level = try CLI.run(["check", "Models/se_resnet_block.yaml", "-O7"])
        #expect(level.status == 1)
        #expect(level.stderr.contains("-O must be 0, 2 or 3"))
        let printAfter = try CLI.run(["opt", Self.passTest, "--print-after", "nothing"])
        #expect(printAfter.status == 1)
        #expect(printAfter.stderr.contains("--print-after names unknown pass 'nothing'"))
    }

    @Test func optReportsIRErrorsWithLocations() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("attend-opt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bad.ir").path
        try "graph @g {\n  input %x : [2]\n  %0 = relu(%y) : [2]\n}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try CLI.run(["opt", file, "-O2"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("\(file):3:13: error: undefined value %y"), "\(result.stderr)")
    }
}
