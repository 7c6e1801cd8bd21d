import AttendBasic
import AttendIR
import Testing

/// Output shapes of `op` for these input shapes and raw arguments.
private func shapes(_ op: String, _ inputs: [[Int]], _ args: [(String, ArgValue)] = []) throws -> [[Int]] {
    let op = try #require(OpRegistry.op(named: op))
    let attributes = try op.typeArguments(args.map { (name: $0.0, value: $0.1) })
    return try op.outputShapes(inputs: inputs, attributes: attributes)
}

/// The shape rule's error message, or nil when it accepts the inputs.
private func failure(_ op: String, _ inputs: [[Int]], _ args: [(String, ArgValue)] = []) throws -> String? {
    do {
        _ = try shapes(op, inputs, args)
        return nil
    } catch let error as Diagnostic {
        return error.message
    }
}

private func flops(_ op: String, _ inputs: [[Int]], _ args: [(String, ArgValue)]) throws -> Int {
    let op = try #require(OpRegistry.op(named: op))
    let attributes = try op.typeArguments(args.map { (name: $0.0, value: $0.1) })
    let outputs = try op.outputShapes(inputs: inputs, attributes: attributes)
    return op.flops(inputs: inputs, outputs: outputs, attributes: attributes)
}

@Suite struct PoolingShapeTests {
    @Test func avgpoolDefaultsStrideToKernel() throws {
        #expect(try shapes("avgpool2d", [[1, 3, 8, 8]], [("kernel", .int(2))]) == [[1, 3, 4, 4]])
        #expect(try shapes("avgpool2d", [[1, 3, 7, 7]], [("kernel", .int(3)), ("stride", .int(2)), ("pad", .int(1))]) == [[1, 3, 4, 4]])
        #expect(try shapes("avgpool2d", [[1, 3, 8, 8]], [("kernel", .int(2)), ("stride", .none)]) == [[1, 3, 4, 4]])
    }

    @Test func ceilModeDropsWindowsStartingInRightPadding() throws {
        // torch.nn.MaxPool2d(2, ceil_mode=True) on 5x5 gives 3x3; with kernel 3 stride 2 pad 1 on 6: 4 (not 5).
        #expect(try shapes("maxpool2d", [[1, 1, 5, 5]], [("kernel", .int(2)), ("ceil_mode", .bool(true))]) == [[1, 1, 3, 3]])
        #expect(try shapes("maxpool2d", [[1, 1, 5, 5]], [("kernel", .int(2))]) == [[1, 1, 2, 2]])
        #expect(try shapes("avgpool2d", [[1, 1, 6, 6]], [("kernel", .int(3)), ("stride", .int(2)), ("pad", .int(1)),
                                                          ("ceil_mode", .bool(true))]) == [[1, 1, 4, 4]])
    }

    @Test func maxpoolDilation() throws {
        #expect(try shapes("maxpool2d", [[2, 4, 9, 9]], [("kernel", .int(3)), ("stride", .int(1)), ("dilation", .int(2))]) == [[2, 4, 5, 5]])
        #expect(try failure("maxpool2d", [[1, 1, 4, 4]], [("kernel", .int(3)), ("dilation", .int(2))])
                == "maxpool2d kernel [3, 3] with dilation [2, 2] (spanning [5, 5]) is larger than the padded input: [4, 4] of input [1, 1, 4, 4] plus pad [0, 0] on each side")
    }

    @Test func poolErrors() throws {
        #expect(try failure("avgpool2d", [[3, 8, 8]], [("kernel", .int(2))]) == "avgpool2d expects input [N, C, H, W], got [3, 8, 8]")
        #expect(try failure("avgpool2d", [[1, 1, 2, 2]], [("kernel", .int(5)), ("pad", .int(1))])
                == "avgpool2d kernel [5, 5] is larger than the padded input: [2, 2] of input [1, 1, 2, 2] plus pad [1, 1] on each side")
        #expect(try failure("maxpool2d", [[1, 1, 8, 8]], [("kernel", .int(3)), ("pad", .int(2))])
                == "maxpool2d pad [2, 2] must be at most half the kernel [3, 3], as PyTorch requires")
        #expect(try failure("avgpool2d", [[1, 1, 8, 8]], [("kernel", .ints([2, 4])), ("pad", .ints([1, 2]))]) == nil)
        #expect(try failure("avgpool2d", [[1, 1, 8, 8]], [("kernel", .ints([2, 4])), ("pad", .ints([1, 3]))]) != nil)
        #expect(try failure("maxpool2d", [[1, 1, 8, 8]], [("kernel", .int(2)), ("stride", .int(0))]) == "maxpool2d stride must be positive, got [0, 0]")
        #expect(try failure("maxpool2d", [[1, 1, 8, 8]], [("kernel", .int(0))]) == "maxpool2d kernel must be positive, got [0, 0]")
        #expect(try failure("maxpool2d", [[1, 1, 8, 8]], [("kernel", .int(2)), ("pad", .int(-1))]) == "maxpool2d pad must be non-negative, got [-1, -1]")
    }

    @Test func adaptivePools() throws {
        #expect(try shapes("adaptive_avgpool2d", [[2, 3, 7, 5]], [("size", .int(1))]) == [[2, 3, 1, 1]])
        #expect(try shapes("adaptive_maxpool2d", [[2, 3, 7, 5]], [("size", .ints([3, 2]))]) == [[2, 3, 3, 2]])
        #expect(try failure("adaptive_avgpool2d", [[3, 7, 5]], [("size", .int(1))]) == "adaptive_avgpool2d expects input [N, C, H, W], got [3, 7, 5]")
        #expect(try failure("adaptive_maxpool2d", [[1, 3, 7, 5]], [("size", .ints([0, 2]))]) == "adaptive_maxpool2d size must be positive, got [0, 2]")
        #expect(AdaptivePool2dOp.bin(1, input: 5, output: 3) == 1..<4)
        #expect(AdaptivePool2dOp.bin(2, input: 5, output: 3) == 3..<5)
    }

    @Test func poolFlopsAndFusion() throws {
        #expect(try flops("avgpool2d", [[1, 2, 4, 4]], [("kernel", .int(2))]) == 4 * 8)
        // Bins of 5 -> 3: rows 0..<2, 1..<4, 3..<5 read 2 + 3 + 2 = 7 rows.
        #expect(try flops("adaptive_avgpool2d", [[1, 1, 5, 5]], [("size", .int(3))]) == 49)
        #expect(OpRegistry.op(named: "maxpool2d")?.fusion == .reduction)
        #expect(OpRegistry.op(named: "adaptive_maxpool2d")?.fusion == .reduction)
    }
}

