import AttendBasic
import AttendFrontend
import AttendIR
import Testing

/// Module arguments with their own arguments bound (`functools.partial`) and `forward:`,
/// which passes a block's arguments on to an inner call (`**kwargs`).
struct ModuleArgumentTests {
    static let blocks = """
    blocks:
      unit:
        args: {act_layer: relu, norm: None}
        inputs: {x: [N, C]}
        layers:
          - fc: {op: linear, out: C}
          - act: {op: act_layer}
          - extra: {op: norm}
      wrapper:
        args: {out: 6, bias: false, act_layer: relu}
        inputs: {x: [N, C]}
        layers:
          - inner: {op: linear, forward: all}
          - tail: {op: unit, forward: [act_layer]}
    """

    @Test func boundArgumentsReachTheCall() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        params: {act: {op: gelu, approximate: tanh}}
        inputs:
          x: [2, 4]
        layers:
          - a: {op: unit, act_layer: act}
          - b: {op: unit, act_layer: {op: softmax, axis: 0}, norm: {op: layernorm, eps: 0.001}}
        \(Self.blocks)
        """)
        let acts = graph.nodes.filter { $0.layer.hasSuffix(".act") }
        #expect(acts.map(\.op.name) == ["gelu", "softmax"])
        #expect(acts[0].attributes.string("approximate") == "tanh")
        #expect(acts[1].attributes.int("axis") == 0)
        #expect(graph.nodes.first { $0.layer == "b.extra" }?.attributes.float("eps") == 0.001)
        #expect(graph.parameter(named: "b.extra.weight") != nil)
    }

    @Test func aModuleParamCanBeSetFromTheCommandLine() throws {
        let spec = """
        attend: 1
        name: t
        params: {attn: se}
        inputs:
          x: [1, 16, 5, 5]
        layers:
          - stage: {op: resnet_stage, planes: 16, depth: 2, attn_layer: attn}
        """
        #expect(try SpecHelpers.compile(spec).parameter(named: "stage.1.se.fc1.weight") != nil)
        let eca = try SpecHelpers.compile(spec, overrides: ["attn": "eca"])
        #expect(eca.parameter(named: "stage.1.se.conv.weight") != nil && eca.parameter(named: "stage.1.se.fc1.weight") == nil)
    }

    @Test func forwardPassesArgumentsByName() throws {
        let graph = try SpecHelpers.compile("""
        attend: 1
        name: t
        inputs:
          x: [2, 4]
        layers:
          - w: {op: wrapper, out: 4, act_layer: sigmoid}
        \(Self.blocks)
        """)
        // out and bias reach the linear (act_layer is not one of its arguments); act_layer the unit.
        #expect(graph.parameter(named: "w.inner.weight")?.shape == [4, 4])
        #expect(graph.parameter(named: "w.inner.bias") == nil)
        #expect(graph.nodes.first { $0.layer == "w.tail.act" }?.op.name == "sigmoid")
    }

    @Test func errors() {
        let header = "attend: 1\nname: t\ninputs:\n  x: [2, 4]\nlayers:\n"
        let cases: [(String, String)] = [
            ("  - a: {op: unit, act_layer: {op: gelu, aproximate: tanh}}\n", "unknown argument 'aproximate' for 'gelu' (did you mean 'approximate'?)"),
            ("  - a: {op: unit, act_layer: {op: gelux}}\n", "unknown op or block 'gelux'"),
            ("  - a: {op: unit, act_layer: {approximate: tanh}}\n", "a module argument is a mapping with one 'op:'"),
            ("  - a: {op: unit, act_layer: {op: gelu, approximate: fast}}\n", "expected one of none, tanh, got 'fast'"),
            ("  - a: {op: linear, out: 4, forward: [out]}\n", "forward: 'out' is not a param of the model"),
            ("  - a: {op: unit, norm: {op: linear, out: {op: relu}}}\n", "argument 'out' of 'linear': cannot take relu()"),
        ]
        for (layer, fragment) in cases {
            let error = SpecHelpers.error(header + layer + Self.blocks)
            #expect(error?.description.contains(":6:") == true && error?.description.contains(fragment) == true, "\(String(describing: error))")
        }
        let inBlock = header + "  - w: wrapper\n" + Self.blocks
        for (replace, fragment) in [("forward: [act_layer]", "forward: 'unit' takes no argument 'bias'"),
                                    ("forward: [act_layer]", "forward: 'nope' is not an argument of the enclosing block")] {
            let changed = inBlock.replacingOccurrences(of: replace, with: fragment.contains("nope") ? "forward: [nope]" : "forward: [bias]")
            let error = SpecHelpers.error(changed)
            #expect(error?.description.contains(fragment) == true, "\(String(describing: error))")
        }
    }
}
