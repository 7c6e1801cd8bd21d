import AttendBasic
import AttendFrontend
import AttendIR
import Testing

/// What a spec means: names, shapes, parameters, repeats, blocks, params and imports.
struct ElaborationTests {
    @Test func basicBlockNamesAndShapes() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: block
        params: {width: 8}
        inputs:
          x: [1, width, 10, 6]
        layers:
          - conv1: {op: conv2d, out: width, kernel: 3, pad: 1, bias: false}
          - bn1: batchnorm
          - relu
          - {op: add, from: [_, x]}
          - out: relu
        """)
        #expect(graph.name == "block")
        #expect(graph.nodes.map(\.op.name) == ["conv2d", "batchnorm", "relu", "add", "relu"])
        #expect(graph.parameters.map(\.name) == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"])
        #expect(graph.parameters[0].shape == [8, 8, 3, 3])
        #expect(graph.parameters[4].ignoredKeys == ["bn1.num_batches_tracked"])
        #expect(graph.outputs.map(\.name) == ["out"])
        #expect(graph.shape(of: graph.outputs[0].value) == [1, 8, 10, 6])
    }

    @Test func overridesReachDependentParams() throws {
        let spec = """
        attend: 1
        name: t
        params: {width: 8, hidden: "width // 2"}
        inputs:
          x: [2, width]
        layers:
          - fc: {op: linear, out: hidden}
        """
        #expect(try SpecHelpers.compile(spec).parameter(named: "fc.weight")?.shape == [4, 8])
        #expect(try SpecHelpers.compile(spec, overrides: ["width": "32"]).parameter(named: "fc.weight")?.shape == [16, 32])
    }

    @Test func repeatNamesCopiesLikeSequential() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        inputs:
          x: [2, 4]
        layers:
          - blocks: {op: linear, out: 4, repeat: 3}
          - mid: {op: relu, from: blocks.1}
          - {op: add, from: [blocks, mid]}
        """)
        #expect(graph.parameters.map(\.name) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "blocks.2.weight", "blocks.2.bias"])
        // `blocks` is the last copy; `blocks.1` the middle one.
        let add = graph.nodes[4]
        #expect(add.inputs[0] == graph.nodes[2].outputs[0])
        #expect(graph.nodes[3].inputs[0] == graph.nodes[1].outputs[0])
    }

    /// A multi-output block chains under `repeat` (each copy gets all outputs of the one
    /// before); `NAME.-1` is the last copy and `NAME.-1.K` its output K, whatever the count.
    @Test func repeatChainsMultiOutputBlocksAndCountsFromTheEnd() throws {
        let spec = """
        attend: 1
        name: t
        params: {n: 3}
        inputs:
          x: [2, 4]
          pos: [1, 4]
        layers:
          - out: {op: last, from: layers.-1.0}
          - layers: {op: step, from: [x, pos], repeat: n}
          - before: {op: relu, from: layers.-2.0}
        outputs: [out, before]
        blocks:
          step:
            inputs: {x: [B, C], pos: [_, C]}
            layers:
              - {op: add, from: [x, pos]}
              - fc: {op: linear, out: C}
            outputs: [fc, pos]
          last:
            inputs: {x: [B, C]}
            layers:
              - table: {op: table}
              - {op: mul, from: [x, table]}
          table:
            inputs: {}
            layers:
              - weight: {op: parameter, shape: [1, 4]}
        """
        let graph = try SpecHelpers.compile(spec)
        #expect(graph.parameters.map(\.name) == ["layers.0.fc.weight", "layers.0.fc.bias", "layers.1.fc.weight", "layers.1.fc.bias",
                                                "layers.2.fc.weight", "layers.2.fc.bias", "out.table.weight"])
        let linears = graph.nodes.filter { $0.op.name == "linear" }
        #expect(linears.count == 3)
        // Every copy adds the same `pos`; `out` reads the last copy's fc, `before` the middle one's.
        #expect(Set(graph.nodes.filter { $0.op.name == "add" }.map { $0.inputs[1] }).count == 1)
        #expect(graph.nodes.first { $0.layer == "out.1" }?.inputs[0] == linears[2].outputs[0])
        #expect(graph.nodes.first { $0.layer == "before" }?.inputs[0] == linears[1].outputs[0])
        #expect(try SpecHelpers.compile(spec, overrides: ["n": "2"]).nodes.filter { $0.op.name == "linear" }.count == 2)
        #expect(SpecHelpers.error(spec, overrides: ["n": "1"])?.message.contains("unknown reference 'layers.-2.0'") == true)
        let error = try #require(SpecHelpers.error(spec.replacingOccurrences(of: "layers.-2.0", with: "layers.-4.0")))
        #expect(error.message.contains("unknown reference 'layers.-4.0'"))
    }

    @Test func blocksNestParameterNames() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        inputs:
          x: [1, 24, 7, 5]
        layers:
          - layer: {op: unit, repeat: 2}
        blocks:
          unit:
            args: {ratio: 0.25}
            inputs: {x: [N, C, H, W]}
            let: {hidden: "int(C * ratio)"}
            layers:
              - se: {op: se, rd_ratio: ratio}
              - proj: {op: conv2d, out: hidden, kernel: 1}
              - back: {op: conv2d, out: C, kernel: 1}
        """)
        #expect(graph.parameters.map(\.name).prefix(6) == ["layer.0.se.fc1.weight", "layer.0.se.fc1.bias", "layer.0.se.fc2.weight",
                                                         "layer.0.se.fc2.bias", "layer.0.proj.weight", "layer.0.proj.bias"])
        #expect(graph.parameter(named: "layer.1.proj.weight")?.shape == [6, 24, 1, 1])
        #expect(graph.parameter(named: "layer.1.se.fc1.weight")?.shape == [8, 24, 1, 1])
    }

    @Test func unnamedLayersWithParametersAreNamedByPosition() throws {
        let graph = try SpecHelpers.compile("attend: 1\nname: t\ninputs:\n  x: [2, 4]\nlayers:\n  - relu\n  - {op: linear, out: 3}\n")
        #expect(graph.parameters.map(\.name) == ["1.weight", "1.bias"])
    }

    @Test func multiOutputOpsAndIndexedReferences() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        inputs:
          x: [2, 6]
        layers:
          - parts: {op: split, sizes: 2, axis: 1}
          - {op: concat, from: [parts.2, parts.0], axis: 1}
          - all: {op: concat, from: parts, axis: 1}
        outputs: [all]
        """)
        #expect(graph.nodes[1].inputs == [graph.nodes[0].outputs[2], graph.nodes[0].outputs[0]])
        #expect(graph.nodes[2].inputs == graph.nodes[0].outputs)
    }

    @Test func severalOutputsAndForwardReferences() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        inputs:
          x: [2, 6]
        layers:
          - late: {op: add, from: [early, x]}
          - early: {op: relu, from: x}
        outputs: [early, late]
        """)
        #expect(graph.nodes.map(\.layer) == ["early", "late"])
        #expect(graph.outputs.map(\.name) == ["early", "late"])
    }

    @Test func importsAreRelativeToTheImportingFile() throws {
        let library = """
        attend: 1
        blocks:
          double:
            inputs: {x: [N, C]}
            layers:
              - {op: mul, other: 2}
        """
        let model = """
        attend: 1
        name: t
        import: [lib_double.yaml]
        inputs:
          x: [2, 6]
        layers:
          - d: double
        """
        let graph = try SpecHelpers.compile(model, besides: ["lib_double.yaml": library])
        #expect(graph.nodes.map(\.op.name) == ["mul"])
    }

    @Test func standardLibraryBlocksMatchTimmNames() throws {
        let se = try SpecHelpers.compile("attend: 1\nname: t\ninputs:\n  x: [2, 64, 4, 4]\nlayers:\n  - se: se\n")
        #expect(se.parameters.map(\.name) == ["se.fc1.weight", "se.fc1.bias", "se.fc2.weight", "se.fc2.bias"])
        #expect(se.parameter(named: "se.fc1.weight")?.shape == [8, 64, 1, 1])
        let cbam = try SpecHelpers.compile("attend: 1\nname: t\ninputs:\n  x: [2, 32, 4, 4]\nlayers:\n  - cbam: cbam\n")
        #expect(cbam.parameters.map(\.name) == ["cbam.channel.fc1.weight", "cbam.channel.fc2.weight", "cbam.spatial.conv.conv.weight",
                                               "cbam.spatial.conv.bn.weight", "cbam.spatial.conv.bn.bias",
                                               "cbam.spatial.conv.bn.running_mean", "cbam.spatial.conv.bn.running_var"])
        let mhsa = try SpecHelpers.compile("attend: 1\nname: t\ninputs:\n  x: [2, 5, 64]\nlayers:\n  - attn: mhsa\n")
        #expect(mhsa.parameters.map(\.name) == ["attn.qkv.weight", "attn.proj.weight", "attn.proj.bias"])
    }

    @Test func whenSwitchesALayerOffAsIdentity() throws {
        let spec = """
        attend: 1
        name: t
        params: {norm: false}
        inputs:
          x: [2, 4]
        layers:
          - fc: {op: linear, out: 4}
          - bn: {op: batchnorm, when: norm}
          - out: {op: add, from: [bn, x], when: "not norm"}
        """
        let off = try SpecHelpers.compile(spec)
        #expect(off.nodes.map(\.op.name) == ["linear", "add"])
        #expect(off.parameters.map(\.name) == ["fc.weight", "fc.bias"])
        let on = try SpecHelpers.compile(spec, overrides: ["norm": "True"])
        // With norm on, `out` is off and passes its first input (bn) through.
        #expect(on.nodes.map(\.op.name) == ["linear", "batchnorm"])
        #expect(on.outputs[0].value == on.nodes[1].outputs[0])
    }

    @Test func parameterLayersTakeNoInput() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        inputs:
          x: [1, 4, 2, 2]
        layers:
          - act: relu
          - gamma: {op: parameter, shape: [1, 4, 1, 1]}
          - {op: mul, from: [act, gamma]}
        """)
        #expect(graph.nodes.map(\.op.name) == ["relu", "parameter", "mul"])
        #expect(graph.nodes[1].inputs.isEmpty)
        #expect(graph.parameters.map(\.name) == ["gamma"])
    }

    @Test func aBlockArgumentCanNameTheModuleALayerCalls() throws {
        let spec = """
        attend: 1
        name: t
        params: {attention: True}
        inputs:
          x: [1, 16, 4, 4]
        layers:
          - b1: {op: with_attention, attn_layer: se}
          - b2: {op: with_attention, attn_layer: eca}
          - b3: with_attention
        blocks:
          with_attention:
            args: {attn_layer: None}
            inputs: {x: [N, C, H, W]}
            layers:
              - conv: {op: conv2d, out: C, kernel: 1}
              - se: {op: attn_layer}
        """
        let graph = try SpecHelpers.compile(spec)
        #expect(graph.parameters.map(\.name).filter { $0.contains(".se.") } == [
            "b1.se.fc1.weight", "b1.se.fc1.bias", "b1.se.fc2.weight", "b1.se.fc2.bias", "b2.se.conv.weight"])
        // With None the layer passes its input through: b3 is the conv alone.
        #expect(graph.nodes.last?.op.name == "conv2d")
        let bad = SpecHelpers.error(spec.replacingOccurrences(of: "attn_layer: eca}", with: "attn_layer: 3}"))
        #expect(bad?.message == "'attn_layer' is 3, not the name of an op or block")
    }
}