@Suite struct LayoutShapeTests {
    @Test func reshape() throws {
        #expect(try shapes("reshape", [[2, 3, 4]], [("shape", .ints([6, -1]))]) == [[6, 4]])
        #expect(try shapes("reshape", [[2, 3, 4]], [("shape", .int(-1))]) == [[24]])
        #expect(try shapes("reshape", [[1, 1]], [("shape", .ints([]))]) == [[]])
        #expect(try failure("reshape", [[2, 3, 4]], [("shape", .ints([5, 5]))])
                == "reshape cannot view [2, 3, 4] (24 elements) as [5, 5] (25 elements)")
        #expect(try failure("reshape", [[2, 3, 4]], [("shape", .ints([5, -1]))])
                == "reshape cannot view [2, 3, 4] (24 elements) as [5, -1]: 24 is not a multiple of 5")
        #expect(try failure("reshape", [[2, 3, 4]], [("shape", .ints([-1, -1]))])
                == "reshape shape [-1, -1] has more than one -1; only one size can be inferred")
        let zero = try #require(try failure("reshape", [[2, 3, 4]], [("shape", .ints([0, 12]))]))
        #expect(zero.hasPrefix("reshape shape [0, 12] has size 0"))
        #expect(try failure("reshape", [[2, 3, 4]], [("shape", .ints([-2, 12]))])?.hasPrefix("reshape shape [-2, 12] has size -2") == true)
        #expect(try failure("reshape", [[2]], [("shape", .ints([1 << 40, 1 << 40]))]) != nil)
    }

    @Test func permuteAndTranspose() throws {
        #expect(try shapes("permute", [[2, 3, 4]], [("dims", .ints([2, 0, 1]))]) == [[4, 2, 3]])
        #expect(try shapes("permute", [[2, 3, 4]], [("dims", .ints([-1, 0, 1]))]) == [[4, 2, 3]])
        #expect(try failure("permute", [[2, 3, 4]], [("dims", .ints([0, 0, 1]))])
                == "permute dims [0, 0, 1] are not a permutation of the axes 0..<3 of input [2, 3, 4]")
        #expect(try failure("permute", [[2, 3, 4]], [("dims", .ints([0, 3, 1]))]) != nil)
        #expect(try failure("permute", [[2, 3, 4]], [("dims", .ints([1, 0]))]) == "permute needs 3 dims for input [2, 3, 4], got [1, 0]")
        #expect(try shapes("transpose", [[2, 3, 4]], [("dim0", .int(-1)), ("dim1", .int(0))]) == [[4, 3, 2]])
        #expect(try shapes("transpose", [[]], [("dim0", .int(0)), ("dim1", .int(-1))]) == [[]])
        #expect(try failure("transpose", [[2, 3]], [("dim0", .int(0)), ("dim1", .int(2))])
                == "transpose dim1 2 is out of range for input [2, 3] (expected -2...1)")
    }

    @Test func flatten() throws {
        #expect(try shapes("flatten", [[2, 3, 4, 5]]) == [[2, 60]])
        #expect(try shapes("flatten", [[2, 3, 4, 5]], [("start", .int(0))]) == [[120]])
        #expect(try shapes("flatten", [[2, 3, 4, 5]], [("start", .int(1)), ("end", .int(-2))]) == [[2, 12, 5]])
        #expect(try shapes("flatten", [[2, 3]], [("start", .int(1)), ("end", .int(1))]) == [[2, 3]])
        #expect(try shapes("flatten", [[5]], [("start", .int(0))]) == [[5]])
        #expect(try shapes("flatten", [[]], [("start", .int(0))]) == [[1]])
        // nn.Flatten() on a 1-D input fails in torch too: start_dim 1 is out of range.
        #expect(try failure("flatten", [[5]]) == "flatten start 1 is out of range for input [5] (expected -1...0)")
        #expect(try failure("flatten", [[2, 3, 4]], [("start", .int(2)), ("end", .int(1))])
                == "flatten start 2 comes after end 1 for input [2, 3, 4]")
    }

    @Test func concat() throws {
        #expect(try shapes("concat", [[1, 2, 3], [1, 5, 3]], [("axis", .int(1))]) == [[1, 7, 3]])
        #expect(try shapes("concat", [[2, 3], [4, 3], [1, 3]]) == [[7, 3]])
        #expect(try shapes("concat", [[2, 3]], [("axis", .int(-1))]) == [[2, 3]])
        #expect(try failure("concat", [[1, 2, 3], [1, 2, 3], [1, 3, 4]], [("axis", .int(1))])
                == "concat inputs must match except along axis 1: input 0 is [1, 2, 3], input 2 is [1, 3, 4]")
        #expect(try failure("concat", [[1, 2, 3], [1, 2]], [("axis", .int(1))])
                == "concat inputs must have the same rank: input 0 is [1, 2, 3], input 1 is [1, 2]")
        #expect(try failure("concat", [[], []]) == "concat cannot join rank-0 tensors (input 0 is [])")
        #expect(try failure("concat", [[2, 3]], [("axis", .int(2))]) == "concat axis 2 is out of range for input [2, 3] (expected -2...1)")
    }

    @Test func split() throws {
        #expect(try shapes("split", [[5, 2]], [("sizes", .int(2))]) == [[2, 2], [2, 2], [1, 2]])
        #expect(try shapes("split", [[1, 6]], [("sizes", .int(3)), ("axis", .int(-1))]) == [[1, 3], [1, 3]])
        #expect(try shapes("split", [[1, 6]], [("sizes", .int(9)), ("axis", .int(1))]) == [[1, 6]])
        #expect(try shapes("split", [[1, 6]], [("sizes", .ints([1, 2, 3])), ("axis", .int(1))]) == [[1, 1], [1, 2], [1, 3]])
        #expect(try failure("split", [[1, 5]], [("sizes", .ints([2, 2])), ("axis", .int(1))])
                == "split sizes [2, 2] sum to 4, but axis 1 of [1, 5] has size 5")
        #expect(try failure("split", [[1, 5]], [("sizes", .ints([2, 9])), ("axis", .int(1))])
                == "split size 9 in [2, 9] is larger than axis 1 of [1, 5] (size 5)")
        #expect(try failure("split", [[1, 5]], [("sizes", .ints([5, 0])), ("axis", .int(1))]) == "split sizes [5, 0] must be positive")
        #expect(try failure("split", [[1, 5]], [("sizes", .int(0))]) == "split chunk size must be positive, got 0")
        #expect(try failure("split", [[1, 5]], [("sizes", .ints([]))]) == "split needs at least one size")
    }

    @Test func expand() throws {
        #expect(try shapes("expand", [[1, 1, 192]], [("shape", .ints([3, -1, -1]))]) == [[3, 1, 192]])
        #expect(try shapes("expand", [[2, 1]], [("shape", .ints([4, 2, 5]))]) == [[4, 2, 5]])
        #expect(try shapes("expand", [[2, 3]], [("shape", .ints([2, 3]))]) == [[2, 3]])
        #expect(try failure("expand", [[2, 3]], [("shape", .ints([4, 3]))])
                == "expand cannot grow axis 0 of [2, 3] from 2 to 4 (only size-1 axes expand; -1 keeps a size)")
        #expect(try failure("expand", [[1, 3]], [("shape", .ints([3]))])
                == "expand shape [3] has fewer axes than input [1, 3] (the number of sizes must be at least the rank)")
        #expect(try failure("expand", [[1, 3]], [("shape", .ints([-1, 1, 3]))])
                == "expand shape [-1, 1, 3]: the new leading axis 0 needs a positive size, got -1")
        #expect(try failure("expand", [[1, 3]], [("shape", .ints([0, 3]))])
                == "expand cannot grow axis 0 of [1, 3] from 1 to 0 (only size-1 axes expand; -1 keeps a size)")
        #expect(try failure("expand", [[1, 3]], [("shape", .ints([Int.max, 3]))])?.contains("too large") == true)
    }

    @Test func unbind() throws {
        #expect(try shapes("unbind", [[3, 2, 4]]) == [[2, 4], [2, 4], [2, 4]])
        #expect(try shapes("unbind", [[3, 2, 4]], [("axis", .int(-2))]) == [[3, 4], [3, 4]])
        #expect(try shapes("unbind", [[2]]) == [[], []])
        #expect(try failure("unbind", [[]]) == "unbind axis 0 is out of range for input [] (it has no axes)")
    }

    @Test func slice() throws {
        #expect(try shapes("slice", [[2, 10]], [("axis", .int(1)), ("start", .int(2)), ("end", .int(7)), ("step", .int(2))]) == [[2, 3]])
        #expect(try shapes("slice", [[2, 10]], [("axis", .int(-1)), ("start", .int(-3))]) == [[2, 3]])
        #expect(try shapes("slice", [[2, 10]], [("axis", .int(1)), ("start", .int(-100)), ("end", .int(100))]) == [[2, 10]])
        #expect(try shapes("slice", [[2, 10]], [("axis", .int(1)), ("end", .int(-1))]) == [[2, 9]])
        #expect(try shapes("slice", [[2, 10]], [("axis", .int(1)), ("end", .none)]) == [[2, 10]])
        #expect(try failure("slice", [[2, 10]], [("axis", .int(1)), ("step", .int(0))]) == "slice step must be at least 1, got 0")
        #expect(try failure("slice", [[2, 4]], [("axis", .int(1)), ("start", .int(5)), ("end", .int(2))])
                == "slice [5:2:1] of axis 1 (size 4) of [2, 4] selects no elements")
        #expect(try failure("slice", [[2, 4]], [("axis", .int(1)), ("start", .int(4))])
                == "slice [4::1] of axis 1 (size 4) of [2, 4] selects no elements")
        #expect(SliceOp.resolve(start: -3, end: nil, step: 2, size: 10) == (7, 2))
        #expect(SliceOp.resolve(start: 0, end: 10, step: Int.max, size: 10) == (0, 1))
    }
}

