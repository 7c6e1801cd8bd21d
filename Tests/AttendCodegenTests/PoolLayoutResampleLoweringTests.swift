import AttendBasic
@testable import AttendCodegen
import AttendInterpreter
import AttendIR
import Foundation
import Testing

/// Lowerings of pooling, layout and resampling ops: the C they print, and end to end against
/// the interpreter on awkward shapes (non-square, not multiples of 8, ceil_mode, padding that
/// clips, negative slice starts, every pad mode, up- and down-sampling by size and by scale).
/// Many nodes share one graph so each case costs one C compile.
@Suite struct PoolLayoutResampleLoweringTests {
    typealias Args = [(String, ArgValue)]

    /// One node: op name, indices of the graph inputs it reads, arguments.
    struct Case {
        var op: String
        var inputs: [Int]
        var args: Args
        init(_ op: String, _ inputs: [Int] = [0], _ args: Args = []) {
            self.op = op
            self.inputs = inputs
            self.args = args
        }
    }

    /// A graph over inputs of `shapes` with one node per case; every node output is a graph output.
    static func graph(_ name: String, inputs shapes: [[Int]], _ cases: [Case]) throws -> Graph {
        var g = Graph(name: name)
        let inputs = shapes.indices.map { g.addInput(name: "x\($0)", shape: shapes[$0]) }
        for (k, c) in cases.enumerated() {
            let op = try #require(OpRegistry.op(named: c.op))
            let attributes = try op.typeArguments(c.args.map { (name: $0.0, value: $0.1) })
            let outputs = try g.apply(op, inputs: c.inputs.map { inputs[$0] }, attributes: attributes, layer: "n\(k)")
            g.outputs += outputs.enumerated().map { (name: "\(c.op)\(k)_\($0.offset)", value: $0.element) }
        }
        return g
    }

    /// The printed C of one node's kernel.
    static func kernelSource(_ op: String, inputs shapes: [[Int]], _ args: Args = []) throws -> String {
        let g = try graph("k", inputs: shapes, [Case(op, Array(shapes.indices), args)])
        let node = g.nodes[0]
        let lowering = try #require(Lowerings.direct(for: node.op))
        return CPrinter().kernel(try CGenerator.makeKernel(node, index: 0, graph: g, lowering: lowering))
    }

    static let ops = ["avgpool2d", "maxpool2d", "adaptive_avgpool2d", "adaptive_maxpool2d", "reshape", "permute", "transpose",
                      "flatten", "concat", "split", "unbind", "slice", "pad", "interpolate", "expand"]

