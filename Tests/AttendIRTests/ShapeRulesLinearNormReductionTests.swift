import AttendBasic
import AttendIR
import Testing

// Shape rules, parameters and messages of the linear algebra, normalization,
// reductions, identity/dropout and parameter.

private func op(_ name: String) throws -> any Op {
    try #require(OpRegistry.op(named: name), "no op named '\(name)'")
}

private func attributes(_ name: String, _ args: [(String, ArgValue)]) throws -> Attributes {
    try op(name).typeArguments(args.map { (name: $0.0, value: $0.1) })
}

private func shapes(_ name: String, _ inputs: [[Int]], _ args: [(String, ArgValue)] = []) throws -> [[Int]] {
    try op(name).outputShapes(inputs: inputs, attributes: attributes(name, args))
}

/// The shape rule's error message, or nil when the shapes are accepted.
private func shapeError(_ name: String, _ inputs: [[Int]], _ args: [(String, ArgValue)] = []) throws -> String? {
    let declared = try op(name)
    let attrs = try attributes(name, args)
    do {
        _ = try declared.outputShapes(inputs: inputs, attributes: attrs)
        return nil
    } catch {
        return error.message
    }
}

private func slots(_ name: String, _ inputs: [[Int]], _ args: [(String, ArgValue)] = []) throws -> [ParameterSlot] {
    try op(name).parameters(inputs: inputs, attributes: attributes(name, args))
}

@Test func groupAOpsAreRegistered() throws {
    for name in ["linear", "matmul", "softmax", "layernorm", "batchnorm", "groupnorm", "mean", "sum", "max",
                 "identity", "dropout", "parameter"] {
        let declared = try op(name)
        #expect(declared.name == name)
        #expect(!declared.summary.isEmpty)
    }
    #expect(try op("linear").fusion == .complexOutFusable)
    #expect(try op("matmul").fusion == .complexOutFusable)
    #expect(try op("mean").fusion == .reduction)
    #expect(try op("sum").fusion == .reduction)
    #expect(try op("max").fusion == .reduction)
    #expect(try op("identity").fusion == .injective)
    #expect(try op("parameter").arity == .exactly(0))
    #expect(try op("matmul").arity == .exactly(2))
}

// MARK: linear

@Test func linearShapes() throws {
    #expect(try shapes("linear", [[2, 5, 8]], [("out", .int(4))]) == [[2, 5, 4]])
    #expect(try shapes("linear", [[8]], [("out", .int(4))]) == [[4]])
    #expect(try shapes("linear", [[3, 8]], [("out", .int(1)), ("bias", .bool(false))]) == [[3, 1]])
}

@Test func linearErrors() throws {
    let rank0 = try #require(try shapeError("linear", [[]], [("out", .int(4))]))
    #expect(rank0.contains("[]") && rank0.contains("rank"))
    let zeroOut = try #require(try shapeError("linear", [[2, 8]], [("out", .int(0))]))
    #expect(zeroOut.contains("out > 0"))
    #expect(throws: ArgumentError.self) { try attributes("linear", []) } // out is required
}

@Test func linearParametersAndFlops() throws {
    let withBias = try slots("linear", [[2, 5, 8]], [("out", .int(4))])
    #expect(withBias == [ParameterSlot("weight", [4, 8], .uniformFanIn(8)), ParameterSlot("bias", [4], .uniformFanIn(8))])
    let noBias = try slots("linear", [[2, 5, 8]], [("out", .int(4)), ("bias", .bool(false))])
    #expect(noBias == [ParameterSlot("weight", [4, 8], .uniformFanIn(8))])
    let attrs = try attributes("linear", [("out", .int(4))])
    #expect(try op("linear").flops(inputs: [[2, 5, 8]], outputs: [[2, 5, 4]], attributes: attrs) == 2 * 8 * 4 * 10)
}

// MARK: matmul

@Test func matmulShapes() throws {
    #expect(try shapes("matmul", [[2, 3], [3, 4]]) == [[2, 4]])
    #expect(try shapes("matmul", [[3], [3]]) == [[]])
    #expect(try shapes("matmul", [[3], [3, 4]]) == [[4]])
    #expect(try shapes("matmul", [[2, 3], [3]]) == [[2]])
    #expect(try shapes("matmul", [[3], [5, 3, 4]]) == [[5, 4]])
    #expect(try shapes("matmul", [[5, 2, 3], [3]]) == [[5, 2]])
    #expect(try shapes("matmul", [[5, 1, 2, 3], [4, 3, 6]]) == [[5, 4, 2, 6]])
    #expect(try shapes("matmul", [[2, 8, 197, 64], [2, 8, 64, 197]]) == [[2, 8, 197, 197]])
}