@Suite struct ResampleShapeTests {
    @Test func pad() throws {
        #expect(try shapes("pad", [[1, 2, 3, 4]], [("pads", .ints([1, 2]))]) == [[1, 2, 3, 7]])
        #expect(try shapes("pad", [[1, 2, 3, 4]], [("pads", .ints([1, 1, 2, 0]))]) == [[1, 2, 5, 6]])
        #expect(try shapes("pad", [[1, 2, 3, 4]], [("pads", .ints([0, 0, 0, 0, 1, 1, 1, 0]))]) == [[2, 4, 3, 4]])
        #expect(try shapes("pad", [[1, 2, 3, 4]], [("pads", .ints([-1, -1]))]) == [[1, 2, 3, 2]])
        #expect(try shapes("pad", [[1, 2, 3, 3]], [("pads", .ints([2, 2, 1, 1])), ("mode", .string("reflect"))]) == [[1, 2, 5, 7]])
        #expect(try shapes("pad", [[1, 2, 3, 3]], [("pads", .ints([5, 5, 0, 0])), ("mode", .string("replicate"))]) == [[1, 2, 3, 13]])
    }

    @Test func padErrors() throws {
        #expect(try failure("pad", [[1, 3, 3]], [("pads", .ints([3, 3])), ("mode", .string("reflect"))])
                == "pad mode 'reflect' needs pads smaller than the axis: got (3, 3) for axis 2 of size 3 in [1, 3, 3]")
        #expect(try failure("pad", [[1, 3, 3]], [("pads", .ints([2, 2])), ("mode", .string("reflect"))]) == nil)
        #expect(try failure("pad", [[1, 1, 3, 3]], [("pads", .ints([1, 1, 1]))])
                == "pad needs (left, right) pairs, got 3 values [1, 1, 1]")
        #expect(try failure("pad", [[3]], [("pads", .ints([1, 1, 1, 1]))])
                == "pad has 2 (left, right) pairs [1, 1, 1, 1] for input [3] with only 1 axes")
        #expect(try failure("pad", [[1, 1, 3, 3]], [("pads", .ints([-2, -1]))])
                == "pads [-2, -1] crop axis 3 of [1, 1, 3, 3] to size 0; the result must not be empty")
        #expect(try failure("pad", [[1, 3, 3]], [("pads", .ints([-1, 1])), ("mode", .string("replicate"))])
                == "negative pads [-1, 1] (cropping) are only supported in mode 'constant'")
        #expect(try failure("pad", [[1, 3, 3]], [("pads", .ints([1, 1])), ("mode", .string("reflect")), ("value", .float(2))])
                == "pad value 2.0 only applies to mode 'constant', not 'reflect'")
        // As torch: reflect/replicate pad the last 1-3 axes of an input with 1 or 2 more axes.
        #expect(try failure("pad", [[1, 1, 3, 3]], [("pads", .ints([1, 1])), ("mode", .string("reflect"))])
                == "pad mode 'reflect' pads the last 1 to 3 axes of an input with 1 or 2 more axes (as torch); got 2 pad values for input [1, 1, 3, 3]")
        #expect(try failure("pad", [[3, 3]], [("pads", .ints([1, 1])), ("mode", .string("reflect"))]) == nil)
        #expect(try failure("pad", [[1, 1, 3, 3]], [("pads", .ints([1, 1, 1, 1, 1, 1, 1, 1])), ("mode", .string("replicate"))]) != nil)
    }

    @Test func interpolate() throws {
        #expect(try shapes("interpolate", [[1, 3, 4, 5]], [("scale", .float(2))]) == [[1, 3, 8, 10]])
        #expect(try shapes("interpolate", [[1, 3, 5, 5]], [("scale", .floats([0.5, 1.5]))]) == [[1, 3, 2, 7]])
        #expect(try shapes("interpolate", [[1, 3, 4, 5]], [("size", .int(7))]) == [[1, 3, 7, 7]])
        #expect(try shapes("interpolate", [[1, 3, 4, 5]], [("size", .ints([2, 9])), ("mode", .string("bilinear")),
                                                            ("align_corners", .bool(true))]) == [[1, 3, 2, 9]])
    }

    @Test func interpolateErrors() throws {
        #expect(try failure("interpolate", [[1, 3, 4, 5]]) == "interpolate needs one of 'size' and 'scale', got neither")
        #expect(try failure("interpolate", [[1, 3, 4, 5]], [("size", .int(2)), ("scale", .float(2))])
                == "interpolate takes one of 'size' and 'scale', got both")
        #expect(try failure("interpolate", [[1, 3, 4, 5]], [("size", .int(8)), ("align_corners", .bool(true))])
                == "interpolate align_corners only applies to mode 'bilinear', not 'nearest' (torch rejects it too)")
        #expect(try failure("interpolate", [[3, 4, 5]], [("size", .int(8))]) == "interpolate expects input [N, C, H, W], got [3, 4, 5]")
        #expect(try failure("interpolate", [[1, 3, 4, 5]], [("size", .ints([1, 2, 3]))])
                == "interpolate size must be one or two positive ints ([H, W]), got [1, 2, 3]")
        #expect(try failure("interpolate", [[1, 3, 4, 5]], [("scale", .float(0.1))])
                == "interpolate scale [0.1] makes an empty output [0, 0] from input [1, 3, 4, 5]")
        #expect(try failure("interpolate", [[1, 3, 4, 5]], [("scale", .float(-1))]) != nil)
        #expect(try failure("interpolate", [[1, 3, 4, 5]], [("scale", .float(1e300))]) != nil)
    }

    @Test func fusionKinds() {
        for name in ["reshape", "permute", "transpose", "flatten", "concat", "split", "unbind", "slice", "pad", "interpolate"] {
            #expect(OpRegistry.op(named: name)?.fusion == .injective, "\(name)")
        }
    }
}

