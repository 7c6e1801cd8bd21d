@testable import AttendCodegen
import AttendIR
import Testing

/// The separable max and average pooling against the interpreter (and so against the direct
/// loops, which the same cases check with strategies off): strides, padding on one or both
/// sides, ceil_mode windows that overhang the input and the padding, dilation, windows wider
/// than tall, count_include_pad on and off, NaN.
struct SeparablePoolStrategyTests {
    typealias Case = PoolLayoutResampleLoweringTests.Case

    static func graph() throws -> Graph {
        let k3s2: PoolLayoutResampleLoweringTests.Args = [("kernel", .ints([3, 3])), ("stride", .ints([2, 2]))]
        return try PoolLayoutResampleLoweringTests.graph("maxpools", inputs: [[2, 3, 11, 13], [1, 2, 9, 6], [1, 1, 1, 40]], [
            Case("maxpool2d", [0], [("kernel", .ints([2, 2]))]),
            Case("maxpool2d", [0], k3s2 + [("pad", .ints([1, 1]))]),
            Case("maxpool2d", [0], k3s2 + [("pad", .ints([0, 1])), ("ceil_mode", .bool(true))]),
            Case("maxpool2d", [0], k3s2 + [("dilation", .ints([2, 3])), ("pad", .ints([1, 1]))]),
            Case("maxpool2d", [0], [("kernel", .ints([3, 2])), ("stride", .ints([2, 3])), ("dilation", .ints([2, 2])),
                                    ("pad", .ints([1, 1])), ("ceil_mode", .bool(true))]),
            Case("maxpool2d", [1], [("kernel", .ints([5, 3])), ("stride", .ints([1, 2])), ("pad", .ints([2, 1])), ("ceil_mode", .bool(true))]),
            Case("maxpool2d", [1], [("kernel", .ints([1, 6])), ("stride", .ints([1, 4]))]),
            Case("maxpool2d", [2], [("kernel", .ints([1, 7])), ("stride", .ints([1, 1])), ("pad", .ints([0, 3]))]),
            Case("avgpool2d", [0], k3s2 + [("pad", .ints([1, 1]))]),
            Case("avgpool2d", [0], k3s2 + [("pad", .ints([1, 1])), ("count_include_pad", .bool(false))]),
            Case("avgpool2d", [0], k3s2 + [("pad", .ints([0, 1])), ("ceil_mode", .bool(true))]),
            Case("avgpool2d", [0], k3s2 + [("pad", .ints([1, 1])), ("ceil_mode", .bool(true)), ("count_include_pad", .bool(false))]),
            Case("avgpool2d", [1], [("kernel", .ints([2, 2])), ("stride", .ints([2, 2]))]),
            Case("avgpool2d", [1], [("kernel", .ints([5, 3])), ("stride", .ints([1, 2])), ("pad", .ints([2, 1])), ("ceil_mode", .bool(true))]),
        ])
    }

    @Test func chosenForEveryPooling() throws {
        let kernels = try CGenerator.layout(try Self.graph(), target: .portable).strategies.filter { $0.op.hasSuffix("pool2d") }
        #expect(kernels.count == 14)
        #expect(kernels.allSatisfy { $0.strategy == "separable" })
    }

    @Test(arguments: [true, false])
    func agreesWithTheInterpreter(strategies: Bool) throws {
        var target = Target.portable
        target.usesStrategies = strategies
        try CBackendHarness.expectAgreement(try Self.graph(), seed: 4, threads: 3, target: target)
        let native = Target.native()
        if strategies && native.isa != .portable { try CBackendHarness.expectAgreement(try Self.graph(), seed: 5, target: native) }
    }
}
