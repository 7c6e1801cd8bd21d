import AttendBasic
@testable import AttendCodegen
import AttendInterpreter
import AttendIR
import AttendOptimizer
import Foundation
import Testing

/// The register-tiled GEMM convolution against the interpreter, on shapes chosen to hit
/// every edge: channel counts that are not a multiple of the tile's rows, maps whose pixel
/// count is not a multiple of its columns (and smaller than one tile), strides, dilation,
/// padding larger than the kernel's reach, several reduction blocks, batches, and fused
/// epilogues; for every target this machine can run.
struct ConvGEMMStrategyTests {
    /// (name, input [N, C, H, W], out channels, kernel, stride, pad, dilation, bias); "grouped"
    /// cases use groups 2 (shifted rows) and 4 (packed patches).
    static let cases: [(String, [Int], Int, Int, Int, Int, Int, Bool)] = [
        ("grouped", [1, 12, 10, 9], 48, 3, 1, 1, 1, true),
        ("grouped stride 2", [2, 16, 11, 12], 64, 3, 2, 1, 1, false),
        ("grouped 1x1", [1, 8, 5, 7], 32, 1, 1, 0, 1, true),
        ("3x3 same", [1, 16, 12, 12], 16, 3, 1, 1, 1, true),
        ("3x3 odd channels", [1, 5, 9, 11], 13, 3, 1, 1, 1, false),
        ("1x1", [2, 24, 7, 7], 40, 1, 1, 0, 1, true),
        ("1x1 stride 2", [1, 8, 9, 10], 20, 1, 2, 0, 1, true),
        ("1x1 stride 2, batch and odd sizes", [2, 20, 15, 13], 24, 1, 2, 0, 1, true),
        ("1x1 stride 3", [1, 8, 10, 11], 16, 1, 3, 0, 1, false),
        ("grouped 1x1 stride 2", [1, 16, 9, 9], 32, 1, 2, 0, 1, true),
        ("1x1 stride 2 padded", [1, 8, 9, 10], 20, 1, 2, 1, 1, true),
        ("3x3 stride 2", [1, 12, 15, 14], 24, 3, 2, 1, 1, true),
        ("stem 7x7 stride 2 pad 3", [1, 3, 33, 30], 16, 7, 2, 3, 1, false),
        ("dilated", [1, 6, 13, 13], 10, 3, 1, 2, 2, true),
        ("wide padding", [1, 4, 5, 6], 7, 3, 1, 4, 1, true),
        ("many reduction blocks", [1, 160, 6, 6], 9, 3, 1, 1, 1, true),
        ("batch and one-row maps", [3, 7, 1, 37], 11, 1, 1, 0, 1, true),
        // Maps whose last tile runs on an edge tile of fewer vectors (196 and 2 x 100 pixels),
        // with one and with several reduction blocks.
        ("1x1 edge tile", [1, 40, 14, 14], 36, 1, 1, 0, 1, true),
        ("1x1 edge tile, reduction blocks", [2, 300, 10, 10], 20, 1, 1, 0, 1, false),
        ("3x3 edge tile", [1, 24, 14, 14], 24, 3, 1, 1, 1, true),
    ]

