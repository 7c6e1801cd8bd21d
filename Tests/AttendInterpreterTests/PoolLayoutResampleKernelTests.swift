import AttendBasic
import AttendIR
import AttendInterpreter
import Testing

// Reference kernels of the pooling, layout and resampling ops, checked on small
// hand-computed cases.

private func runAll(_ name: String, _ inputs: [Tensor], _ args: [(String, ArgValue)] = []) throws -> [Tensor] {
    try runOp(name, inputs, args)
}

private func run(_ name: String, _ inputs: [Tensor], _ args: [(String, ArgValue)] = []) throws -> Tensor {
    try #require(try runAll(name, inputs, args).first)
}

private func tensor(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, data: values) }

/// 0, 1, 2, … in row-major order.
private func iota(_ shape: [Int], from start: Float = 0) -> Tensor {
    Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { start + Float($0) })
}

@Test func everyPoolLayoutResampleOpHasAKernel() throws {
    for name in ["avgpool2d", "maxpool2d", "adaptive_avgpool2d", "adaptive_maxpool2d", "reshape", "permute", "transpose",
                 "flatten", "concat", "split", "unbind", "slice", "pad", "interpolate"] {
        let op = try #require(OpRegistry.op(named: name))
        #expect(op is any Interpretable, "no kernel for \(name)")
    }
}

// MARK: pooling

@Suite struct PoolingKernelTests {
    @Test func avgpool() throws {
        let y = try run("avgpool2d", [iota([1, 1, 4, 4])], [("kernel", .int(2))])
        #expect(y == tensor([1, 1, 2, 2], [2.5, 4.5, 10.5, 12.5]))
    }

    @Test func avgpoolPaddingDivisor() throws {
        let x = tensor([1, 1, 2, 2], [1, 2, 3, 4])
        let args: [(String, ArgValue)] = [("kernel", .int(2)), ("stride", .int(1)), ("pad", .int(1))]
        let include = try run("avgpool2d", [x], args)
        #expect(include == tensor([1, 1, 3, 3], [0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]))
        let exclude = try run("avgpool2d", [x], args + [("count_include_pad", .bool(false))])
        #expect(exclude == tensor([1, 1, 3, 3], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]))
    }

    @Test func avgpoolCeilModeDivisorStopsAtPaddedEnd() throws {
        // nn.AvgPool2d(2, ceil_mode=True) on 3x3: the last window holds only what is left.
        let y = try run("avgpool2d", [iota([1, 1, 3, 3], from: 1)], [("kernel", .int(2)), ("ceil_mode", .bool(true))])
        #expect(y == tensor([1, 1, 2, 2], [3, 4.5, 7.5, 9]))
        // Kernel 3, stride 2, pad 1 on 4x4 ones: window 2 spans rows 3 and 4 (right padding) and
        // stops there, so the divisor is 2 per axis even with count_include_pad.
        let ones = Tensor(repeating: 1, shape: [1, 1, 4, 4])
        let z = try run("avgpool2d", [ones], [("kernel", .int(3)), ("stride", .int(2)), ("pad", .int(1)), ("ceil_mode", .bool(true))])
        #expect(z.shape == [1, 1, 3, 3])
        let expected: [Float] = [4 / 9, 6 / 9, 2 / 6, 6 / 9, 1, 3 / 6, 2 / 6, 3 / 6, 1 / 4]
        #expect(handComputed.mismatch(z.data, expected) == nil)
    }

    @Test func maxpoolPaddingIsNegativeInfinity() throws {
        let x = tensor([1, 1, 2, 2], [-1, -2, -3, -4])
        let y = try run("maxpool2d", [x], [("kernel", .int(2)), ("stride", .int(1)), ("pad", .int(1))])
        #expect(y == tensor([1, 1, 3, 3], [-1, -1, -2, -1, -1, -2, -3, -3, -4]))
    }

    @Test func maxpoolPropagatesNaN() throws {
        let x = tensor([1, 1, 2, 4], [1, .nan, 5, 6, 3, 4, 7, 8])
        let y = try run("maxpool2d", [x], [("kernel", .int(2))])
        #expect(y.shape == [1, 1, 1, 2])
        #expect(y.data[0].isNaN)
        #expect(y.data[1] == 8)
    }

    @Test func maxpoolDilationAndCeil() throws {
        let dilated = try run("maxpool2d", [iota([1, 1, 4, 4])], [("kernel", .int(2)), ("stride", .int(1)), ("dilation", .int(2))])
        #expect(dilated == tensor([1, 1, 2, 2], [10, 11, 14, 15]))
        let ceil = try run("maxpool2d", [iota([1, 1, 3, 3], from: 1)], [("kernel", .int(2)), ("ceil_mode", .bool(true))])
        #expect(ceil == tensor([1, 1, 2, 2], [5, 6, 8, 9]))
    }

