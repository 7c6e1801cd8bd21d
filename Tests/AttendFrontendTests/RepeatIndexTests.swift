import AttendBasic
import AttendFrontend
import AttendIR
import Testing

/// `repeat` with `index`: one layer written once for any count, each copy reading its own
/// number, and the library's ResNet stages built that way for any depth.
struct RepeatIndexTests {
    @Test func unnamedRepeatIsSplicedLikeSequentialStar() throws {
        // nn.Sequential(Linear, *[Linear for i in range(3)], ReLU, Linear): children 0, 1..3, 4, 5.
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        params: {n: 3}
        inputs:
          x: [2, 4]
        layers:
          - {op: linear, out: 4}
          - {op: linear, repeat: n, index: i, out: "4 if i < n - 1 else 6"}
          - relu
          - {op: linear, out: 5}
        """)
        #expect(graph.parameters.map(\.name) == ["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias",
                                                 "3.weight", "3.bias", "5.weight", "5.bias"])
        // The index reaches each copy's arguments: only the last copy is 6 wide.
        #expect(graph.parameter(named: "2.weight")?.shape == [4, 4])
        #expect(graph.parameter(named: "3.weight")?.shape == [6, 4])
        #expect(graph.parameter(named: "5.weight")?.shape == [5, 6])
    }

    @Test func namedRepeatKeepsItsPrefixAndIndexReachesBlocks() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        inputs:
          x: [1, 8, 12, 12]
        layers:
          - stage: {op: unit, repeat: 3, index: k, stride: "2 if k == 0 else 1"}
          - {op: add, from: [stage.1, stage]}
        blocks:
          unit:
            args: {stride: 1}
            inputs: {x: [N, C, H, W]}
            layers:
              - conv: {op: conv2d, out: C, kernel: 3, stride: stride, pad: 1}
        """)
        #expect(graph.parameters.map(\.name) == ["stage.0.conv.weight", "stage.0.conv.bias", "stage.1.conv.weight",
                                                 "stage.1.conv.bias", "stage.2.conv.weight", "stage.2.conv.bias"])
        #expect(graph.shape(of: graph.outputs[0].value) == [1, 8, 6, 6])
    }

    /// The library's stages build exactly `depth` blocks, named as timm's nn.Sequential, with
    /// only block 0 striding and carrying the downsample.
    @Test(arguments: [("Models/se_resnet.yaml", "depth", "basic", 8), ("Models/cbam_resnet.yaml", "depth3", "bottleneck", 23),
                      ("Models/sk_resnet.yaml", "depth", "sk", 7), ("Models/resnest.yaml", "depth2", "resnest", 9)])
    func stagesBuildAnyDepth(_ model: String, _ param: String, _ kind: String, _ depth: Int) throws {
        let frontend = try #require(SpecHelpers.standard)
        let graph = try frontend.compile(path: SchemaTests.repository.appendingPathComponent(model).path, overrides: [param: String(depth), "size": "64"])
        let stage = model.contains("cbam") ? "layer3" : "layer2"
        let blocks = Set(graph.parameters.compactMap { parameter -> Int? in
            let parts = parameter.name.split(separator: ".")
            return parts.count > 2 && parts[0] == stage ? Int(parts[1]) : nil
        })
        #expect(blocks == Set(0..<depth), "\(kind): \(blocks.sorted())")
        let downsamples = graph.parameters.filter { $0.name.hasPrefix(stage + ".") && $0.name.contains(".downsample.") }
        #expect(!downsamples.isEmpty && downsamples.allSatisfy { $0.name.hasPrefix(stage + ".0.downsample.") })
    }

    @Test func countsABlockCannotHonorAreErrors() {
        let frontend = SpecHelpers.standard
        for (value, fragment) in [("0", "repeat must be at least 1, got 0 ('depth')"), ("-2", "at least 1, got -2"),
                                  ("2.5", "whole number"), ("10001", "more than the limit")] {
            do {
                _ = try frontend?.compile(path: SchemaTests.repository.appendingPathComponent("Models/se_resnet.yaml").path, overrides: ["depth": value])
                Issue.record("depth \(value) compiled")
            } catch {
                #expect(error.description.contains("networks/resnet.yaml:") && error.description.contains(fragment), "\(error.description)")
                #expect(error.notes.contains { $0.message.contains("called as 'layer1'") })
            }
        }
    }

    @Test func indexErrors() {
        let header = "attend: 1\nname: t\nparams: {w: 4}\ninputs:\n  x: [2, 4]\nlayers:\n"
        let cases = [
            ("  - {op: linear, out: 4, index: i}\n", "has no 'repeat'"),
            ("  - {op: linear, out: 4, repeat: 2, index: 2i}\n", "not a valid index name"),
            ("  - {op: linear, out: 4, repeat: 2, index: None}\n", "not a valid index name"),
            ("  - {op: linear, out: 4, repeat: 2, index: w}\n", "index 'w' hides a name already in scope"),
            ("  - {op: linear, out: 4, repeat: 2, index: [i]}\n", "expected the name of the repeat index"),
        ]
        for (layer, fragment) in cases {
            let error = SpecHelpers.error(header + layer)
            #expect(error?.description.contains(":7:") == true && error?.description.contains(fragment) == true, "\(String(describing: error))")
        }
    }
}
