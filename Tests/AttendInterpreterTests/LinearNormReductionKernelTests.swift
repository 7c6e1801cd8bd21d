import AttendBasic
import AttendIR
import AttendInterpreter
import Foundation
import Testing

// Reference kernels of the linear algebra, normalization, reduction and pass-through ops, checked on small hand-computed cases.

/// The first output of one op (see `runOp`).
private func run(_ name: String, _ inputs: [Tensor], _ args: [(String, ArgValue)] = [],
                 parameters: [String: Tensor] = [:]) throws -> Tensor {
    try #require(try runOp(name, inputs, args, parameters: parameters).first)
}

private func tensor(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, data: values) }

/// A deterministic tensor of small values.
private func random(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = SeededRandom(seed: seed)
    return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in generator.uniform(-1, 1) })
}

@Test func everyLinearNormReductionOpHasAKernel() throws {
    for name in ["linear", "matmul", "softmax", "layernorm", "batchnorm", "groupnorm", "mean", "sum", "max",
                 "identity", "dropout", "parameter"] {
        let op = try #require(OpRegistry.op(named: name))
        #expect(op is any Interpretable, "no kernel for \(name)")
    }
}

// MARK: linear, matmul

@Test func linearOnTokens() throws {
    let x = random([2, 3, 4], seed: 1), w = random([5, 4], seed: 2), b = random([5], seed: 3)
    let y = try run("linear", [x], [("out", .int(5))], parameters: ["weight": w, "bias": b])
    #expect(y.shape == [2, 3, 5])
    var expected: [Double] = []
    for row in 0..<6 {
        for o in 0..<5 {
            var sum = Double(b.data[o])
            for i in 0..<4 { sum += Double(x.data[row * 4 + i]) * Double(w.data[o * 4 + i]) }
            expected.append(sum)
        }
    }
    #expect(handComputed.mismatch(y.data, expected) == nil, "\(y.data) vs \(expected)")
}

@Test func linearByHand() throws {
    // [1, 2] W^T with W = [[1, 0], [0, 1], [1, 1]] and no bias.
    let y = try run("linear", [tensor([2], [1, 2])], [("out", .int(3)), ("bias", .bool(false))],
                    parameters: ["weight": tensor([3, 2], [1, 0, 0, 1, 1, 1])])
    #expect(y == tensor([3], [1, 2, 3]))
}

@Test func linearRejectsAWrongWeight() throws {
    #expect(throws: Diagnostic.self) {
        try run("linear", [tensor([2], [1, 2])], [("out", .int(3)), ("bias", .bool(false))],
                parameters: ["weight": tensor([2, 3], [1, 0, 0, 1, 1, 1])])
    }
}

/// torch.matmul computed naively for operands already of rank ≥ 2 with equal batch rank.
private func naiveMatmul(_ a: Tensor, _ b: Tensor) -> [Double] {
    let rank = a.rank
    let batch = (0..<(rank - 2)).map { Swift.max(a.shape[$0], b.shape[$0]) }
    let m = a.shape[rank - 2], k = a.shape[rank - 1], n = b.shape[rank - 1]
    let aStrides = a.strides, bStrides = b.strides
    var result: [Double] = []
    for flat in 0..<batch.reduce(1, *) {
        var remaining = flat, aBase = 0, bBase = 0
        for axis in stride(from: batch.count - 1, through: 0, by: -1) {
            let coordinate = remaining % batch[axis]
            remaining /= batch[axis]
            if a.shape[axis] != 1 { aBase += coordinate * aStrides[axis] }
            if b.shape[axis] != 1 { bBase += coordinate * bStrides[axis] }
        }
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a.data[aBase + i * k + p]) * Double(b.data[bBase + p * n + j]) }
                result.append(sum)
            }
        }
    }
    return result
}

@Test func matmulBroadcastsBatchDims() throws {
    let a = random([2, 1, 2, 3], seed: 4), b = random([3, 3, 4], seed: 5)
    let y = try run("matmul", [a, b])
    #expect(y.shape == [2, 3, 2, 4])
    let expected = naiveMatmul(a, tensor([1, 3, 3, 4], b.data))
    #expect(handComputed.mismatch(y.data, expected) == nil, "\(y.data) vs \(expected)")
}