    @Test func adaptivePools() throws {
        // 3 -> 2 bins: rows 0..<2 and 1..<3 (they overlap).
        let x = iota([1, 1, 3, 3], from: 1)
        #expect(try run("adaptive_avgpool2d", [x], [("size", .int(2))]) == tensor([1, 1, 2, 2], [3, 4, 6, 7]))
        #expect(try run("adaptive_maxpool2d", [x], [("size", .int(2))]) == tensor([1, 1, 2, 2], [5, 6, 8, 9]))
        #expect(try run("adaptive_avgpool2d", [x], [("size", .int(1))]) == tensor([1, 1, 1, 1], [5]))
        // 5 -> 3 bins: 0..<2, 1..<4, 3..<5.
        let row = iota([1, 1, 1, 5], from: 1)
        #expect(try run("adaptive_avgpool2d", [row], [("size", .ints([1, 3]))]) == tensor([1, 1, 1, 3], [1.5, 3, 4.5]))
        #expect(try run("adaptive_maxpool2d", [row], [("size", .ints([1, 3]))]) == tensor([1, 1, 1, 3], [2, 4, 5]))
        // Two planes are pooled separately.
        let planes = iota([1, 2, 1, 2])
        #expect(try run("adaptive_maxpool2d", [planes], [("size", .int(1))]) == tensor([1, 2, 1, 1], [1, 3]))
    }
}

// MARK: layout

@Suite struct LayoutKernelTests {
    @Test func reshapeAndFlattenKeepData() throws {
        let x = iota([2, 3, 2])
        #expect(try run("reshape", [x], [("shape", .ints([3, -1]))]) == tensor([3, 4], x.data))
        #expect(try run("flatten", [x]) == tensor([2, 6], x.data))
        #expect(try run("flatten", [tensor([], [7])], [("start", .int(0))]) == tensor([1], [7]))
    }

    @Test func permuteAndTranspose() throws {
        #expect(try run("permute", [iota([2, 3])], [("dims", .ints([1, 0]))]) == tensor([3, 2], [0, 3, 1, 4, 2, 5]))
        // out[k][i][j] = x[i][j][k] = 12i + 4j + k
        let y = try run("permute", [iota([2, 3, 4])], [("dims", .ints([2, 0, 1]))])
        var expected: [Float] = []
        for k in 0..<4 { for i in 0..<2 { for j in 0..<3 { expected.append(Float(12 * i + 4 * j + k)) } } }
        #expect(y == tensor([4, 2, 3], expected))
        let t = try run("transpose", [iota([2, 1, 3])], [("dim0", .int(0)), ("dim1", .int(-1))])
        #expect(t == tensor([3, 1, 2], [0, 3, 1, 4, 2, 5]))
    }

    @Test func concat() throws {
        let a = tensor([2, 2], [1, 2, 3, 4]), b = tensor([2, 1], [5, 6]), c = tensor([1, 2], [7, 8])
        #expect(try run("concat", [a, b], [("axis", .int(1))]) == tensor([2, 3], [1, 2, 5, 3, 4, 6]))
        #expect(try run("concat", [a, c]) == tensor([3, 2], [1, 2, 3, 4, 7, 8]))
        #expect(try run("concat", [a, b, b], [("axis", .int(-1))]) == tensor([2, 4], [1, 2, 5, 5, 3, 4, 6, 6]))
    }

    @Test func split() throws {
        let chunks = try runAll("split", [iota([5])], [("sizes", .int(2))])
        #expect(chunks == [tensor([2], [0, 1]), tensor([2], [2, 3]), tensor([1], [4])])
        let sections = try runAll("split", [iota([2, 3])], [("sizes", .ints([1, 2])), ("axis", .int(1))])
        #expect(sections == [tensor([2, 1], [0, 3]), tensor([2, 2], [1, 2, 4, 5])])
    }

    @Test func unbind() throws {
        #expect(try runAll("unbind", [iota([2, 3])], [("axis", .int(1))]) == [tensor([2], [0, 3]), tensor([2], [1, 4]), tensor([2], [2, 5])])
        #expect(try runAll("unbind", [iota([2, 3])]) == [tensor([3], [0, 1, 2]), tensor([3], [3, 4, 5])])
        #expect(try runAll("unbind", [iota([2])]) == [tensor([], [0]), tensor([], [1])])
    }