    static func spec(_ c: (String, [Int], Int, Int, Int, Int, Int, Bool), residual: Bool) -> String {
        let (name, shape, out, kernel, stride, pad, dilation, bias) = c
        let groups = name.hasPrefix("grouped") ? (stride == 1 ? 2 : 4) : 1
        var lines = [
            "attend: 1", "name: gemm_case", "inputs:", "  x: [\(shape.map(String.init).joined(separator: ", "))]", "layers:",
            "  - conv: {op: conv2d, out: \(out), kernel: \(kernel), stride: \(stride), pad: \(pad), dilation: \(dilation), groups: \(groups), bias: \(bias)}",
            "  - bn: batchnorm",
            "  - act: relu",
        ]
        if residual { lines.append("  - {op: add, from: [_, x]}") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Targets this machine can run: portable always, and the native ISA.
    static var targets: [Target] {
        let native = Target.native()
        return native.isa == .portable ? [.portable] : [.portable, native]
    }

    static func optimized(_ spec: String) throws -> Graph {
        var graph = try CodegenTests.graph(spec)
        try PassManager(options: PassOptions(level: .o2, verifyEach: true), report: { _ in }).run(&graph)
        return graph
    }

    static let pinned: [any KernelStrategy] = [ConvGEMMStrategy()]

    /// An AVX-512 target with this machine's L1 and a 1 MiB L2, for plans that must not
    /// depend on the machine running the tests.
    static let avx512 = Target(isa: .avx512, vectorWidth: 16, vectorRegisters: 32, l1Bytes: 48 << 10, l2Bytes: 1 << 20, compilerFlags: [])

    @Test(arguments: cases.map(\.0))
    func agreesWithTheInterpreter(_ name: String) throws {
        let c = try #require(Self.cases.first { $0.0 == name })
        // A residual add where the shapes allow it: the epilogue reads a second tensor.
        let residual = c.1[1] == c.2 && c.4 == 1 && 2 * c.5 == c.6 * (c.3 - 1)
        let graph = try Self.optimized(Self.spec(c, residual: residual))
        for target in Self.targets {
            // The GEMM alone, so the cases Winograd would take are still computed by it.
            var planned = graph
            let selection = try StrategySelection(&planned, target: target, strategies: Self.pinned)
            #expect(selection.plans.values.contains { $0.strategy == "gemm" }, "\(name) on \(target)")
            try CBackendHarness.expectAgreement(graph, threads: 2, target: target, strategies: Self.pinned)
        }
    }

    /// A 1x1 convolution at stride 2 or 3 without padding reads a compact copy of the pixels
    /// it uses (the cases above check its numbers); with padding, the pixels it reads include
    /// zeros, and it packs patches.
    @Test func strided1x1ConvolutionsReadASubsampledCopy() throws {
        for (stride, pad, expected) in [(2, 0, "rows of a subsampled copy"), (3, 0, "rows of a subsampled copy"), (2, 1, "packed patches")] {
            let graph = try Self.optimized(Self.spec(("strided", [1, 8, 9, 10], 24, 1, stride, pad, 1, true), residual: false))
            for target in Self.targets {
                var planned = graph
                let selection = try StrategySelection(&planned, target: target, strategies: Self.pinned)
                let details = selection.plans.values.map(\.detail)
                #expect(details.contains { $0.contains(expected) }, "stride \(stride) pad \(pad) on \(target): \(details)")
            }
        }
    }

    /// The tile's values reach the fused epilogue from the partial sums; the convolution's
    /// own output is stored too only where another kernel reads it (here a second
    /// convolution), and both then agree with the interpreter.
    @Test func convolutionOutputIsStoredOnlyWhereReadElsewhere() throws {
        for (name, shared) in [("alone", false), ("read by another convolution", true)] {
            var lines = ["attend: 1", "name: handover", "inputs:", "  x: [1, 24, 9, 10]", "layers:",
                         "  - conv: {op: conv2d, out: 20, kernel: 1, bias: true}", "  - act: relu"]
            if shared { lines += ["  - other: {op: conv2d, out: 20, kernel: 3, pad: 1, from: conv}", "  - {op: add, from: [act, other]}"] }
            let graph = try Self.optimized(lines.joined(separator: "\n") + "\n")
            for target in Self.targets {
                var planned = graph
                let selection = try StrategySelection(&planned, target: target, strategies: Self.pinned)
                let schedule = KernelSchedule(planned, strategies: selection)
                let conv = try #require(planned.nodes.first { $0.layer == "conv" }?.outputs[0])
                #expect(schedule.accumulating.count >= 1, "\(name) on \(target)")
                #expect(schedule.accumulatorsOnly.contains(conv) == !shared, "\(name) on \(target)")
                try CBackendHarness.expectAgreement(graph, threads: 2, target: target, strategies: Self.pinned)
            }
        }
    }

    /// The last tile of a map that leaves fewer columns than a tile runs on just the vectors
    /// it needs; the strategy says so, and the fused global pooling of whole planes (which
    /// reads every tile's stores) agrees with the interpreter.
    @Test func lastTilesRunOnEdgeTiles() throws {
        let tile = RegisterTile(rows: 12, vectors: 2, width: 16)
        #expect(tile.edge(forColumns: 196) == RegisterTile(rows: 12, vectors: 1, width: 16))
        #expect(tile.paddedColumns(196) == 208)
        #expect(tile.edge(forColumns: 224) == nil && tile.paddedColumns(224) == 224)
        #expect(tile.edge(forColumns: 49) == nil && tile.paddedColumns(49) == 64)  // 17 left: both vectors
        let graph = try Self.optimized("""
        attend: 1
        name: edge
        inputs:
          x: [1, 64, 14, 14]
        layers:
          - conv: {op: conv2d, out: 48, kernel: 1}
          - bn: batchnorm
          - pool: {op: mean, axes: [2, 3], keepdim: true}
          - gate: sigmoid
          - {op: mul, from: [bn, gate]}
        """)
        var planned = graph
        let selection = try StrategySelection(&planned, target: Self.avx512, strategies: Self.pinned)
        #expect(selection.plans.values.contains { $0.strategy == "gemm" && $0.detail.contains("edge tile") && $0.detail.contains("whole planes") },
                "\(selection.plans.values.map(\.detail))")
        for target in Self.targets {
            try CBackendHarness.expectAgreement(graph, threads: 2, target: target, strategies: Self.pinned)
        }
    }

    /// Weights beyond a quarter of L2 are fetched a panel ahead (the plan says so; the
    /// numbers are unchanged); small ones are not.
    @Test func largeWeightsArePrefetched() throws {
        for (inChannels, prefetched) in [(1024, true), (64, false)] {
            let graph = try Self.optimized(Self.spec(("", [1, inChannels, 7, 8], 260, 1, 1, 0, 1, true), residual: false))
            var planned = graph
            let selection = try StrategySelection(&planned, target: Self.avx512, strategies: Self.pinned)
            let details = selection.plans.values.map(\.detail)
            #expect(details.count == 1 && details.allSatisfy { $0.contains("weights prefetched") == prefetched }, "\(details)")
            if prefetched {
                for target in Self.targets {
                    try CBackendHarness.expectAgreement(graph, threads: 2, target: target, strategies: Self.pinned)
                }
            }
        }
    }

    @Test func cleanUnderSanitizers() throws {
        // Edge panels, partial and edge tiles, several reduction blocks, a fused epilogue:
        // every access in bounds.
        let flags = ["-O1", "-g"] + CBuild.languageFlags + ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
        for c in [("", [2, 70, 5, 7], 13, 3, 1, 1, 1, true), ("", [1, 300, 14, 14], 20, 1, 1, 0, 1, true)] {
            let graph = try Self.optimized(Self.spec(c, residual: false))
            for target in Self.targets {
                try CBackendHarness.expectAgreement(graph, threads: 2, flags: flags, compiler: "/usr/bin/gcc", target: target)
            }
        }
    }

    @Test func tinyMapsAndGroupedConvsKeepTheDirectLoops() throws {
        let grouped = try Self.optimized("""
        attend: 1
        name: grouped
        inputs:
          x: [1, 8, 10, 10]
        layers:
          - g: {op: conv2d, out: 8, kernel: 3, pad: 1, groups: 4}
          - pool: {op: mean, axes: [2, 3], keepdim: true}
          - fc: {op: conv2d, out: 4, kernel: 1}
        """)
        let (_, _, strategies) = try CGenerator.layout(grouped, target: Self.avx512)
        #expect(strategies.allSatisfy { $0.strategy == "direct" }, "\(strategies)")
    }

    @Test func tilesFitTheRegisterFile() {
        for target in [Target.portable, .native(.avx2), .native(.avx512)] {
            for (rows, columns) in [(64, 3136), (512, 49), (13, 17), (1, 1), (2048, 7), (7, 512), (112, 64)] {
                guard let tile = RegisterTile.choose(rows: rows, columns: columns, target: target) else {
                    Issue.record("no tile for \(rows)x\(columns) on \(target)")
                    continue
                }
                #expect(tile.rows * tile.vectors <= RegisterTile.RegisterFileRules(target).accumulatorBudget)
                #expect(tile.rows >= 3 || tile.rows * tile.vectors == RegisterTile.RegisterFileRules(target).accumulatorBudget)
                #expect(tile.width == target.vectorWidth)
                // Enough accumulators to hide the FMA latency, and none spilled: the
                // accumulators, the B vectors and the broadcast all in registers with one to
                // spare, with or without filling them.
                for filled in [tile, RegisterTile.choose(rows: rows, columns: columns, target: target, fewerRows: true, fillingRegisters: true)] {
                    guard let filled else { Issue.record("no filling tile for \(rows)x\(columns) on \(target)"); continue }
                    #expect(filled.rows * filled.vectors >= RegisterTile.RegisterFileRules(target).minimumAccumulators, "\(filled) on \(target)")
                    #expect(filled.rows * filled.vectors + filled.vectors + 1 < target.vectorRegisters, "\(filled) on \(target)")
                }
            }
            // Grouped convolutions: rows divide the group's output channels, or no tile.
            for divisor in [64, 48, 20, 9] {
                let tile = RegisterTile.choose(rows: 4 * divisor, columns: 196, target: target, rowsDividing: divisor)
                #expect(tile.map { divisor % $0.rows == 0 && $0.rows >= 3 } ?? true, "\(divisor): \(String(describing: tile))")
            }
            #expect(RegisterTile.choose(rows: 8, columns: 196, target: target, rowsDividing: 2) == nil)
        }
        // 16 output channels per group on AVX2: no tile of 10 accumulators divides them, so
        // the tile settles for 8 (as grouped 1x1 convolutions need) rather than none.
        let grouped = RegisterTile.choose(rows: 64, columns: 196, target: .native(.avx2), rowsDividing: 16)
        #expect(grouped.map { 16 % $0.rows == 0 && $0.rows * $0.vectors == 8 } == true, "\(String(describing: grouped))")
    }
}
