import AttendBasic
import AttendIR

/// torch.nn.Linear and torch.matmul. Products are summed in Double, in order along the
/// inner dim, so the result is a precise oracle for float32 backends.
enum LinearAlgebraKernels {
    static func linear(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let x = context.inputs[0]
        let outShape = context.outputShapes[0]
        let features = x.shape.last ?? 1
        let out = outShape.last ?? 1
        let rows = ShapeRules.elementCount(Array(x.shape.dropLast()))
        let weight = try context.parameter("weight", shape: [out, features])
        let bias = try context.attributes.bool("bias") ? context.parameter("bias", shape: [out]) : nil

        // W^T as [in, out], so the inner loop runs along contiguous memory of both operands.
        var transposed = [Float](repeating: 0, count: features * out)
        for o in 0..<out {
            for i in 0..<features { transposed[i * out + o] = weight.data[o * features + i] }
        }
        var result = [Float](repeating: 0, count: rows * out)
        x.data.withUnsafeBufferPointer { a in
            transposed.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    multiply(a, aOffset: 0, b, bOffset: 0, into: c, cOffset: 0, m: rows, k: features, n: out, bias: bias?.data)
                }
            }
        }
        return [Tensor(shape: outShape, data: result)]
    }

    static func matmul(_ context: KernelContext) throws(Diagnostic) -> [Tensor] {
        let left = context.inputs[0], right = context.inputs[1]
        let outShape = context.outputShapes[0]
        let plan = try MatmulOp.plan(left.shape, right.shape)
        let m = plan.m, k = plan.k, n = plan.n
        let batchCount = ShapeRules.elementCount(plan.batch)
        let leftBatch = BroadcastIndex(from: plan.leftBatch, to: plan.batch)
        let rightBatch = BroadcastIndex(from: plan.rightBatch, to: plan.batch)
        // Removing the unit dims of 1-D operands leaves the row-major layout unchanged.
        var result = [Float](repeating: 0, count: batchCount * m * n)
        left.data.withUnsafeBufferPointer { a in
            right.data.withUnsafeBufferPointer { b in
                result.withUnsafeMutableBufferPointer { c in
                    for batch in 0..<batchCount {
                        multiply(a, aOffset: leftBatch.source(batch) * m * k,
                                 b, bOffset: rightBatch.source(batch) * k * n,
                                 into: c, cOffset: batch * m * n, m: m, k: k, n: n, bias: nil)
                    }
                }
            }
        }
        return [Tensor(shape: outShape, data: result)]
    }

    /// C[m, n] = A[m, k] B[k, n] (+ bias[n]), all row-major at the given offsets. Each output
    /// element is accumulated in Double, adding the products in order of the inner index.
    /// Columns go in blocks so that the block of B being reused by every row stays in cache.
    static func multiply(_ a: UnsafeBufferPointer<Float>, aOffset: Int,
                         _ b: UnsafeBufferPointer<Float>, bOffset: Int,
                         into c: UnsafeMutableBufferPointer<Float>, cOffset: Int,
                         m: Int, k: Int, n: Int, bias: [Float]?) {
        let blockWidth = 256
        var row = [Double](repeating: 0, count: min(n, blockWidth))
        row.withUnsafeMutableBufferPointer { acc in
            for j0 in stride(from: 0, to: n, by: blockWidth) {
                let width = min(blockWidth, n - j0)
                for i in 0..<m {
                    for j in 0..<width { acc[j] = 0 }
                    let aRow = UnsafeBufferPointer(rebasing: a[(aOffset + i * k)..<(aOffset + (i + 1) * k)])
                    for p in 0..<k {
                        // Rows as their own buffers keep index arithmetic out of the inner
                        // loop, which lets the compiler vectorize it.
                        let bStart = bOffset + p * n + j0
                        let bRow = UnsafeBufferPointer(rebasing: b[bStart..<(bStart + width)])
                        let scale = Double(aRow[p])
                        for j in 0..<width { acc[j] += scale * Double(bRow[j]) }
                    }
                    let cStart = cOffset + i * n + j0
                    let cRow = UnsafeMutableBufferPointer(rebasing: c[cStart..<(cStart + width)])
                    if let bias {
                        for j in 0..<width { cRow[j] = Float(acc[j] + Double(bias[j0 + j])) }
                    } else {
                        for j in 0..<width { cRow[j] = Float(acc[j]) }
                    }
                }
            }
        }
    }
}

extension LinearOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LinearAlgebraKernels.linear(context) }
}

extension MatmulOp: Interpretable {
    public func interpret(_ context: KernelContext) throws(Diagnostic) -> [Tensor] { try LinearAlgebraKernels.matmul(context) }
}