@Test func matmulErrorsShowBothShapes() throws {
    let inner = try #require(try shapeError("matmul", [[2, 3], [4, 5]]))
    #expect(inner.contains("[2, 3]") && inner.contains("[4, 5]") && inner.contains("3") && inner.contains("4"))
    let vectors = try #require(try shapeError("matmul", [[3], [4]]))
    #expect(vectors.contains("[3]") && vectors.contains("[4]"))
    let batch = try #require(try shapeError("matmul", [[2, 3, 4], [3, 4, 5]]))
    #expect(batch.contains("[2, 3, 4]") && batch.contains("[3, 4, 5]") && batch.contains("broadcast"))
    let scalar = try #require(try shapeError("matmul", [[], [3]]))
    #expect(scalar.contains("[]") && scalar.contains("[3]"))
}

@Test func matmulFlops() throws {
    let matmul = try op("matmul")
    #expect(matmul.flops(inputs: [[5, 2, 3], [3, 4]], outputs: [[5, 2, 4]], attributes: Attributes()) == 2 * 3 * 40)
    #expect(matmul.flops(inputs: [[3], [3]], outputs: [[]], attributes: Attributes()) == 6)
}

// MARK: softmax

@Test func softmaxShapes() throws {
    #expect(try shapes("softmax", [[2, 3]]) == [[2, 3]])
    #expect(try shapes("softmax", [[2, 3, 4]], [("axis", .int(1))]) == [[2, 3, 4]])
    #expect(try shapes("softmax", [[2, 3, 4]], [("axis", .int(-3))]) == [[2, 3, 4]])
    #expect(try shapes("softmax", [[]]) == [[]])
    #expect(try op("softmax").fusion == .reduction)
}

@Test func softmaxAxisOutOfRange() throws {
    let message = try #require(try shapeError("softmax", [[2, 3]], [("axis", .int(2))]))
    #expect(message.contains("axis 2") && message.contains("rank 2"))
    let negative = try #require(try shapeError("softmax", [[2, 3]], [("axis", .int(-3))]))
    #expect(negative.contains("axis -3"))
}

// MARK: layernorm

@Test func layerNormShapesAndParameters() throws {
    #expect(try shapes("layernorm", [[2, 197, 768]]) == [[2, 197, 768]])
    #expect(try slots("layernorm", [[2, 5, 8]]) == [ParameterSlot("weight", [8], .constant(1)), ParameterSlot("bias", [8], .constant(0))])
    #expect(try slots("layernorm", [[2, 5, 8]], [("bias", .bool(false))]) == [ParameterSlot("weight", [8], .constant(1))])
    #expect(try slots("layernorm", [[2, 5, 8]], [("affine", .bool(false))]).isEmpty)
    let attrs = try attributes("layernorm", [])
    #expect(attrs.float("eps") == 1e-5)
}

@Test func layerNormNeedsRankOne() throws {
    let message = try #require(try shapeError("layernorm", [[]]))
    #expect(message.contains("[]") && message.contains("rank"))
}

// MARK: batchnorm

@Test func batchNormShapesAndParameters() throws {
    #expect(try shapes("batchnorm", [[2, 3, 4, 4]]) == [[2, 3, 4, 4]])
    #expect(try shapes("batchnorm", [[2, 3]]) == [[2, 3]])
    #expect(try slots("batchnorm", [[2, 3, 4, 4]]).map(\.name) == ["weight", "bias", "running_mean", "running_var"])
    #expect(try slots("batchnorm", [[2, 3, 4, 4]]) == [
        ParameterSlot("weight", [3], .constant(1)), ParameterSlot("bias", [3], .constant(0)),
        ParameterSlot("running_mean", [3], .constant(0), isBuffer: true), ParameterSlot("running_var", [3], .constant(1), isBuffer: true),
    ])
    #expect(try slots("batchnorm", [[2, 3, 4]], [("affine", .bool(false))]).map(\.name) == ["running_mean", "running_var"])
    #expect(try op("batchnorm").ignoredStateNames == ["num_batches_tracked"])
}

