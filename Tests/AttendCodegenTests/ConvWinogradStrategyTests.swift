import AttendBasic
@testable import AttendCodegen
import AttendIR
import Testing

/// Winograd F(2x2, 3x3) convolutions against the interpreter: maps of odd and even sides
/// (partial tiles on the bottom and right), padding 0 to 2, tile rows narrower and wider than
/// a vector (a vector of tiles overrunning into the next tile row), channel counts that leave
/// a partial panel, batches, grouped and dilated convolutions, and fused epilogues (a residual add at the store, and a global
/// pooling left to its own kernel); for the portable target (4-lane vectors) and the native one.
struct ConvWinogradStrategyTests {
    /// (name, input [N, C, H, W], out channels, pad)
    static let cases: [(String, [Int], Int, Int)] = [
        ("even map", [1, 16, 12, 12], 16, 1),
        ("odd map, partial panel", [1, 8, 9, 11], 13, 1),
        ("no padding", [2, 6, 10, 7], 20, 0),
        ("wide padding", [1, 5, 5, 6], 9, 2),
        ("wide rows", [1, 4, 6, 45], 8, 1),
        ("one tile row", [3, 7, 2, 9], 10, 1),
    ]

    /// Grouped convolutions: (name, input, out channels, pad, groups). Each task transforms
    /// only its group's input channels and reads its group's filters; groups whose channels
    /// are not whole panels end in a padded panel each (13 and 7 channels fill no tile's rows).
    static let groupedCases: [(String, [Int], Int, Int, Int)] = [
        ("2 groups", [1, 8, 9, 11], 16, 1, 2),
        ("4 groups, batch 2", [2, 12, 10, 7], 24, 1, 4),
        ("2 groups, wide rows", [1, 6, 6, 45], 12, 0, 2),
        ("2 groups of 13, padded panels", [1, 10, 8, 9], 26, 1, 2),
        ("3 groups of 7, batch 3", [3, 6, 6, 6], 21, 1, 3),
    ]

    /// Dilated convolutions, as undilated ones over the dilation's phases: (name, input, out
    /// channels, pad, dilation). Batches, phases of odd sides (partial tiles), a partial
    /// panel, no padding, and a dilation along one axis only.
    static let dilatedCases: [(String, [Int], Int, String, String)] = [
        ("dilation 2, batch 2", [2, 8, 12, 10], 13, "2", "2"),
        ("dilation 3, odd phases", [1, 6, 9, 15], 8, "3", "3"),
        ("dilation 2, no padding", [1, 5, 8, 12], 9, "0", "2"),
        ("dilation along rows", [1, 4, 6, 9], 8, "[2, 1]", "[2, 1]"),
    ]

    static func spec(_ c: (String, [Int], Int, Int), epilogue: String, groups: Int = 1) -> String {
        spec(shape: c.1, out: c.2, pad: "\(c.3)", dilation: "1", epilogue: epilogue, groups: groups)
    }

    static func spec(shape: [Int], out: Int, pad: String, dilation: String, epilogue: String, groups: Int = 1) -> String {
        var lines = [
            "attend: 1", "name: winograd_case", "inputs:", "  x: [\(shape.map(String.init).joined(separator: ", "))]", "layers:",
            "  - conv: {op: conv2d, out: \(out), kernel: 3, stride: 1, pad: \(pad), dilation: \(dilation), groups: \(groups), bias: true}",
            "  - bn: batchnorm",
            "  - act: relu",
        ]
        switch epilogue {
        case "residual": lines += ["  - other: {op: conv2d, out: \(out), kernel: 3, pad: \(pad), dilation: \(dilation), bias: false, from: x}",
                                   "  - {op: add, from: [act, _]}"]
        case "pool": lines.append("  - pool: {op: mean, axes: [2, 3], keepdim: true}")
        default: break
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The strategy for every convolution it can take, cheaper or not.
    static let pinned: [any KernelStrategy] = [ConvWinogradStrategy(onlyWhenCheaper: false)]

    @Test(arguments: cases.map(\.0))
    func agreesWithTheInterpreter(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.0 == name })
        for target in ConvGEMMStrategyTests.targets {
            for epilogue in ["residual", "pool"] {
                var graph = try ConvGEMMStrategyTests.optimized(Self.spec(c, epilogue: epilogue))
                let selection = try StrategySelection(&graph, target: target, strategies: Self.pinned)
                #expect(selection.plans.values.contains { $0.strategy == "winograd" }, "\(name) on \(target)")
                try CBackendHarness.expectAgreement(try ConvGEMMStrategyTests.optimized(Self.spec(c, epilogue: epilogue)),
                                                    threads: 3, target: target, strategies: Self.pinned)
            }
        }
    }