    @Test func everyPoolLayoutResampleOpHasALowering() {
        for op in Self.ops { #expect(OpRegistry.op(named: op) is any DirectLowering, "\(op)") }
    }

    // MARK: The C they print

    @Test func transposeIsAGatherOverRowsWithAContiguousInnerLoop() throws {
        let c = try Self.kernelSource("transpose", inputs: [[1, 5, 7]], [("dim0", .int(1)), ("dim1", .int(2))])
        #expect(c.contains("attend_parallel_for(pool, 0, 7, "))
        #expect(c.contains("for (int64_t j = 0; j < 5; j++) {"))
        #expect(c.contains("out0[((r * 5) + j)] = in0[(r + (j * 7))];"))
    }

    @Test func concatPicksItsInputPerRowInOneTask() throws {
        let c = try Self.kernelSource("concat", inputs: [[1, 3, 4, 5], [1, 2, 4, 5]], [("axis", .int(1))])
        #expect(c.contains("attend_parallel_for(pool, 0, 5, "))
        #expect(c.contains("if (r < 3) {"))
        #expect(c.contains("out0[((r * 20) + j)] = in0[((r * 20) + j)];"))
        #expect(c.contains("out0[((r * 20) + j)] = in1[(((r - 3) * 20) + j)];"))
        #expect(c.components(separatedBy: "attend_parallel_for").count == 2)
    }

    @Test func lastAxisSplitCopiesBlocks() throws {
        let c = try Self.kernelSource("split", inputs: [[6, 5]], [("sizes", .ints([2, 3])), ("axis", .int(-1))])
        #expect(c.contains("out0[((o * 2) + j)] = in0[((o * 5) + j)];"))
        #expect(c.contains("out1[((o * 3) + j)] = in0[(((o * 5) + 2) + j)];"))
    }

    @Test func poolingWindowsAreLoopBoundsClampedOnlyWherePaddingReaches() throws {
        let plain = try Self.kernelSource("maxpool2d", inputs: [[1, 2, 8, 8]], [("kernel", .ints([2, 2]))])
        #expect(!plain.contains("attend_max_i64") && !plain.contains("attend_min_i64"))
        #expect(plain.contains("acc = attend_maxf(in0["))
        let padded = try Self.kernelSource("avgpool2d", inputs: [[1, 2, 8, 8]],
                                           [("kernel", .ints([3, 3])), ("stride", .ints([2, 2])), ("pad", .ints([1, 1])),
                                            ("count_include_pad", .bool(false))])
        #expect(padded.contains("attend_max_i64(h0, 0)"))
        #expect(padded.contains("acc / (float)"))
    }

    @Test func globalAveragePoolingHasNoIndexArithmeticPerPlane() throws {
        let c = try Self.kernelSource("adaptive_avgpool2d", inputs: [[1, 16, 7, 7]], [("size", .ints([1, 1]))])
        #expect(c.contains("for (int64_t kh = 0; kh < 7; kh++) {"))
        #expect(c.contains("out0[r] = (acc / 49.0f);"))
    }

    @Test func nearestUsesIntegerIndicesWhereTheyAgreeWithFloat32() throws {
        // 4 -> 12 (scale 1/3 is inexact in float32, yet floor(o * s) = o / 3 for every o).
        let exact = try Self.kernelSource("interpolate", inputs: [[1, 1, 4, 4]], [("size", .ints([12, 12]))])
        #expect(exact.contains("floorf") == false)
        #expect(exact.contains("(r * 4) / 12"))
        // Scale 1.7 on 5 columns: float32 1/1.7 disagrees with 5/8 somewhere.
        let scaled = try Self.kernelSource("interpolate", inputs: [[1, 1, 5, 5]], [("scale", .floats([1.7]))])
        #expect(scaled.contains("floorf"))
    }

    @Test func bilinearRoundsTheProductOnItsOwn() throws {
        let c = try Self.kernelSource("interpolate", inputs: [[1, 1, 4, 6]], [("size", .ints([7, 9])), ("mode", .string("bilinear"))])
        #expect(c.contains("float ht = (0.5714286f * ((float)r + 0.5f));"))
        #expect(c.contains("float hr = attend_maxf((ht - 0.5f), 0.0f);"))
    }

    // MARK: End to end against the interpreter

    /// Address and undefined-behavior sanitizers: graph inputs and outputs live in buffers of
    /// their exact size, so any index outside them fails the run.
    static let sanitized = CBackendHarness.flags + ["-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]

    /// Agreement with the interpreter on seeded random inputs, built with `flags`.
    static func expectAgreement(_ graph: Graph, seed: UInt64 = 1, threads: Int = 2, flags: [String] = sanitized,
                                sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let inputs = try Weights.randomInputs(graph, seed: seed)
        let expected = try Interpreter(graph: graph).run(parameters: [:], inputs: inputs)
        let actual = try CBackendHarness.run(graph, parameters: [:], inputs: inputs, flags: flags, threads: threads)
        for (name, reference) in expected {
            guard let tensor = actual[name] else {
                Issue.record("C produced no output '\(name)'", sourceLocation: sourceLocation)
                continue
            }
            if let problem = CBackendHarness.tolerance.mismatch(tensor, reference) {
                Issue.record("\(graph.name) output \(name): \(problem)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func pooling() throws {
        let k3s2: Args = [("kernel", .ints([3, 3])), ("stride", .ints([2, 2]))]
        let g = try Self.graph("pooling", inputs: [[2, 3, 11, 13], [1, 2, 9, 6]], [
            Case("avgpool2d", [0], [("kernel", .ints([2, 2]))]),
            Case("avgpool2d", [0], k3s2 + [("pad", .ints([1, 1]))]),
            Case("avgpool2d", [0], k3s2 + [("pad", .ints([1, 1])), ("count_include_pad", .bool(false))]),
            Case("avgpool2d", [0], k3s2 + [("pad", .ints([1, 0])), ("ceil_mode", .bool(true))]),
            Case("avgpool2d", [0], k3s2 + [("pad", .ints([1, 1])), ("ceil_mode", .bool(true)), ("count_include_pad", .bool(false))]),
            Case("avgpool2d", [1], [("kernel", .ints([4, 3])), ("stride", .ints([3, 2])), ("pad", .ints([2, 1])), ("ceil_mode", .bool(true))]),
            Case("avgpool2d", [1], [("kernel", .ints([2, 4])), ("stride", .ints([3, 1])), ("ceil_mode", .bool(true))]),
            Case("maxpool2d", [0], [("kernel", .ints([2, 2]))]),
            Case("maxpool2d", [0], k3s2 + [("pad", .ints([1, 1]))]),
            Case("maxpool2d", [0], k3s2 + [("pad", .ints([1, 1])), ("ceil_mode", .bool(true))]),
            Case("maxpool2d", [0], k3s2 + [("dilation", .ints([2, 3])), ("pad", .ints([1, 1]))]),
            Case("maxpool2d", [0], [("kernel", .ints([3, 2])), ("stride", .ints([2, 3])), ("dilation", .ints([2, 2])),
                                    ("pad", .ints([1, 1])), ("ceil_mode", .bool(true))]),
            Case("maxpool2d", [1], [("kernel", .ints([5, 3])), ("stride", .ints([1, 2])), ("pad", .ints([2, 1])), ("ceil_mode", .bool(true))]),
            Case("adaptive_avgpool2d", [0], [("size", .ints([1, 1]))]),
            Case("adaptive_avgpool2d", [0], [("size", .ints([4, 5]))]),
            Case("adaptive_avgpool2d", [1], [("size", .ints([7, 4]))]),
            Case("adaptive_avgpool2d", [1], [("size", .ints([12, 10]))]),
            Case("adaptive_maxpool2d", [0], [("size", .ints([1, 1]))]),
            Case("adaptive_maxpool2d", [0], [("size", .ints([3, 7]))]),
            Case("adaptive_maxpool2d", [1], [("size", .ints([5, 8]))]),
        ])
        try Self.expectAgreement(g)
        try CBackendHarness.expectAgreement(g, seed: 2, threads: 3)
    }

    @Test func maxPoolingPropagatesNaNAndIgnoresPadding() throws {
        let g = try Self.graph("maxnan", inputs: [[1, 2, 5, 7]], [
            Case("maxpool2d", [0], [("kernel", .ints([3, 3])), ("stride", .ints([2, 2])), ("pad", .ints([1, 1])), ("ceil_mode", .bool(true))]),
            Case("adaptive_maxpool2d", [0], [("size", .ints([2, 3]))]),
        ])
        var data = (0..<70).map { -Float($0) - 1 } // all negative: padding (-inf) must not win
        data[8] = .nan
        data[50] = .nan
        let inputs = ["x0": Tensor(shape: [1, 2, 5, 7], data: data)]
        let expected = try Interpreter(graph: g).run(parameters: [:], inputs: inputs)
        let actual = try CBackendHarness.run(g, parameters: [:], inputs: inputs)
        for (name, reference) in expected {
            let tensor = try #require(actual[name])
            #expect(reference.data.contains { $0.isNaN })
            #expect(CBackendHarness.tolerance.mismatch(tensor, reference) == nil, "\(name)")
        }
    }

    /// Global mean and max of a convolution's map reduced in its kernel's epilogue (CBAM's
    /// channel squeeze) run as vectorized reductions, whose lanes combine in any order: a NaN
    /// in an image's map still makes its maxima and means NaN, an infinity stays infinite,
    /// and finite images agree with the interpreter's in-order sums.
    @Test func fusedSqueezeReductionsPropagateNaNAndInfinity() throws {
        let spec = ["attend: 1", "name: squeeze_nan", "inputs:", "  x: [3, 8, 6, 10]", "layers:",
                    "  - conv: {op: conv2d, out: 16, kernel: 1, bias: true}",
                    "  - avg: {op: mean, axes: [2, 3], keepdim: true, from: conv}",
                    "  - peak: {op: max, axes: [2, 3], keepdim: true, from: conv}",
                    "  - both: {op: add, from: [avg, peak]}",
                    "  - gate: {op: mul, from: [conv, both]}", ""].joined(separator: "\n")
        let g = try ConvGEMMStrategyTests.optimized(spec)
        var random = SeededRandom(seed: 9)
        var data = (0..<(3 * 8 * 60)).map { _ in random.uniform(-1, 1) }
        data[0 * 480 + 2 * 60 + 17] = .nan       // image 0: one pixel of one input channel
        data[1 * 480 + 5 * 60 + 31] = .infinity  // image 1
        let inputs = ["x": Tensor(shape: [3, 8, 6, 10], data: data)]
        let parameters = try Weights.initialize(g, seed: 9)
        let expected = try Interpreter(graph: g).run(parameters: parameters, inputs: inputs)
        for target in ConvGEMMStrategyTests.targets {
            let program = try CGenerator.generate(g, target: target)
            #expect(program.kernelFiles.contains { $0.source.contains("reduction(attend_max:") }, "no vectorized max on \(target)")
            let actual = try CBackendHarness.run(g, parameters: parameters, inputs: inputs, target: target)
            for (name, reference) in expected {
                let tensor = try #require(actual[name])
                #expect(reference.data.contains { $0.isNaN } && reference.data.contains { $0.isInfinite })
                #expect(CBackendHarness.tolerance.mismatch(tensor, reference) == nil, "\(name) on \(target)")
            }
        }
    }

    @Test func layout() throws {
        let g = try Self.graph("layout", inputs: [[2, 3, 5, 7], [1, 6, 35], [3]], [
            Case("reshape", [0], [("shape", .ints([6, -1]))]),
            Case("flatten", [0], [("start", .int(1))]),
            Case("flatten", [0], [("start", .int(0)), ("end", .int(2))]),
            Case("permute", [0], [("dims", .ints([0, 2, 3, 1]))]),
            Case("permute", [0], [("dims", .ints([3, 1, 0, 2]))]),
            Case("permute", [1], [("dims", .ints([0, 2, 1]))]),
            Case("transpose", [0], [("dim0", .int(-1)), ("dim1", .int(-2))]),
            Case("transpose", [1], [("dim0", .int(0)), ("dim1", .int(2))]),
            Case("transpose", [2], [("dim0", .int(0)), ("dim1", .int(0))]),
            Case("slice", [0], [("axis", .int(1)), ("start", .int(-2))]),
            Case("slice", [0], [("axis", .int(-1)), ("start", .int(-6)), ("end", .int(-1)), ("step", .int(2))]),
            Case("slice", [0], [("axis", .int(2)), ("start", .int(1)), ("end", .int(100)), ("step", .int(3))]),
            Case("slice", [1], [("axis", .int(0)), ("start", .int(-5))]),
            Case("slice", [1], [("axis", .int(2)), ("start", .int(3)), ("end", .int(4))]),
            Case("slice", [2], [("axis", .int(0)), ("start", .int(1))]),
            Case("expand", [2], [("shape", .ints([2, 4, 3]))]),
            Case("expand", [1], [("shape", .ints([3, -1, 6, -1]))]),
        ])
        try Self.expectAgreement(g)
    }

    @Test func concatSplitUnbind() throws {
        let g = try Self.graph("pieces", inputs: [[2, 3, 5, 7], [2, 1, 5, 7], [2, 4, 5, 7], [2, 3, 5, 2], [1, 9, 6], [1, 2, 6]], [
            Case("concat", [0, 1, 2], [("axis", .int(1))]),
            Case("concat", [0, 3], [("axis", .int(-1))]),
            Case("concat", [0, 0], [("axis", .int(0))]),
            Case("concat", [4, 5], [("axis", .int(1))]),
            Case("concat", [4], [("axis", .int(2))]),
            Case("split", [0], [("sizes", .ints([2])), ("axis", .int(1))]),
            Case("split", [0], [("sizes", .ints([3, 1, 3])), ("axis", .int(-1))]),
            Case("split", [0], [("sizes", .ints([1, 3, 1])), ("axis", .int(2))]),
            Case("split", [4], [("sizes", .ints([4])), ("axis", .int(1))]),
            Case("split", [0], [("sizes", .ints([1])), ("axis", .int(0))]),
            Case("unbind", [0], [("axis", .int(1))]),
            Case("unbind", [0], [("axis", .int(-1))]),
            Case("unbind", [4], [("axis", .int(0))]),
            Case("unbind", [5], [("axis", .int(1))]),
        ])
        try Self.expectAgreement(g)
        try CBackendHarness.expectAgreement(g, seed: 3, threads: 4)
    }

    @Test func pad() throws {
        let g = try Self.graph("pad", inputs: [[2, 3, 5, 7], [1, 4, 6], [3, 5]], [
            Case("pad", [0], [("pads", .ints([1, 2]))]),
            Case("pad", [0], [("pads", .ints([2, 0, 1, 3])), ("value", .float(-1.5))]),
            Case("pad", [0], [("pads", .ints([-1, 2, 1, -2]))]),
            Case("pad", [0], [("pads", .ints([0, 0, 0, 0, 1, 1]))]),
            Case("pad", [0], [("pads", .ints([3, 2, 4, 1])), ("mode", .string("reflect"))]),
            Case("pad", [0], [("pads", .ints([0, 6, 0, 4])), ("mode", .string("reflect"))]),
            Case("pad", [0], [("pads", .ints([3, 2, 4, 1])), ("mode", .string("replicate"))]),
            Case("pad", [0], [("pads", .ints([9, 0, 0, 7])), ("mode", .string("replicate"))]),
            Case("pad", [1], [("pads", .ints([5, 4])), ("mode", .string("reflect"))]),
            Case("pad", [1], [("pads", .ints([2, 3])), ("mode", .string("replicate"))]),
            Case("pad", [1], [("pads", .ints([1, 1, 2, 0, 1, 1]))]),
            Case("pad", [2], [("pads", .ints([2, 3])), ("mode", .string("replicate"))]),
            Case("pad", [2], [("pads", .ints([4, 4])), ("mode", .string("reflect"))]),
        ])
        try Self.expectAgreement(g)
    }

    @Test func interpolate() throws {
        let bilinear: Args = [("mode", .string("bilinear"))]
        let corners: Args = bilinear + [("align_corners", .bool(true))]
        var cases: [Case] = []
        for mode in [[], bilinear, corners] as [Args] {
            cases += [
                Case("interpolate", [0], mode + [("size", .ints([13, 22]))]),
                Case("interpolate", [0], mode + [("size", .ints([3, 4]))]),
                Case("interpolate", [0], mode + [("size", .ints([5, 14]))]),
                Case("interpolate", [0], mode + [("size", .ints([1, 1]))]),
                Case("interpolate", [0], mode + [("scale", .floats([2]))]),
                Case("interpolate", [0], mode + [("scale", .floats([1.5]))]),
                Case("interpolate", [0], mode + [("scale", .floats([1.7, 0.6]))]),
                Case("interpolate", [0], mode + [("scale", .floats([0.5]))]),
                Case("interpolate", [1], mode + [("scale", .floats([1.7]))]),
                Case("interpolate", [1], mode + [("scale", .floats([0.3, 2.5]))]),
                Case("interpolate", [1], mode + [("size", .ints([17, 9]))]),
                Case("interpolate", [2], mode + [("size", .ints([4, 6]))]),
            ]
        }
        let g = try Self.graph("interpolate", inputs: [[2, 3, 5, 7], [1, 2, 13, 11], [1, 1, 1, 3]], cases)
        try Self.expectAgreement(g)
        // As `attend compile` builds (-O3, native instructions, ISO C: no contraction across statements).
        try Self.expectAgreement(g, seed: 4, threads: 3, flags: ["-O3", "-march=native"] + CBuild.languageFlags + ["-Wall", "-Wextra", "-Werror"])
    }
}