@Suite struct SinePositionEmbeddingShapeTests {
    @Test func constantOfTheGivenSize() throws {
        let op = try #require(OpRegistry.op(named: "sine_position_embedding"))
        #expect(op.arity == .exactly(0))
        #expect(op.fusion == .opaque)
        #expect(try shapes("sine_position_embedding", [], [("dim", .int(256)), ("size", .ints([25, 34]))]) == [[1, 256, 25, 34]])
        #expect(try shapes("sine_position_embedding", [], [("dim", .int(8)), ("size", .int(3))]) == [[1, 8, 3, 3]])
        #expect(try flops("sine_position_embedding", [], [("dim", .int(8)), ("size", .int(3))]) == 2 * 72)
        #expect(try flops("sine_position_embedding", [], [("dim", .int(8)), ("size", .int(3)), ("normalize", .bool(true))]) == 4 * 72)
        let attributes = try op.typeArguments([("dim", .int(8)), ("size", .ints([2, 4])), ("normalize", .bool(true))])
        #expect(op.parameters(inputs: [], attributes: attributes).isEmpty)
    }

    @Test func geometryFollowsDETR() throws {
        let op = try #require(OpRegistry.op(named: "sine_position_embedding"))
        let normalized = SinePositionEmbeddingOp.Geometry(try op.typeArguments([("dim", .int(8)), ("size", .ints([2, 4])), ("normalize", .bool(true))]))
        #expect(normalized.features == 4)
        #expect(abs(normalized.rowFactor - 2 * Double.pi / (2 + 1e-6)) < 1e-12)
        #expect(abs(normalized.columnFactor - 2 * Double.pi / (4 + 1e-6)) < 1e-12)
        // Channels pair up: t_0 = t_1 = 1, t_2 = t_3 = temperature ** (2 / 4).
        #expect(normalized.wavelength(0) == 1 && normalized.wavelength(1) == 1)
        #expect(abs(normalized.wavelength(3) - 100) < 1e-9)
        let raw = SinePositionEmbeddingOp.Geometry(try op.typeArguments([("dim", .int(4)), ("size", .int(3))]))
        #expect(raw.rowFactor == 1 && raw.columnFactor == 1)
    }

    @Test func errors() throws {
        #expect(try failure("sine_position_embedding", [], [("dim", .int(6)), ("size", .int(3))])
                == "sine_position_embedding dim must be a positive multiple of 4 (sine and cosine pairs for rows and columns), got 6")
        #expect(try failure("sine_position_embedding", [], [("dim", .int(8)), ("size", .ints([0, 3]))])
                == "sine_position_embedding size must be positive, got [0, 3]")
        #expect(try failure("sine_position_embedding", [], [("dim", .int(8)), ("size", .int(3)), ("scale", .float(1))])
                == "sine_position_embedding takes a scale only with normalize: true (as DETR)")
        #expect(try failure("sine_position_embedding", [], [("dim", .int(8)), ("size", .int(3)), ("temperature", .float(0))]) != nil)
        #expect(try failure("sine_position_embedding", [], [("dim", .int(8)), ("size", .int(3)), ("eps", .float(-1))]) != nil)
        #expect(try failure("sine_position_embedding", [], [("dim", .int(1 << 20)), ("size", .ints([1 << 10, 1 << 10]))]) != nil)
    }
}
