import AttendBasic
@testable import AttendCodegen
import AttendIR
import Testing

/// Direct convolutions with output channels along the vectors, against the interpreter:
/// a stem-like 7x7 stride-2 convolution on three channels, stride 1 and 2, dilation, no
/// padding, whole tiles and tiles running across the ends of output rows, a last panel
/// past the channel count, batches, the reduction in several blocks of input channels, and fused epilogues
/// (a residual add, with tasks over runs of rows; global pooling, with tasks over whole
/// planes); for the portable target (4-lane vectors) and the native one.
struct ConvDirectChannelsStrategyTests {
    /// (name, channels, size, out channels per vector lane, kernel, stride, pad, dilation, batch)
    static let cases: [(String, Int, Int, Int, Int, Int, Int, Int, Int)] = [
        ("7x7 stride 2 on three channels", 3, 20, 4, 7, 2, 3, 1, 1),
        ("3x3 on 9x9, two images", 8, 9, 10, 3, 1, 1, 1, 2),
        ("3x3 stride 2 to 5x5", 16, 10, 3, 3, 2, 1, 1, 1),
        ("dilated 3x3", 12, 11, 8, 3, 1, 2, 2, 1),
        ("5x5 without padding", 6, 13, 2, 5, 1, 0, 1, 2),
        // 72 input channels of 9 taps: several blocks of input channels on both targets.
        ("3x3 on 7x7, reduction in blocks", 72, 7, 8, 3, 1, 1, 1, 2),
        // Rows of 30 pixels: whole tiles (stored unrolled) and a partial one on both targets.
        ("3x3 on 30x30, whole tiles", 16, 30, 2, 3, 1, 1, 1, 1),
        // Blocks and at least 16 panels: tasks of several panels, each block run by every
        // panel of the task in turn (a partial last group; a partial last panel).
        ("3x3 on 7x7, panels sharing tasks", 72, 7, 34, 3, 1, 1, 1, 1),
        ("3x3 stride 2, panels sharing tasks, partial panel", 72, 9, 35, 3, 2, 1, 1, 2),
    ]

    /// The strategy for every convolution it can take, cheaper or not.
    static let pinned: [any KernelStrategy] = [ConvDirectChannelsStrategy(onlyWhenCheaper: false)]

    /// The pinned strategy takes the spec's convolution on `target`, and the C agrees with the
    /// interpreter.
    static func expectTakenAndAgreeing(_ spec: String, target: Target, _ label: String) throws {
        let graph = try ConvGEMMStrategyTests.optimized(spec)
        var planned = graph
        let selection = try StrategySelection(&planned, target: target, strategies: pinned)
        #expect(selection.plans.values.contains { $0.strategy == "direct-channels" }, "\(label)")
        try CBackendHarness.expectAgreement(graph, threads: 3, target: target, strategies: pinned)
    }

