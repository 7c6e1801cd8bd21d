import AttendBasic
@testable import AttendCodegen
import AttendIR
import Testing

/// Convolutions on small maps with output channels along the vectors, against the
/// interpreter: the padded-copy patch rows (stride 1), im2col patches (stride 2, dilation,
/// tiles across output rows, 1x1 convolutions), a last panel past the channel count,
/// batches, a reduction in several blocks, and fused epilogues (residual add, global
/// pooling); for the portable target (4-lane vectors) and the native one. Channel counts scale with the vector
/// width so each case takes this strategy on both.
struct ConvChannelVectorStrategyTests {
    /// (name, channels, size, out channels per vector lane, kernel, stride, pad, dilation, batch)
    static let cases: [(String, Int, Int, Int, Int, Int, Int, Int, Int)] = [
        ("3x3 on 7x7, padded copy", 24, 7, 12, 3, 1, 1, 1, 1),
        ("3x3 on 5x5, two images", 8, 5, 10, 3, 1, 1, 1, 2),
        ("3x3 stride 2 to 4x4", 16, 8, 9, 3, 2, 1, 1, 1),
        ("dilated 3x3", 12, 9, 8, 3, 1, 2, 2, 1),
        ("1x1 on 7x7", 40, 7, 8, 1, 1, 0, 1, 2),
        ("1x1 on 5x5", 20, 5, 11, 1, 1, 0, 1, 1),
        ("1x1 stride 2", 32, 9, 8, 1, 2, 0, 1, 1),
        ("1x1 on a 1x1 map", 48, 1, 8, 1, 1, 0, 1, 1),
        // 648 reduction steps: several k-blocks (partial sums kept between them) on both targets.
        ("3x3 on 7x7, reduction in blocks", 72, 7, 8, 3, 1, 1, 1, 2),
        // Blocks and at least 16 panels: tasks of several panels, each block run by every
        // panel of the task in turn (a partial last group; a partial last panel).
        ("1x1 on 7x7, panels sharing tasks", 600, 7, 34, 1, 1, 0, 1, 1),
        ("3x3 on 5x5, panels sharing tasks, partial panel", 72, 5, 35, 3, 1, 1, 1, 2),
    ]

    static func spec(_ c: (String, Int, Int, Int, Int, Int, Int, Int, Int), width: Int, epilogue: String) -> String {
        let (_, channels, size, perLane, kernel, stride, pad, dilation, batch) = c
        let out = perLane * width
        var lines = [
            "attend: 1", "name: channel_vector_case", "inputs:", "  x: [\(batch), \(channels), \(size), \(size)]", "layers:",
            "  - conv: {op: conv2d, out: \(out), kernel: \(kernel), stride: \(stride), pad: \(pad), dilation: \(dilation), bias: true}",
            "  - bn: batchnorm",
            "  - act: relu",
        ]
        switch epilogue {
        case "residual": lines += ["  - other: {op: conv2d, out: \(out), kernel: \(kernel), stride: \(stride), pad: \(pad), dilation: \(dilation), bias: false, from: x}",
                                   "  - {op: add, from: [act, _]}"]
        case "pool": lines.append("  - pool: {op: mean, axes: [2, 3], keepdim: true}")
        default: break
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The strategy for every convolution it can take, cheaper or not.
    static let pinned: [any KernelStrategy] = [ConvChannelVectorStrategy(onlyWhenCheaper: false)]

    @Test(arguments: cases.map(\.0))
    func agreesWithTheInterpreter(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.0 == name })
        for target in ConvGEMMStrategyTests.targets {
            for epilogue in ["residual", "pool"] {
                var graph = try ConvGEMMStrategyTests.optimized(Self.spec(c, width: target.vectorWidth, epilogue: epilogue))
                let selection = try StrategySelection(&graph, target: target, strategies: Self.pinned)
                #expect(selection.plans.values.contains { $0.strategy == "gemm-channels" }, "\(name) on \(target)")
                try CBackendHarness.expectAgreement(try ConvGEMMStrategyTests.optimized(Self.spec(c, width: target.vectorWidth, epilogue: epilogue)),
                                                    threads: 3, target: target, strategies: Self.pinned)
            }
        }
    }

    @Test func chosenWhereThePixelTilesWasteWork() throws {
        // 512 channels on a 7x7 map: 49 pixels are 7 tiles of 7, against 4 vectors of 16 for
        // 61 grid pixels (without `direct-channels`, which reads the same tiles in place).
        let graph = try ConvGEMMStrategyTests.optimized(Self.spec(("", 512, 7, 32, 3, 1, 1, 1, 1), width: 16, epilogue: ""))
        var target = Target.native(.avx512)
        target.allowedStrategies = Set(KernelStrategies.names.filter { $0 != "direct-channels" })
        let (_, _, strategies) = try CGenerator.layout(graph, target: target)
        #expect(strategies.contains { $0.strategy == "gemm-channels" }, "\(strategies)")
    }

    /// The blocked-reduction cases really run in several k-blocks on every target (its
    /// weight panel per block stays in L1 while all pixel tiles use it), and the last two
    /// with several panels per task.
    @Test func longReductionsRunInBlocks() throws {
        for (index, shared) in [(8, false), (9, true), (10, true)] {
            let c = Self.cases[index]
            for target in ConvGEMMStrategyTests.targets {
                var graph = try ConvGEMMStrategyTests.optimized(Self.spec(c, width: target.vectorWidth, epilogue: "pool"))
                let selection = try StrategySelection(&graph, target: target, strategies: Self.pinned)
                let details = selection.plans.values.map(\.detail)
                #expect(details.count == 1 && details.allSatisfy { $0.contains("k-block") && $0.contains("panels per task") == shared },
                        "\(details) on \(target)")
            }
        }
    }

    @Test func cleanUnderSanitizers() throws {
        let flags = ["-O1", "-g"] + CBuild.languageFlags + ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
        for target in ConvGEMMStrategyTests.targets {
            for c in [Self.cases[1], Self.cases[4], Self.cases[5], Self.cases[8], Self.cases[10]] {
                let graph = try ConvGEMMStrategyTests.optimized(Self.spec(c, width: target.vectorWidth, epilogue: "pool"))
                try CBackendHarness.expectAgreement(graph, threads: 2, flags: flags, compiler: "/usr/bin/gcc", target: target, strategies: Self.pinned)
            }
        }
    }

    @Test func largeMapsKeepPixelsAlongTheVectors() throws {
        let graph = try ConvGEMMStrategyTests.optimized(Self.spec(("", 64, 56, 8, 3, 1, 1, 1, 1), width: 16, epilogue: ""))
        let (_, _, strategies) = try CGenerator.layout(graph, target: .native(.avx512))
        #expect(!strategies.contains { $0.strategy == "gemm-channels" }, "\(strategies)")
    }
}
