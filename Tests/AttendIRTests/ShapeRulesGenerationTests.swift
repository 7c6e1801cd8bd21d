import AttendBasic
import AttendIR
import Testing

// Shape rules, parameters and FLOPs of the ops the face-recognition and generation networks
// add: prelu and conv_transpose2d (with spectral norm's reparametrized weight).

private func typed(_ op: any Op, _ args: [(String, ArgValue)]) throws -> Attributes {
    try op.typeArguments(args.map { (name: $0.0, value: $0.1) })
}

private func shapeError(_ op: any Op, _ input: [Int], _ args: [(String, ArgValue)]) throws -> String? {
    let attributes = try typed(op, args)
    do {
        _ = try op.outputShapes(inputs: [input], attributes: attributes)
        return nil
    } catch {
        return error.message
    }
}

@Test func convTransposeShapesFollowPyTorch() throws {
    let op = ConvTransposeOp()
    // (in - 1) * stride - 2 * pad + dilation * (kernel - 1) + output_padding + 1
    let a = try typed(op, [("out", .int(6)), ("kernel", .ints([3, 2])), ("stride", .ints([2, 3])), ("pad", .ints([2, 1])),
                           ("output_padding", .ints([1, 0])), ("groups", .int(2)), ("dilation", .int(2))])
    #expect(try op.outputShapes(inputs: [[2, 4, 6, 5]], attributes: a) == [[2, 6, 12, 13]])
    #expect(op.parameters(inputs: [[2, 4, 6, 5]], attributes: a).map(\.shape) == [[4, 3, 3, 2], [6]])
    #expect(op.flops(inputs: [[2, 4, 6, 5]], outputs: [[2, 6, 12, 13]], attributes: a) == 2 * 3 * 6 * 2 * 4 * 6 * 5)
    #expect(try op.outputShapes(inputs: [[1, 8, 1, 1]], attributes: typed(op, [("out", .int(5)), ("kernel", .int(4))])) == [[1, 5, 4, 4]])
}

@Test func convTransposeRejectsWhatPyTorchRejects() throws {
    let op = ConvTransposeOp()
    let base: [(String, ArgValue)] = [("out", .int(4)), ("kernel", .int(3))]
    #expect(try shapeError(op, [1, 8, 6, 6], base + [("stride", .int(2)), ("output_padding", .int(2))])?
        .contains("must be smaller than either stride") == true)
    // Below the dilation is enough.
    #expect(try shapeError(op, [1, 8, 6, 6], base + [("dilation", .int(3)), ("output_padding", .int(2))]) == nil)
    #expect(try shapeError(op, [1, 8, 6, 6], base + [("groups", .int(3))])?.contains("groups=3 must divide") == true)
    #expect(try shapeError(op, [1, 8, 6, 6], [("out", .int(4)), ("kernel", .int(1)), ("pad", .int(3))])?.contains("too small") == true)
    #expect(try shapeError(op, [1, 8, 6, 6], base + [("stride", .int(0))])?.contains("positive kernel, stride") == true)
    #expect(try shapeError(op, [1, 8, 6, 6], base + [("output_padding", .int(-1))])?.contains("non-negative") == true)
    #expect(try shapeError(op, [8, 6, 6], base)?.contains("expects input [N, C, H, W]") == true)
    #expect(try shapeError(op, [1, 8, 6, 6], [("out", .int(0)), ("kernel", .int(3))])?.contains("out > 0") == true)
}

@Test func preluSlopesAreOneOrPerChannel() throws {
    let op = PReLUOp()
    #expect(op.parameters(inputs: [[2, 3, 4]], attributes: try typed(op, [])) == [ParameterSlot("weight", [1], .constant(0.25))])
    let perChannel = try typed(op, [("num_parameters", .int(3)), ("init", .float(0.1))])
    #expect(try op.outputShapes(inputs: [[2, 3, 4]], attributes: perChannel) == [[2, 3, 4]])
    #expect(op.parameters(inputs: [[2, 3, 4]], attributes: perChannel) == [ParameterSlot("weight", [3], .constant(0.1))])
    #expect(try shapeError(op, [2, 4, 5], [("num_parameters", .int(3))])?.contains("must be 1 or the channel count 4") == true)
    #expect(try shapeError(op, [5], [("num_parameters", .int(5))])?.contains("channel count 1") == true)
    #expect(try shapeError(op, [2, 3], [("num_parameters", .int(0))])?.contains("num_parameters >= 1") == true)
}

/// With spectral_norm the state_dict holds weight_orig and the buffers weight_u [out/groups]
/// and weight_v [in * kH * kW] (ConvTranspose normalizes dim 1); the node's weight is derived.
@Test func spectralNormStoresTheWeightAsPyTorchDoes() throws {
    let op = ConvTransposeOp()
    var graph = Graph(name: "sn")
    let x = graph.addInput(name: "x", shape: [1, 6, 4, 4])
    let a = try typed(op, [("out", .int(4)), ("kernel", .int(3)), ("groups", .int(2)), ("spectral_norm", .bool(true))])
    try graph.apply(op, inputs: [x], attributes: a, layer: "up")
    let loaded = graph.loadedParameters.map { "\($0.name)\(formatShape($0.shape))\($0.isBuffer ? " buffer" : "")" }
    #expect(loaded == ["up.weight_orig[6, 2, 3, 3]", "up.weight_u[2] buffer", "up.weight_v[54] buffer", "up.bias[4]"])
    #expect(graph.parameterCount == 6 * 2 * 9 + 4)
    let weight = try #require(graph.nodes[0].parameterName("weight"))
    #expect(weight == "up.weight")
    #expect(graph.parameter(named: weight)?.definition?.op.name == "div")
    try Verifier.verify(graph)
}