@Test func matmulByHand() throws {
    let a = tensor([2, 3], [1, 2, 3, 4, 5, 6]), b = tensor([3, 2], [7, 8, 9, 10, 11, 12])
    #expect(try run("matmul", [a, b]) == tensor([2, 2], [58, 64, 139, 154]))
}

@Test func matmulVectorOperands() throws {
    let v = tensor([3], [1, 2, 3])
    #expect(try run("matmul", [v, v]) == tensor([], [14]))
    let m = tensor([3, 2], [1, 2, 3, 4, 5, 6])
    #expect(try run("matmul", [v, m]) == tensor([2], [22, 28]))
    let mt = tensor([2, 3], [1, 3, 5, 2, 4, 6])
    #expect(try run("matmul", [mt, v]) == tensor([2], [22, 28]))
    // A vector against a batch of matrices: [3] @ [2, 3, 2] -> [2, 2].
    let batch = tensor([2, 3, 2], [1, 2, 3, 4, 5, 6, 0, 1, 0, 1, 0, 1])
    #expect(try run("matmul", [v, batch]) == tensor([2, 2], [22, 28, 0, 6]))
}

// MARK: softmax

@Test func softmaxOfOneTwoThree() throws {
    let y = try run("softmax", [tensor([3], [1, 2, 3])])
    let sum = exp(1.0) + exp(2.0) + exp(3.0)
    #expect(handComputed.mismatch(y.data, [exp(1.0) / sum, exp(2.0) / sum, exp(3.0) / sum]) == nil)
    #expect(handComputed.mismatch(y.data, [0.09003057, 0.24472847, 0.66524096]) == nil)
}

@Test func softmaxAlongAnAxisAndStably() throws {
    // Along axis 0 of [[0, 1000], [ln 3, 1001]]: columns normalize separately, without overflow.
    let y = try run("softmax", [tensor([2, 2], [0, 1000, Float(log(3.0)), 1001])], [("axis", .int(0))])
    let e = exp(1.0)
    #expect(handComputed.mismatch(y.data, [0.25, 1 / (1 + e), 0.75, e / (1 + e)]) == nil, "\(y.data)")
    let nan = try run("softmax", [tensor([3], [1, .nan, 2])])
    #expect(nan.data.allSatisfy { $0.isNaN })
    #expect(try run("softmax", [tensor([], [5])]) == tensor([], [1]))
}

// MARK: layernorm

@Test func layerNormOfAKnownVector() throws {
    // Mean 2.5, biased variance 1.25.
    let x = tensor([2, 4], [1, 2, 3, 4, 2, 2, 2, 2])
    let invstd = 1 / (1.25 + 1e-5).squareRoot()
    let plain = try run("layernorm", [x], [("affine", .bool(false))])
    #expect(handComputed.mismatch(plain.data, [-1.5 * invstd, -0.5 * invstd, 0.5 * invstd, 1.5 * invstd, 0, 0, 0, 0]) == nil, "\(plain.data)")

    let w = tensor([4], [1, 2, 3, 4]), b = tensor([4], [0.5, 0.5, -0.5, 0])
    let affine = try run("layernorm", [x], parameters: ["weight": w, "bias": b])
    #expect(handComputed.mismatch(affine.data, [-1.5 * invstd + 0.5, -1 * invstd + 0.5, 1.5 * invstd - 0.5, 6 * invstd, 0.5, 0.5, -0.5, 0]) == nil)

    let noBias = try run("layernorm", [x], [("bias", .bool(false)), ("eps", .float(0.75))], parameters: ["weight": w])
    // invstd = 1 / sqrt(1.25 + 0.75) = 1 / sqrt(2).
    let r = 1 / 2.0.squareRoot()
    #expect(handComputed.mismatch(noBias.data, [-1.5 * r, -1 * r, 1.5 * r, 6 * r, 0, 0, 0, 0]) == nil)
}