/// frozen_batchnorm: the same shapes and state_dict names, every tensor a buffer (nothing
/// counted as a learned parameter, as torchvision's FrozenBatchNorm2d registers them).
@Test func frozenBatchNormHoldsBuffersOnly() throws {
    #expect(try shapes("frozen_batchnorm", [[2, 3, 4, 4]]) == [[2, 3, 4, 4]])
    #expect(try slots("frozen_batchnorm", [[2, 3, 4, 4]]) == [
        ParameterSlot("weight", [3], .constant(1), isBuffer: true), ParameterSlot("bias", [3], .constant(0), isBuffer: true),
        ParameterSlot("running_mean", [3], .constant(0), isBuffer: true), ParameterSlot("running_var", [3], .constant(1), isBuffer: true),
    ])
    #expect(try op("frozen_batchnorm").fusion == .broadcast)
    #expect(try op("frozen_batchnorm").ignoredStateNames == ["num_batches_tracked"])
    #expect(try op("frozen_batchnorm") is BatchNormOp)
}

@Test func batchNormNeedsChannels() throws {
    let message = try #require(try shapeError("batchnorm", [[3]]))
    #expect(message.contains("[3]") && message.contains("[N, C, ...]"))
}

@Test func batchNormParametersInGraph() throws {
    var g = Graph(name: "t")
    let x = g.addInput(name: "x", shape: [1, 4, 2, 2])
    let bn = try op("batchnorm")
    try g.apply(bn, inputs: [x], attributes: attributes("batchnorm", []), layer: "bn1")
    #expect(g.parameters.map(\.name) == ["bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"])
    #expect(g.parameters.last?.ignoredKeys == ["bn1.num_batches_tracked"])
}

// MARK: groupnorm

@Test func groupNormShapesAndParameters() throws {
    #expect(try shapes("groupnorm", [[2, 6, 4, 4]], [("groups", .int(3))]) == [[2, 6, 4, 4]])
    #expect(try shapes("groupnorm", [[2, 6]], [("groups", .int(6))]) == [[2, 6]])
    #expect(try slots("groupnorm", [[2, 6, 4]], [("groups", .int(2))]) == [
        ParameterSlot("weight", [6], .constant(1)), ParameterSlot("bias", [6], .constant(0)),
    ])
    #expect(try slots("groupnorm", [[2, 6, 4]], [("groups", .int(2)), ("affine", .bool(false))]).isEmpty)
    #expect(throws: ArgumentError.self) { try attributes("groupnorm", []) } // groups is required
}

@Test func groupNormErrors() throws {
    let indivisible = try #require(try shapeError("groupnorm", [[2, 6, 4, 4]], [("groups", .int(4))]))
    #expect(indivisible.contains("groups=4") && indivisible.contains("6") && indivisible.contains("[2, 6, 4, 4]"))
    let zero = try #require(try shapeError("groupnorm", [[2, 6]], [("groups", .int(0))]))
    #expect(zero.contains("groups > 0"))
    let rank = try #require(try shapeError("groupnorm", [[6]], [("groups", .int(2))]))
    #expect(rank.contains("[6]"))
}

// MARK: reductions

@Test func reductionShapes() throws {
    for name in ["mean", "sum", "max"] {
        #expect(try shapes(name, [[2, 3, 4]]) == [[]])
        #expect(try shapes(name, [[2, 3, 4]], [("keepdim", .bool(true))]) == [[1, 1, 1]])
        #expect(try shapes(name, [[2, 3, 4]], [("axes", .ints([1]))]) == [[2, 4]])
        #expect(try shapes(name, [[2, 3, 4]], [("axes", .int(1))]) == [[2, 4]])
        #expect(try shapes(name, [[2, 3, 4]], [("axes", .ints([-1, 0])), ("keepdim", .bool(true))]) == [[1, 3, 1]])
        #expect(try shapes(name, [[2, 3, 4]], [("axes", .ints([2, 0]))]) == [[3]])
        #expect(try shapes(name, [[2, 3, 4]], [("axes", .none)]) == [[]])
        #expect(try shapes(name, [[]]) == [[]])
        #expect(try shapes(name, [[]], [("axes", .ints([-1]))]) == [[]])
    }
}