    @Test(arguments: cases.map(\.0))
    func agreesWithTheInterpreter(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.0 == name })
        for target in ConvGEMMStrategyTests.targets {
            for epilogue in ["residual", "pool"] {
                try Self.expectTakenAndAgreeing(ConvChannelVectorStrategyTests.spec(c, width: target.vectorWidth, epilogue: epilogue),
                                                target: target, "\(name) on \(target)")
            }
        }
    }

    /// Grouped convolutions (two and four groups, strided, batched): each panel reads only its
    /// group's input channels.
    @Test func groupedConvolutionsAgreeWithTheInterpreter() throws {
        for target in ConvGEMMStrategyTests.targets {
            // The last: blocks of input channels and panels sharing tasks across the groups'
            // boundary.
            for (groups, stride, batch, inPerGroup, outPerLane) in [(2, 1, 1, 8, 4), (4, 2, 2, 8, 8), (2, 1, 1, 40, 36)] {
                let out = outPerLane * target.vectorWidth
                let spec = """
                    attend: 1
                    name: grouped_case
                    inputs:
                      x: [\(batch), \(inPerGroup * groups), 9, 9]
                    layers:
                      - conv: {op: conv2d, out: \(out), kernel: 3, stride: \(stride), pad: 1, groups: \(groups), bias: true}
                      - bn: batchnorm
                      - act: relu

                    """
                try Self.expectTakenAndAgreeing(spec, target: target, "\(groups) groups on \(target)")
            }
        }
    }

    /// The blocked cases run in several blocks of input channels on every target; without a
    /// fused pooling, tasks cover runs of rows (where there are fewer than 8 tasks of
    /// panels), with one, whole planes; the cases of many panels put several in a task.
    @Test func tilingFollowsTheReductionAndTheEpilogue() throws {
        for (index, shared) in [(5, false), (7, true), (8, true)] {
            let c = Self.cases[index]
            for target in ConvGEMMStrategyTests.targets {
                for (epilogue, rows) in [("residual", shared ? nil : "rows per task"), ("pool", "whole planes")] {
                    var graph = try ConvGEMMStrategyTests.optimized(ConvChannelVectorStrategyTests.spec(c, width: target.vectorWidth, epilogue: epilogue))
                    let selection = try StrategySelection(&graph, target: target, strategies: Self.pinned)
                    let details = selection.plans.values.filter { $0.strategy == "direct-channels" }.map(\.detail)
                    #expect(!details.isEmpty && details.allSatisfy { $0.contains("input channels per block") && rows.map($0.contains) != false }
                            && details.contains { $0.contains("panels per task") == shared }, "\(details) on \(target) with \(epilogue)")
                }
            }
        }
    }

    /// Tasks are cut where the least is read again: a stride-2 layer at 56x56 (861 KiB of
    /// padded input against 295 KiB of weights) into runs of rows of several panels, a 3x3
    /// 512->512 layer at 7x7 (166 KiB against 9.4 MiB) into groups of panels over whole
    /// planes; each with at least eight tasks.
    @Test func tasksReadTheLeastAgain() throws {
        for (c, rows) in [(("", 64, 56, 8, 3, 2, 1, 1, 1), true), (("", 512, 7, 32, 3, 1, 1, 1, 1), false)] {
            var graph = try ConvGEMMStrategyTests.optimized(ConvChannelVectorStrategyTests.spec(c, width: 16, epilogue: ""))
            let selection = try StrategySelection(&graph, target: .native(.avx512), strategies: Self.pinned)
            let details = selection.plans.values.map(\.detail)
            #expect(details.count == 1 && details.allSatisfy { $0.contains("panels per task") && $0.contains("rows per task") == rows },
                    "\(c): \(details)")
        }
        // The cut itself: reading the input again per group of panels against the weights per
        // run of rows, on the stride-2 layer (4 panels of 32 channels on AVX-512).
        let g = ConvGeometry(input: [1, 64, 56, 56], output: [1, 128, 28, 28],
                             attributes: Attributes([("kernel", .ints([3, 3])), ("stride", .ints([2, 2])), ("pad", .ints([1, 1])),
                                                     ("dilation", .ints([1, 1])), ("groups", .int(1))]))
        let tile = RegisterTile(rows: 14, vectors: 2, width: 16)
        let split = try #require(ConvDirectChannelsStrategy.split(g, tile: tile, panels: 4, channelBlocks: 5, wholePlanes: false,
                                                                  target: .native(.avx512)))
        let tasks = (4 + split.panelsPerTask - 1) / split.panelsPerTask * ((28 + split.rowsPerTask - 1) / split.rowsPerTask)
        #expect(split.panelsPerTask > 1 && split.rowsPerTask < 28 && tasks >= 8, "\(split)")
        #expect(ConvDirectChannelsStrategy.split(g, tile: tile, panels: 4, channelBlocks: 5, wholePlanes: true, target: .native(.avx512))?.rowsPerTask == 28)
    }

    @Test func cleanUnderSanitizers() throws {
        let flags = ["-O1", "-g"] + CBuild.languageFlags + ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
        for target in ConvGEMMStrategyTests.targets {
            for c in [Self.cases[0], Self.cases[3], Self.cases[5], Self.cases[8]] {
                for epilogue in ["residual", "pool"] {
                    let graph = try ConvGEMMStrategyTests.optimized(ConvChannelVectorStrategyTests.spec(c, width: target.vectorWidth, epilogue: epilogue))
                    try CBackendHarness.expectAgreement(graph, threads: 2, flags: flags, compiler: "/usr/bin/gcc", target: target,
                                                        strategies: Self.pinned)
                }
            }
        }
    }

    /// Chosen for the ResNet stem (147 patch values per pixel against 64 channels) and for
    /// 3x3 convolutions on small maps, not for 1x1 convolutions (no window to read).
    @Test func chosenForWindowsOfManyPatchValues() throws {
        for (c, expected) in [(("", 3, 224, 4, 7, 2, 3, 1, 1), true), (("", 512, 7, 32, 3, 1, 1, 1, 1), true),
                              (("", 1024, 14, 16, 1, 1, 0, 1, 1), false)] {
            let graph = try ConvGEMMStrategyTests.optimized(ConvChannelVectorStrategyTests.spec(c, width: 16, epilogue: ""))
            let (_, _, strategies) = try CGenerator.layout(graph, target: .native(.avx512))
            #expect(strategies.contains { $0.strategy == "direct-channels" } == expected, "\(c): \(strategies)")
        }
    }

    /// With several blocks of input channels, the next block's weights are fetched by the
    /// pass's first tiles in turn (step k by tile k % 7 on a 7x7 map of 7 one-row tiles, by
    /// tile k % 8 where a pass runs at least 8 tiles), not all during its first tile.
    @Test func weightFetchesSpreadOverThePassTiles() throws {
        for (c, condition) in [(("", 512, 7, 32, 3, 1, 1, 1, 1), "if ((k % 7) == rt) {"), (("", 256, 28, 16, 3, 1, 1, 1, 1), "if ((k % 8) == rt) {")] {
            var graph = try ConvGEMMStrategyTests.optimized(ConvChannelVectorStrategyTests.spec(c, width: 16, epilogue: ""))
            let selection = try StrategySelection(&graph, target: .native(.avx512), strategies: Self.pinned)
            #expect(selection.plans.values.contains { $0.strategy == "direct-channels" && $0.detail.contains("per block") }, "\(c)")
            let program = try CGenerator.generate(try ConvGEMMStrategyTests.optimized(ConvChannelVectorStrategyTests.spec(c, width: 16, epilogue: "")),
                                                  target: .native(.avx512), strategies: Self.pinned)
            let kernels = program.kernelFiles.map(\.source).joined()
            #expect(kernels.contains(condition), "\(c)")
            #expect(!kernels.contains("if (rt == 0) {"), "\(c)")
        }
    }
}