// MARK: batchnorm

@Test func batchNormWithKnownStatistics() throws {
    // Channel 0: mean 1, var 4, weight 2, bias 0.5; channel 1: mean 2, var 0.25, weight 1, bias -1.
    let x = tensor([1, 2, 1, 2], [1, 2, 3, 4])
    let parameters = ["weight": tensor([2], [2, 1]), "bias": tensor([2], [0.5, -1]),
                      "running_mean": tensor([2], [1, 2]), "running_var": tensor([2], [4, 0.25])]
    let y = try run("batchnorm", [x], [("eps", .float(0))], parameters: parameters)
    #expect(y == tensor([1, 2, 1, 2], [0.5, 1.5, 1, 3]))
}

@Test func batchNormMatchesPyTorchFloatArithmetic() throws {
    let x = random([2, 3, 5], seed: 6)
    let weight = random([3], seed: 7), bias = random([3], seed: 8), mean = random([3], seed: 9)
    let variance = Tensor(shape: [3], data: random([3], seed: 10).data.map { abs($0) + 0.1 })
    let y = try run("batchnorm", [x], parameters: ["weight": weight, "bias": bias, "running_mean": mean, "running_var": variance])
    var expected: [Float] = []
    for n in 0..<2 {
        for c in 0..<3 {
            let invstd: Float = 1 / (variance.data[c] + Float(1e-5)).squareRoot()
            let alpha = invstd * weight.data[c]
            let beta = bias.data[c] - mean.data[c] * alpha
            for i in 0..<5 { expected.append(x.data[(n * 3 + c) * 5 + i] * alpha + beta) }
        }
    }
    #expect(y.data == expected)
}

@Test func batchNormWithoutAffineOnRankTwo() throws {
    let x = tensor([2, 2], [1, 2, 3, 4])
    let y = try run("batchnorm", [x], [("affine", .bool(false)), ("eps", .float(0))],
                    parameters: ["running_mean": tensor([2], [1, 1]), "running_var": tensor([2], [1, 4])])
    #expect(y == tensor([2, 2], [0, 0.5, 2, 1.5]))
}

@Test func batchNormMissingParameterIsAnError() throws {
    #expect(throws: Diagnostic.self) {
        try run("batchnorm", [tensor([1, 2], [1, 2])], parameters: ["running_mean": tensor([2], [0, 0])])
    }
}

// MARK: groupnorm

@Test func groupNormByHand() throws {
    // [1, 4, 2] in 2 groups: group 0 holds channels 0-1 = [1, 2, 3, 4] (mean 2.5, var 1.25),
    // group 1 holds channels 2-3 = [0, 0, 2, 2] (mean 1, var 1).
    let x = tensor([1, 4, 2], [1, 2, 3, 4, 0, 0, 2, 2])
    let r0 = 1 / (1.25 + 1e-5).squareRoot(), r1 = 1 / (1 + 1e-5).squareRoot()
    let plain = try run("groupnorm", [x], [("groups", .int(2)), ("affine", .bool(false))])
    #expect(handComputed.mismatch(plain.data, [-1.5 * r0, -0.5 * r0, 0.5 * r0, 1.5 * r0, -r1, -r1, r1, r1]) == nil, "\(plain.data)")

    let w = tensor([4], [1, 2, 3, 4]), b = tensor([4], [0, 1, 0, -1])
    let affine = try run("groupnorm", [x], [("groups", .int(2))], parameters: ["weight": w, "bias": b])
    #expect(handComputed.mismatch(affine.data, [-1.5 * r0, -0.5 * r0, r0 + 1, 3 * r0 + 1, -3 * r1, -3 * r1, 4 * r1 - 1, 4 * r1 - 1]) == nil)
}

@Test func groupNormWithOneGroupPerChannelIsInstanceNorm() throws {
    let x = random([2, 3, 4], seed: 11)
    let y = try run("groupnorm", [x], [("groups", .int(3)), ("affine", .bool(false))])
    for row in 0..<6 {
        let slice = (0..<4).map { Double(x.data[row * 4 + $0]) }
        let mean = slice.reduce(0, +) / 4
        let variance = slice.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
        let expected = slice.map { ($0 - mean) / (variance + 1e-5).squareRoot() }
        #expect(handComputed.mismatch(Array(y.data[(row * 4)..<(row * 4 + 4)]), expected) == nil)
    }
}

