import AttendBasic
import AttendIR

/// Output shapes of a node recomputed from its actual inputs, so a kernel's index tables
/// always agree with the tensors it reads (the interpreter then checks them against the graph).
func inferredShapes(_ context: KernelContext) throws(Diagnostic) -> [[Int]] {
    try context.op.outputShapes(inputs: context.inputs.map(\.shape), attributes: context.attributes)
}

/// The one data-movement primitive of the layout kernels: each output axis contributes an
/// offset into the source's flat data, chosen by the output coordinate on that axis:
///
///     out[i0, …, ik] = source[base + offsets[0][i0] + … + offsets[k][ik]]
///
/// or `fill` where any contribution is negative (padding). Permute, slice, split, unbind, pad
/// and nearest resizing differ only in their tables.
enum Gather {
    /// The offsets of one output axis: `source(i)` is the input coordinate that output
    /// coordinate `i` reads along an input axis of `stride`, or nil for fill.
    static func axis(count: Int, stride: Int, _ source: (Int) -> Int?) -> [Int] {
        (0..<count).map { i in source(i).map { $0 * stride } ?? -1 }
    }

    static func run(_ input: Tensor, shape: [Int], base: Int = 0, offsets: [[Int]], fill: Float = 0) -> Tensor {
        let count = ShapeRules.elementCount(shape)
        var out = [Float](repeating: fill, count: count)
        guard count > 0 else { return Tensor(shape: shape, data: out) }
        guard let last = offsets.last else {
            out[0] = input.data[base]
            return Tensor(shape: shape, data: out)
        }
        let outer = offsets.dropLast()
        input.data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var coordinate = [Int](repeating: 0, count: outer.count)
                var position = 0
                while position < count {
                    var row = base, isFill = false
                    for (axis, table) in outer.enumerated() {
                        let offset = table[coordinate[axis]]
                        if offset < 0 { isFill = true }
                        row += offset
                    }
                    if !isFill {
                        for (i, offset) in last.enumerated() where offset >= 0 { dst[position + i] = src[row + offset] }
                    }
                    position += last.count
                    // Advance the coordinate of the outer axes, last axis fastest.
                    var axis = outer.count - 1
                    while axis >= 0 {
                        coordinate[axis] += 1
                        if coordinate[axis] < shape[axis] { break }
                        coordinate[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return Tensor(shape: shape, data: out)
    }

    /// Output axis k reads input axis `permutation[k]`.
    static func permute(_ x: Tensor, _ permutation: [Int]) -> Tensor {
        let strides = x.strides
        let shape = permutation.map { x.shape[$0] }
        let offsets = permutation.map { axis in Gather.axis(count: x.shape[axis], stride: strides[axis]) { $0 } }
        return run(x, shape: shape, offsets: offsets)
    }

    /// Elements `start`, `start + step`, … (`count` of them) along `axis`; other axes whole.
    static func slice(_ x: Tensor, axis: Int, start: Int, count: Int, step: Int = 1) -> Tensor {
        let strides = x.strides
        var shape = x.shape
        shape[axis] = count
        let offsets = shape.indices.map { k in
            k == axis ? Gather.axis(count: count, stride: strides[k]) { start + $0 * step }
                      : Gather.axis(count: shape[k], stride: strides[k]) { $0 }
        }
        return run(x, shape: shape, offsets: offsets)
    }
}

/// Kernels for reshape, permute, transpose, flatten, concat, split, unbind, slice and expand.
enum LayoutKernels {
    /// The node's `axis` argument as an index into `rank` axes (the shape rule has checked it).
    private static func axisArgument(_ context: KernelContext, rank: Int) -> Int {
        let axis = context.attributes.int("axis")
        return axis < 0 ? axis + rank : axis
    }

    /// reshape and flatten keep the row-major data and change only the shape.
    static func reshape(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let shape = try inferredShapes(context)[0]
        return [Tensor(shape: shape, data: context.inputs[0].data)]
    }

    static func permute(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        _ = try inferredShapes(context)
        return [Gather.permute(x, PermuteOp.permutation(context.attributes, rank: x.rank))]
    }

    static func transpose(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        _ = try inferredShapes(context)
        return [Gather.permute(x, TransposeOp.permutation(context.attributes, rank: x.rank))]
    }

    /// Copies each input's block for every index of the axes before `axis`, in input order.
    static func concat(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let shape = try inferredShapes(context)[0]
        let axis = axisArgument(context, rank: shape.count)
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var out: [Float] = []
        out.reserveCapacity(ShapeRules.elementCount(shape))
        for block in 0..<outer {
            for x in context.inputs {
                let length = x.shape[axis] * inner
                out += x.data[(block * length)..<((block + 1) * length)]
            }
        }
        return [Tensor(shape: shape, data: out)]
    }

    static func split(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let shapes = try inferredShapes(context)
        let axis = axisArgument(context, rank: x.rank)
        var start = 0
        return shapes.map { shape in
            defer { start += shape[axis] }
            return Gather.slice(x, axis: axis, start: start, count: shape[axis])
        }
    }

    static func unbind(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let shapes = try inferredShapes(context)
        let axis = axisArgument(context, rank: x.rank)
        let strides = x.strides
        let offsets = x.shape.indices.filter { $0 != axis }.map { k in Gather.axis(count: x.shape[k], stride: strides[k]) { $0 } }
        return shapes.indices.map { index in
            Gather.run(x, shape: shapes[index], base: index * strides[axis], offsets: offsets)
        }
    }

    static func slice(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        _ = try inferredShapes(context)
        let axis = axisArgument(context, rank: x.rank)
        let (start, count) = SliceOp.resolve(context.attributes, size: x.shape[axis])
        return [Gather.slice(x, axis: axis, start: start, count: count, step: context.attributes.int("step"))]
    }

    /// Repeated axes read input coordinate 0 (stride 0); added leading axes read nothing else.
    static func expand(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let shape = try inferredShapes(context)[0]
        let added = shape.count - x.rank
        let strides = x.strides
        let repeated = ExpandOp.repeatedAxes(input: x.shape, output: shape)
        let offsets = shape.indices.map { k in
            Gather.axis(count: shape[k], stride: repeated[k] ? 0 : strides[k - added]) { $0 }
        }
        return [Gather.run(x, shape: shape, offsets: offsets)]
    }
}

extension ReshapeOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.reshape(context) }
}

extension FlattenOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.reshape(context) }
}

extension PermuteOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.permute(context) }
}

extension TransposeOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.transpose(context) }
}

extension ConcatOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.concat(context) }
}

extension SplitOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.split(context) }
}

extension UnbindOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.unbind(context) }
}

extension SliceOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.slice(context) }
}

extension ExpandOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LayoutKernels.expand(context) }
}
