import AttendBasic
import AttendIR
import Testing

/// Strict weight loading names every problem, as PyTorch does, but a hostile checkpoint
/// (a million tensors, a megabyte key) cannot turn that into a megabyte error line: lists
/// stop after `Limits.namesInMessage` names and say how many more, and names are clipped.
@Suite struct WeightLimitsTests {
    static func image(names: [String]) -> [UInt8] {
        let members = names.enumerated().map { index, name in
            "\"\(name)\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\(4 * index),\(4 * index + 4)]}"
        }
        let header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        let length = UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + header + [UInt8](repeating: 0, count: 4 * names.count)
    }

    static let graph: Graph = {
        var graph = Graph(name: "m")
        let x = graph.addInput(name: "x", shape: [1, 2])
        let op = OpRegistry.op(named: "linear")!
        let y = try! graph.apply(op, inputs: [x], attributes: try! op.typeArguments([("out", .int(2))]), layer: "fc")
        graph.outputs.append(("y", y[0]))
        return graph
    }()

    @Test func manyUnexpectedTensorsGiveABoundedMessage() throws {
        let names = ["fc.weight", "fc.bias"] + (0..<20_000).map { "extra.\($0)" }
        let file = try SafetensorsFile.decode(Self.image(names: names), source: "w.safetensors")
        do {
            _ = try Weights.bind(file, source: "w.safetensors", for: Self.graph)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.count < 1_000, "\(error.description.count) characters")
            #expect(error.message.contains("unexpected keys: extra.0, extra.1, "))
            #expect(error.message.contains("and \(20_000 - Limits.namesInMessage) more"))
        }
    }

    @Test func aHugeMissingOrUnexpectedNameIsClipped() throws {
        let huge = String(repeating: "n", count: 1_000_000)
        let file = try SafetensorsFile.decode(Self.image(names: ["fc.weight", huge]), source: "w.safetensors")
        do {
            _ = try Weights.bind(file, source: "w.safetensors", for: Self.graph)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.count < 400, "\(error.description.count) characters")
            #expect(error.message.contains("missing key: fc.bias"))
        }
    }
}