@Test func reductionAxisErrors() throws {
    let outOfRange = try #require(try shapeError("mean", [[2, 3, 4]], [("axes", .ints([3]))]))
    #expect(outOfRange.contains("axis 3") && outOfRange.contains("rank 3"))
    let negative = try #require(try shapeError("sum", [[2, 3]], [("axes", .ints([-3]))]))
    #expect(negative.contains("axis -3"))
    let repeated = try #require(try shapeError("max", [[2, 3]], [("axes", .ints([1, -1]))]))
    #expect(repeated.contains("repeated"))
    let empty = try #require(try shapeError("sum", [[2, 3]], [("axes", .ints([]))]))
    #expect(empty.contains("axes"))
    let noElements = try #require(try shapeError("max", [[2, 0]], [("axes", .ints([1]))]))
    #expect(noElements.contains("[2, 0]"))
    #expect(try shapeError("sum", [[2, 0]], [("axes", .ints([1]))]) == nil)
}

@Test func reductionFlops() throws {
    let attrs = try attributes("sum", [])
    #expect(try op("sum").flops(inputs: [[2, 3, 4]], outputs: [[]], attributes: attrs) == 24)
}

// MARK: identity, dropout

@Test func identityAndDropout() throws {
    #expect(try shapes("identity", [[2, 3]]) == [[2, 3]])
    #expect(try shapes("dropout", [[2, 3]]) == [[2, 3]])
    #expect(try shapes("dropout", [[2, 3]], [("p", .float(0))]) == [[2, 3]])
    #expect(try attributes("dropout", []).float("p") == 0.5)
    #expect(try attributes("identity", []).entries.isEmpty)
    #expect(throws: ArgumentError.self) { try attributes("identity", [("p", .float(0.1))]) }
}

@Test func dropoutProbabilityRange() throws {
    let one = try #require(try shapeError("dropout", [[2]], [("p", .float(1))]))
    #expect(one.contains("[0, 1)") && one.contains("1.0"))
    let negative = try #require(try shapeError("dropout", [[2]], [("p", .float(-0.1))]))
    #expect(negative.contains("-0.1"))
}

// MARK: parameter

@Test func parameterShapesAndSlots() throws {
    #expect(try shapes("parameter", [], [("shape", .ints([1, 1, 8]))]) == [[1, 1, 8]])
    #expect(try shapes("parameter", [], [("shape", .int(8))]) == [[8]])
    #expect(try slots("parameter", [], [("shape", .ints([1, 1, 8]))]) == [ParameterSlot("", [1, 1, 8], .constant(0))])
    #expect(try slots("parameter", [], [("shape", .ints([8])), ("init", .string("ones"))]) == [ParameterSlot("", [8], .constant(1))])
    #expect(try slots("parameter", [], [("shape", .ints([8])), ("init", .string("constant")), ("value", .float(1e-6))])
        == [ParameterSlot("", [8], .constant(1e-6))])
    #expect(try slots("parameter", [], [("shape", .ints([8])), ("init", .string("normal")), ("std", .float(0.02))])
        == [ParameterSlot("", [8], .normal(std: 0.02))])
    #expect(throws: ArgumentError.self) { try attributes("parameter", []) } // shape is required
    #expect(throws: ArgumentError.self) { try attributes("parameter", [("shape", .ints([8])), ("init", .string("uniform"))]) }
}

@Test func parameterShapeErrors() throws {
    let zero = try #require(try shapeError("parameter", [], [("shape", .ints([2, 0]))]))
    #expect(zero.contains("[2, 0]"))
    let negative = try #require(try shapeError("parameter", [], [("shape", .ints([-1, 4]))]))
    #expect(negative.contains("[-1, 4]"))
    let std = try #require(try shapeError("parameter", [], [("shape", .ints([2])), ("init", .string("normal")), ("std", .float(-1))]))
    #expect(std.contains("std"))
}

@Test func parameterIsNamedByItsLayer() throws {
    var g = Graph(name: "t")
    let parameter = try op("parameter")
    let attrs = try attributes("parameter", [("shape", .ints([1, 1, 8]))])
    let outputs = try g.apply(parameter, inputs: [], attributes: attrs, layer: "cls_token")
    #expect(g.parameters.map(\.name) == ["cls_token"])
    #expect(outputs.map(g.shape(of:)) == [[1, 1, 8]])
    #expect(throws: Diagnostic.self) { try g.apply(parameter, inputs: [], attributes: attrs, layer: "") }
    let x = g.addInput(name: "x", shape: [2])
    #expect(throws: Diagnostic.self) { try g.apply(parameter, inputs: [x], attributes: attrs, layer: "p") }
}