// MARK: reductions

@Test func sumMeanMaxWithAndWithoutKeepdim() throws {
    let x = tensor([2, 3], [1, 2, 3, 4, 5, 6])
    #expect(try run("sum", [x]) == tensor([], [21]))
    #expect(try run("sum", [x], [("keepdim", .bool(true))]) == tensor([1, 1], [21]))
    #expect(try run("sum", [x], [("axes", .ints([0]))]) == tensor([3], [5, 7, 9]))
    #expect(try run("sum", [x], [("axes", .ints([0])), ("keepdim", .bool(true))]) == tensor([1, 3], [5, 7, 9]))
    #expect(try run("mean", [x], [("axes", .ints([1]))]) == tensor([2], [2, 5]))
    #expect(try run("mean", [x], [("axes", .ints([-1])), ("keepdim", .bool(true))]) == tensor([2, 1], [2, 5]))
    #expect(try run("mean", [x]) == tensor([], [3.5]))
    #expect(try run("max", [x], [("axes", .ints([-1]))]) == tensor([2], [3, 6]))
    #expect(try run("max", [x], [("axes", .ints([0])), ("keepdim", .bool(true))]) == tensor([1, 3], [4, 5, 6]))
    #expect(try run("max", [x]) == tensor([], [6]))
}

@Test func reductionsOverSeveralAxes() throws {
    // x[i, j, k] = 100 i + 10 j + k over [2, 3, 2].
    var values: [Float] = []
    for i in 0..<2 { for j in 0..<3 { for k in 0..<2 { values.append(Float(100 * i + 10 * j + k)) } } }
    let x = tensor([2, 3, 2], values)
    // Over i and k: for each j, (0 + 1 + 100 + 101) + 4 * 10 j.
    #expect(try run("sum", [x], [("axes", .ints([0, 2]))]) == tensor([3], [202, 242, 282]))
    #expect(try run("mean", [x], [("axes", .ints([2, 0])), ("keepdim", .bool(true))]) == tensor([1, 3, 1], [50.5, 60.5, 70.5]))
    #expect(try run("max", [x], [("axes", .ints([1, 2]))]) == tensor([2], [21, 121]))
    #expect(try run("sum", [tensor([], [4])]) == tensor([], [4]))
}

@Test func maxPropagatesNaNAndHandlesNegatives() throws {
    let y = try run("max", [tensor([2, 3], [-3, .nan, -1, -5, -4, -6])], [("axes", .ints([1]))])
    #expect(y.data[0].isNaN)
    #expect(y.data[1] == -4)
    let first = try run("max", [tensor([2], [.nan, 1])])
    #expect(first.data[0].isNaN)
}

@Test func meanUsesAPreciseAccumulator() throws {
    // Summed in float32, each 4 added to 1e8 would round away (the spacing there is 8).
    let x = tensor([5], [1e8, 4, 4, 4, 4])
    #expect(try run("sum", [x]).data == [100_000_016])
    #expect(try run("mean", [x]).data == [20_000_004])
}

// MARK: identity, dropout, parameter

@Test func identityAndDropoutPassTheInputThrough() throws {
    let x = random([2, 3], seed: 12)
    #expect(try run("identity", [x]) == x)
    #expect(try run("dropout", [x]) == x)
    #expect(try run("dropout", [x], [("p", .float(0.9))]) == x)
}

@Test func parameterReturnsItsTensor() throws {
    let token = random([1, 1, 4], seed: 13)
    #expect(try run("parameter", [], [("shape", .ints([1, 1, 4]))], parameters: ["": token]) == token)
    #expect(throws: Diagnostic.self) {
        try run("parameter", [], [("shape", .ints([1, 1, 4]))], parameters: ["": tensor([4], [1, 2, 3, 4])])
    }
}
