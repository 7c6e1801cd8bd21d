import AttendIR

/// Loop building blocks for sums (blockwise, so float sums of long rows stay close to the
/// interpreter's Double sums) and for ranges cut into blocks.
enum Accumulation {
    /// Elements summed into one partial accumulator before it joins the total: float sums of
    /// long rows stay within ~1e-6 relative of the interpreter's Double sums.
    static let sumBlock = 128

    static func ceilDiv(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }

    /// Adds a contribution for every `t` in `[0, count)` to the scalar `accumulator` (which
    /// must already be declared). `body(t, target)` returns the statements for one `t`; they
    /// add into the scalar named `target`. Long ranges are summed blockwise: a partial sum
    /// per `sumBlock` elements, then the partials. Loop variables are `prefix` and `prefix`b.
    static func accumulate(into accumulator: String, count: Int, prefix: String,
                           body: (IndexExpr, String) -> [Stmt]) -> [Stmt] {
        accumulate(into: [accumulator], count: count, prefix: prefix) { t, targets in body(t, targets[0]) }
    }

    /// `accumulate` of several sums over the same range in one loop (each summed in the same
    /// order as alone): `body(t, targets)` adds into the scalars named `targets`, one per
    /// accumulator.
    static func accumulate(into accumulators: [String], count: Int, prefix: String,
                           body: (IndexExpr, [String]) -> [Stmt]) -> [Stmt] {
        if count <= sumBlock {
            return [.loop(variable: prefix, lower: 0, upper: .constant(count), schedule: .vectorizedReduction(sums: accumulators, maxima: []),
                          body: body(.v(prefix), accumulators))]
        }
        let block = prefix + "b", partials = accumulators.map { $0 + "_part" }
        let (lower, upper) = blockRange(.v(block), size: sumBlock, extent: count)
        return [.loop(variable: block, lower: 0, upper: .constant(ceilDiv(count, sumBlock)), schedule: .serial,
                      body: partials.map { .declare($0, .constant(0)) } + [
            .loop(variable: prefix, lower: lower, upper: upper, schedule: .vectorizedReduction(sums: partials, maxima: []),
                  body: body(.v(prefix), partials)),
        ] + zip(accumulators, partials).map { .assign($0, .scalar($0) + .scalar($1)) })]
    }

    /// `accumulator += value` as a statement.
    static func add(_ accumulator: String, _ value: ValueExpr) -> Stmt {
        .assign(accumulator, .scalar(accumulator) + value)
    }

    /// The bounds of block `block` of `size` elements of `[0, extent)`; the last block may be short.
    static func blockRange(_ block: IndexExpr, size: Int, extent: Int) -> (lower: IndexExpr, upper: IndexExpr) {
        if size >= extent { return (0, .constant(extent)) }
        let lower = block * .constant(size)
        let upper = extent % size == 0 ? lower + .constant(size) : IndexExpr.min(.constant(extent), lower + .constant(size))
        return (lower, upper)
    }

    /// The offset, in a tensor with per-axis `strides` (0 where it is broadcast), of the
    /// element at row-major flat index `flat` of `shape`.
    static func remap(_ flat: IndexExpr, shape: [Int], strides: [Int]) -> IndexExpr {
        let flatStrides = Loops.strides(shape)
        var result: IndexExpr = 0
        for axis in shape.indices where strides[axis] != 0 && shape[axis] != 1 {
            var coordinate = flat / .constant(flatStrides[axis])
            // The first axis of extent > 1 needs no remainder: flat < product(shape).
            if !shape[..<axis].allSatisfy({ $0 == 1 }) { coordinate = coordinate % .constant(shape[axis]) }
            result = result + coordinate * .constant(strides[axis])
        }
        return result
    }
}
