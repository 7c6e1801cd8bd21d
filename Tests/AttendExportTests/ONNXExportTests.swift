import AttendBasic
import AttendIR
import Foundation
import Testing
@testable import AttendExport

/// What the exporter refuses, and the shape of what it writes (no Python needed).
struct ONNXExportTests {
    /// Every op `attend ops` lists has an ONNX lowering; an op added without one makes this fail.
    @Test func everyRegisteredOpExports() {
        let missing = OpRegistry.all.filter { !($0 is any ONNXLowering) }.map(\.name)
        #expect(missing.isEmpty, "ops without ONNX export: \(missing)")
    }

    func graph(_ opName: String, input shape: [Int], _ arguments: [(name: String, value: ArgValue)]) throws -> AttendIR.Graph {
        var graph = AttendIR.Graph(name: "g")
        let x = graph.addInput(name: "x", shape: shape)
        let op = try #require(OpRegistry.op(named: opName))
        let out = try graph.apply(op, inputs: [x], attributes: try op.typeArguments(arguments), layer: "layer")
        graph.outputs = [("y", out[0])]
        return graph
    }

    /// A derived parameter (spectral norm's weight) is computed from the initializers by its
    /// op's nodes, under its own name; it is never an initializer.
    @Test func derivedParametersBecomeNodes() throws {
        var g = try graph("conv2d", input: [1, 2, 4, 4], [("out", .int(3)), ("kernel", .int(1))])
        let mul = try #require(OpRegistry.op(named: "mul"))
        try g.deriveParameter("layer.folded", op: mul, operands: ["layer.weight", "layer.weight"], attributes: try mul.typeArguments([]))
        let model = try ONNXExport.model(g, parameters: Weights.initialize(g), producerVersion: "")
        #expect(!model.graph.initializer.contains { $0.name == "layer.folded" })
        let node = try #require(model.graph.node.first { $0.output == ["layer.folded"] })
        #expect(node.opType == "Mul" && node.input == ["layer.weight", "layer.weight"])
    }

    @Test func averagePoolingWhoseLastWindowOverhangsWithPaddingCountedIsAnError() throws {
        // 5 wide, kernel 2, stride 2, ceil_mode: the third window starts at 4 and overhangs.
        let g = try graph("avgpool2d", input: [1, 1, 5, 5], [("kernel", .int(2)), ("ceil_mode", .bool(true))])
        do {
            _ = try ONNXExport.serialize(g, parameters: [:])
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("avgpool2d with ceil_mode and count_include_pad"))
        }
        // Without counting padding the divisor is the same in both: it exports.
        let h = try graph("avgpool2d", input: [1, 1, 5, 5], [("kernel", .int(2)), ("ceil_mode", .bool(true)), ("count_include_pad", .bool(false))])
        #expect(throws: Never.self) { try ONNXExport.serialize(h, parameters: [:]) }
    }

    @Test func missingOrMisshapenWeightsAreErrors() throws {
        let g = try graph("linear", input: [2, 3], [("out", .int(4))])
        #expect(throws: Diagnostic.self) { try ONNXExport.serialize(g, parameters: [:]) }
        var wrong = try Weights.initialize(g)
        wrong["layer.weight"] = Tensor(shape: [3, 4], data: Array(repeating: 0, count: 12))
        #expect(throws: Diagnostic.self) { try ONNXExport.serialize(g, parameters: wrong) }
    }

    @Test func namesInitializersAndOpsAreThoseOfTheSpec() throws {
        let g = try graph("linear", input: [2, 3], [("out", .int(4))])
        let model = try ONNXExport.model(g, parameters: Weights.initialize(g), producerVersion: "")
        #expect(model.opsetImport.map(\.version) == [ONNXExport.opsetVersion])
        #expect(model.graph.input.map(\.name) == ["x"])
        #expect(model.graph.output.map(\.name) == ["y"])
        #expect(Set(model.graph.initializer.map(\.name)) == ["layer.weight", "layer.bias"])
        #expect(model.graph.node.map(\.opType) == ["Gemm"])
        #expect(model.graph.node[0].output == ["y"])
    }

    /// A graph output that is also an input, or the same value twice, gets an Identity.
    @Test func outputsSharingAValueGetTheirOwnNames() throws {
        var g = try graph("relu", input: [2, 3], [])
        g.outputs.append(("z", g.outputs[0].value))
        g.outputs.append(("w", g.inputs[0].value))
        let model = try ONNXExport.model(g, parameters: [:], producerVersion: "")
        #expect(model.graph.output.map(\.name) == ["y", "z", "w"])
        #expect(model.graph.node.map(\.opType) == ["Relu", "Identity", "Identity"])
        #expect(model.graph.node.map(\.output) == [["y"], ["z"], ["w"]])
        #expect(model.graph.node[2].input == ["x"])
    }

    @Test func formulasBecomeONNXActivationsWhereTheyAreOne() throws {
        for (op, expected) in [("relu", ["Relu"]), ("sigmoid", ["Sigmoid"]), ("silu", ["Sigmoid", "Mul"]), ("hardswish", ["HardSwish"]),
                               ("hardsigmoid", ["HardSigmoid"]), ("relu6", ["Clip"]), ("gelu", ["Gelu"]), ("tanh", ["Tanh"])] {
            let g = try graph(op, input: [4], [])
            let model = try ONNXExport.model(g, parameters: [:], producerVersion: "")
            #expect(model.graph.node.map(\.opType) == expected, "\(op)")
        }
    }
}