    /// Each phase's pixels are read from and written to their places in the image: a wrong
    /// phase or stride puts values in the wrong pixels, which the interpreter catches. A fused
    /// global pooling gets a kernel of its own (a task holds one phase of its planes).
    @Test(arguments: dilatedCases.map(\.0))
    func dilatedAgreesWithTheInterpreter(_ name: String) throws {
        let c = try #require(Self.dilatedCases.first { $0.0 == name })
        for target in ConvGEMMStrategyTests.targets {
            for epilogue in ["residual", "pool"] {
                let spec = Self.spec(shape: c.1, out: c.2, pad: c.3, dilation: c.4, epilogue: epilogue)
                var graph = try ConvGEMMStrategyTests.optimized(spec)
                let selection = try StrategySelection(&graph, target: target, strategies: Self.pinned)
                let chosen = selection.plans.values.filter { $0.strategy == "winograd" }
                #expect(!chosen.isEmpty && chosen.allSatisfy { $0.detail.contains("phases") && !$0.detail.contains("whole planes") },
                        "\(name) on \(target): \(chosen.map(\.detail))")
                try CBackendHarness.expectAgreement(try ConvGEMMStrategyTests.optimized(spec), threads: 3, target: target, strategies: Self.pinned)
            }
        }
    }

    @Test(arguments: groupedCases.map(\.0))
    func groupedAgreesWithTheInterpreter(_ name: String) throws {
        let c = try #require(Self.groupedCases.first { $0.0 == name })
        let plain = (c.0, c.1, c.2, c.3)
        for target in ConvGEMMStrategyTests.targets {
            for epilogue in ["residual", "pool"] {
                var graph = try ConvGEMMStrategyTests.optimized(Self.spec(plain, epilogue: epilogue, groups: c.4))
                let selection = try StrategySelection(&graph, target: target, strategies: Self.pinned)
                // Both convolutions (the residual's is not grouped); the grouped one's tasks
                // each take panels of one group, so it has a task group per convolution group.
                let chosen = selection.plans.values.filter { $0.strategy == "winograd" }
                #expect(chosen.count == (epilogue == "residual" ? 2 : 1), "\(name) on \(target)")
                #expect(chosen.contains { $0.detail.contains("channel groups") }, "\(name) on \(target): \(chosen.map(\.detail))")
                try CBackendHarness.expectAgreement(try ConvGEMMStrategyTests.optimized(Self.spec(plain, epilogue: epilogue, groups: c.4)),
                                                    threads: 3, target: target, strategies: Self.pinned)
            }
        }
    }

    /// A convolution group's panels split into task groups that do not divide them: 2
    /// groups of 13 channels on AVX2 (6-row tiles: 3 panels per group, the last padded) over
    /// one run of tiles (an 8x8 map's 16) want 4 task groups, so each group's panels run as
    /// 2 + 1. With the pooling fused, tasks finalize whole planes up to their group's last
    /// channel (the padded rows are none).
    @Test func groupsSplitIntoUnevenTaskGroups() throws {
        for epilogue in ["residual", "pool"] {
            let spec = Self.spec(("uneven", [1, 10, 8, 8], 26, 1), epilogue: epilogue, groups: 2)
            var graph = try ConvGEMMStrategyTests.optimized(spec)
            let selection = try StrategySelection(&graph, target: .native(.avx2), strategies: Self.pinned)
            let details = selection.plans.values.map(\.detail)
            #expect(details.contains { $0.hasPrefix("F(2x2, 3x3), tile 6 channels x 16 tiles, 4 channel groups") }, "\(epilogue): \(details)")
            try CBackendHarness.expectAgreement(try ConvGEMMStrategyTests.optimized(spec), threads: 3, target: .native(.avx2), strategies: Self.pinned)
        }
    }

    /// A global pooling fused after the convolution (an SE squeeze: the map is gated by its
    /// own mean) runs in the kernel, over whole planes, only when that takes no more channel
    /// groups than tasks over runs of tiles would (each group transforms every tile again);
    /// else the pooling gets a kernel of its own. Both agree with the interpreter.
    @Test func wholePlanesOnlyWithoutExtraGroups() throws {
        func squeeze(_ shape: [Int], out: Int) -> String {
            ["attend: 1", "name: squeeze_case", "inputs:", "  x: [\(shape.map(String.init).joined(separator: ", "))]", "layers:",
             "  - conv: {op: conv2d, out: \(out), kernel: 3, stride: 1, pad: 1, bias: true}",
             "  - act: relu",
             "  - pool: {op: mean, axes: [2, 3], keepdim: true}",
             "  - gate: {op: mul, from: [act, pool]}", ""].joined(separator: "\n")
        }
        for target in ConvGEMMStrategyTests.targets {
            // Four images: four tasks of whole images need no extra groups. One image of 144
            // tiles and 64 channels: whole planes would need four groups, runs of tiles fewer.
            for (shape, out, whole) in [([4, 16, 12, 12], 16, true), ([1, 16, 24, 24], 64, false)] {
                var graph = try ConvGEMMStrategyTests.optimized(squeeze(shape, out: out))
                let selection = try StrategySelection(&graph, target: target, strategies: Self.pinned)
                let details = selection.plans.values.map(\.detail)
                #expect(details.count == 1 && details.allSatisfy { $0.contains("whole planes") == whole }, "\(shape) on \(target): \(details)")
                try CBackendHarness.expectAgreement(try ConvGEMMStrategyTests.optimized(squeeze(shape, out: out)),
                                                    threads: 3, target: target, strategies: Self.pinned)
            }
        }
    }

    /// The output transform's zero coefficients become index conditions on the position
    /// loops, one run per row of `Aᵀ` shifting with the row: F(2x2, 3x3)'s rows are nonzero
    /// on [0, 3) and [1, 4); rows whose runs do not shift alike, or are not runs, give none.
    @Test func zeroTermsAreSkippedByShiftingRuns() throws {
        let at = try #require(WinogradTransform(m: 2)).at
        let runs = try #require(ConvWinogradStrategy.shiftingRuns(at))
        #expect(runs.first == 0 && runs.length == 3 && runs.shift == 1)
        #expect(ConvWinogradStrategy.shiftingRuns([[1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]]) == nil)
        #expect(ConvWinogradStrategy.shiftingRuns([[1, 0, 1], [0, 1, 0]]) == nil)
        #expect(ConvWinogradStrategy.shiftingRuns([[1, 1, 0, 0, 0], [0, 0, 1, 1, 0]])! == (first: 0, length: 2, shift: 2))
    }

    @Test func cleanUnderSanitizers() throws {
        let flags = ["-O1", "-g"] + CBuild.languageFlags + ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
        for target in ConvGEMMStrategyTests.targets {
            for c in [Self.cases[1], Self.cases[4], Self.cases[5]] {
                let graph = try ConvGEMMStrategyTests.optimized(Self.spec(c, epilogue: "residual"))
                try CBackendHarness.expectAgreement(graph, threads: 2, flags: flags, compiler: "/usr/bin/gcc", target: target, strategies: Self.pinned)
            }
            let dilated = Self.dilatedCases[1]
            try CBackendHarness.expectAgreement(try ConvGEMMStrategyTests.optimized(Self.spec(shape: dilated.1, out: dilated.2, pad: dilated.3,
                                                                                                dilation: dilated.4, epilogue: "residual")),
                                                threads: 2, flags: flags, compiler: "/usr/bin/gcc", target: target, strategies: Self.pinned)
            let grouped = Self.groupedCases[1]
            let graph = try ConvGEMMStrategyTests.optimized(Self.spec((grouped.0, grouped.1, grouped.2, grouped.3), epilogue: "residual", groups: grouped.4))
            try CBackendHarness.expectAgreement(graph, threads: 2, flags: flags, compiler: "/usr/bin/gcc", target: target, strategies: Self.pinned)
        }
    }

    /// Where it is chosen among all strategies on AVX-512: the 3x3 stride-1 layers of ResNet
    /// stages 1-2 (56x56 and 28x28 maps), not 14x14 or 7x7 maps (too few tiles for vectors of
    /// tiles: `winograd-channels` or the direct channel-vector product takes them; on AVX2
    /// 14x14 maps too, see `ConvWinogradChannelsStrategyTests.chosenForSmallMaps`), strides, or
    /// dilations whose phases do not split the map and padding evenly; grouped
    /// convolutions with at least 32 channels per group in and out (ResNeSt's split
    /// attention: 2 groups of 64 in, 128 out at 56x56), not narrower groups.
    @Test func chosenForResNetStagesOnly() throws {
        func strategies(_ layer: String, _ shape: [Int], on isa: Target.ISA = .avx512) throws -> [String] {
            let spec = "attend: 1\nname: choice\ninputs:\n  x: [\(shape.map(String.init).joined(separator: ", "))]\nlayers:\n  - conv: \(layer)\n"
            let (_, _, chosen) = try CGenerator.layout(try ConvGEMMStrategyTests.optimized(spec), target: .native(isa))
            return chosen.map(\.strategy)
        }
        let same = "{op: conv2d, out: 64, kernel: 3, pad: 1, bias: false}"
        #expect(try strategies(same, [1, 64, 56, 56]) == ["winograd"])
        #expect(try strategies("{op: conv2d, out: 128, kernel: 3, pad: 1, bias: false}", [1, 128, 28, 28]) == ["winograd"])
        #expect(try strategies("{op: conv2d, out: 256, kernel: 3, pad: 1, bias: false}", [1, 256, 14, 14]) == ["winograd-channels"])
        #expect(try !strategies("{op: conv2d, out: 512, kernel: 3, pad: 1, bias: false}", [1, 512, 7, 7]).contains("winograd"))
        #expect(try !strategies("{op: conv2d, out: 64, kernel: 3, stride: 2, pad: 1, bias: false}", [1, 64, 56, 56]).contains("winograd"))
        // Dilated: over the dilation's phases, where the map and padding split into them.
        #expect(try strategies("{op: conv2d, out: 64, kernel: 3, pad: 2, dilation: 2, bias: false}", [1, 64, 56, 56]) == ["winograd"])
        #expect(try !strategies("{op: conv2d, out: 64, kernel: 3, pad: 2, dilation: 2, bias: false}", [1, 64, 57, 57]).contains("winograd"))
        #expect(try !strategies("{op: conv2d, out: 64, kernel: 3, pad: 1, dilation: 2, bias: false}", [1, 64, 56, 56]).contains("winograd"))
        #expect(try strategies("{op: conv2d, out: 256, kernel: 3, pad: 1, groups: 2, bias: false}", [1, 128, 56, 56]) == ["winograd"])
        // On AVX2, grouped convolutions on small maps go to `winograd-channels` as the others
        // do (ResNeSt's last radix layer), and dilated ones stay here at any size
        // (`winograd-channels` takes none).
        #expect(try strategies("{op: conv2d, out: 1024, kernel: 3, pad: 1, groups: 2, bias: false}", [1, 512, 14, 14], on: .avx2) == ["winograd-channels"])
        #expect(try strategies("{op: conv2d, out: 256, kernel: 3, pad: 1, groups: 2, bias: false}", [1, 128, 56, 56], on: .avx2) == ["winograd"])
        #expect(try strategies("{op: conv2d, out: 128, kernel: 3, pad: 2, dilation: 2, bias: false}", [1, 128, 28, 28], on: .avx2) == ["winograd"])
        #expect(try !strategies("{op: conv2d, out: 64, kernel: 3, pad: 1, groups: 4, bias: false}", [1, 64, 56, 56]).contains("winograd"))
        #expect(try !strategies("{op: conv2d, out: 64, kernel: 3, pad: 1, groups: 64, bias: false}", [1, 64, 56, 56]).contains("winograd"))
    }
}