    @Test func slice() throws {
        let x = iota([10])
        #expect(try run("slice", [x], [("axis", .int(0)), ("start", .int(-3))]) == tensor([3], [7, 8, 9]))
        #expect(try run("slice", [x], [("axis", .int(0)), ("start", .int(1)), ("end", .int(8)), ("step", .int(3))]) == tensor([3], [1, 4, 7]))
        #expect(try run("slice", [x], [("axis", .int(0)), ("start", .int(-100)), ("end", .int(-8))]) == tensor([2], [0, 1]))
        #expect(try run("slice", [iota([2, 4])], [("axis", .int(1)), ("step", .int(2))]) == tensor([2, 2], [0, 2, 4, 6]))
        #expect(try run("slice", [iota([3, 2])], [("axis", .int(0)), ("start", .int(1)), ("end", .int(2))]) == tensor([1, 2], [2, 3]))
    }
}

// MARK: resampling

@Suite struct ResampleKernelTests {
    @Test func padModes() throws {
        let x = tensor([1, 4], [1, 2, 3, 4])
        #expect(try run("pad", [x], [("pads", .ints([2, 1])), ("value", .float(9))]) == tensor([1, 7], [9, 9, 1, 2, 3, 4, 9]))
        #expect(try run("pad", [x], [("pads", .ints([2, 3])), ("mode", .string("reflect"))])
                == tensor([1, 9], [3, 2, 1, 2, 3, 4, 3, 2, 1]))
        #expect(try run("pad", [x], [("pads", .ints([2, 1])), ("mode", .string("replicate"))])
                == tensor([1, 7], [1, 1, 1, 2, 3, 4, 4]))
        // Negative pads crop, as torch's constant mode.
        #expect(try run("pad", [x], [("pads", .ints([-1, 1]))]) == tensor([1, 4], [2, 3, 4, 0]))
    }

    @Test func padTwoAxes() throws {
        let x = tensor([1, 2, 2], [1, 2, 3, 4])
        // Last axis (1, 0), then the one before (0, 1).
        #expect(try run("pad", [x], [("pads", .ints([1, 0, 0, 1]))]) == tensor([1, 3, 3], [0, 1, 2, 0, 3, 4, 0, 0, 0]))
        #expect(try run("pad", [x], [("pads", .ints([1, 1, 1, 1])), ("mode", .string("reflect"))])
                == tensor([1, 4, 4], [4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3, 2, 1, 2, 1]))
        // Padding the leading axis too (constant mode pads any axis).
        #expect(try run("pad", [tensor([1, 1], [5])], [("pads", .ints([0, 0, 1, 0]))]) == tensor([2, 1], [0, 5]))
    }

    @Test func nearest() throws {
        let x = tensor([1, 1, 2, 2], [1, 2, 3, 4])
        #expect(try run("interpolate", [x], [("scale", .float(2))])
                == tensor([1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]))
        // 2 -> 3: source scale 2/3 reads 0, 0, 1.
        #expect(try run("interpolate", [x], [("size", .int(3))]) == tensor([1, 1, 3, 3], [1, 1, 2, 1, 1, 2, 3, 3, 4]))
    }

    @Test func nearestUsesTheGivenScale() throws {
        let row = iota([1, 1, 1, 5], from: 1)
        // scale 0.7: 3 outputs read floor(i / 0.7) = 0, 1, 2; size 3 reads floor(i * 5/3) = 0, 1, 3.
        #expect(try run("interpolate", [row], [("scale", .floats([1, 0.7]))]) == tensor([1, 1, 1, 3], [1, 2, 3]))
        #expect(try run("interpolate", [row], [("size", .ints([1, 3]))]) == tensor([1, 1, 1, 3], [1, 2, 4]))
        // torch copies when the size is unchanged, whatever the scale (1.1 here).
        #expect(try run("interpolate", [row], [("scale", .floats([1, 1.1]))]) == row)
    }

    @Test func bilinear() throws {
        let x = tensor([1, 1, 2, 2], [1, 2, 3, 4])
        let y = try run("interpolate", [x], [("size", .int(4)), ("mode", .string("bilinear"))])
        #expect(y == tensor([1, 1, 4, 4], [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]))
        let scaled = try run("interpolate", [x], [("scale", .float(2)), ("mode", .string("bilinear"))])
        #expect(scaled == y)
        let aligned = try run("interpolate", [x], [("size", .int(3)), ("mode", .string("bilinear")), ("align_corners", .bool(true))])
        #expect(aligned == tensor([1, 1, 3, 3], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]))
        let single = try run("interpolate", [x], [("size", .int(1)), ("mode", .string("bilinear")), ("align_corners", .bool(true))])
        #expect(single == tensor([1, 1, 1, 1], [1]))
    }
}
