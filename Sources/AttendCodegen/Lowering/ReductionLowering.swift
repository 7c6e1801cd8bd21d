import AttendBasic
import AttendIR

/// mean, sum and max over any set of axes. Adjacent axes that are both kept or both reduced
/// are merged (unit axes dropped), leaving alternating kept and reduced groups. Sums are
/// accumulated in float (the interpreter uses Double); max propagates NaN like torch.amax.
///
/// - When the last group is reduced (or nothing is reduced), each output element is a
///   scalar accumulation whose innermost loop is contiguous: parallel over outputs.
/// - When trailing axes are kept, each output row of those trailing elements accumulates
///   whole contiguous input rows, innermost loop vectorized: parallel over (outer output
///   coordinates, column block).
enum ReductionLowering {
    /// Output columns one task of the row form updates.
    static let columnBlock = 256

    struct Group {
        var extent: Int
        var reduced: Bool
        /// Elements of the input between consecutive positions of this group.
        var stride = 0
    }

    static func lower(_ op: ReductionOp, _ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let shape = context.inputShapes[0]
        let axes = try op.reducedAxes(input: shape, attributes: context.attributes)
        let groups = self.groups(shape, reducing: axes)
        let reducedCount = axes.reduce(1) { $0 * shape[$1] }
        if reducesIntoRows(groups) {
            return rows(context, op.kind, groups: groups, reducedCount: reducedCount)
        }
        return scalars(context, op.kind, groups: groups, reducedCount: reducedCount)
    }

    /// Whether trailing axes are kept and some are reduced: output rows then accumulate
    /// whole input rows in place (`rows`), else each output is a scalar sum (`scalars`).
    static func reducesIntoRows(_ groups: [Group]) -> Bool {
        guard let last = groups.last else { return false }
        return !last.reduced && groups.contains(where: \.reduced)
    }

    /// The input's axes as alternating kept and reduced groups (unit axes dropped), with strides.
    static func groups(_ shape: [Int], reducing axes: [Int]) -> [Group] {
        var groups: [Group] = []
        for (axis, extent) in shape.enumerated() where extent != 1 {
            let reduced = axes.contains(axis)
            if let last = groups.last, last.reduced == reduced {
                groups[groups.count - 1].extent *= extent
            } else {
                groups.append(Group(extent: extent, reduced: reduced))
            }
        }
        var stride = 1
        for index in groups.indices.reversed() {
            groups[index].stride = stride
            stride *= groups[index].extent
        }
        return groups
    }

    static func initial(_ kind: ReductionOp.Kind) -> ValueExpr {
        kind == .max ? .constant(-.infinity) : .constant(0)
    }

    static func combine(_ kind: ReductionOp.Kind, _ accumulated: ValueExpr, _ value: ValueExpr) -> ValueExpr {
        kind == .max ? .binary(.max, accumulated, value) : accumulated + value
    }

    /// The input offset of the kept groups' coordinates of flat output index `index` over `kept`.
    static func keptOffset(_ index: IndexExpr, _ kept: [Group]) -> IndexExpr {
        Accumulation.remap(index, shape: kept.map(\.extent), strides: kept.map(\.stride))
    }

    /// Nested serial loops `r0, r1, …` over `reduced` around `body(offset of the position)`.
    static func reducedLoops(_ reduced: [Group], body: (IndexExpr) -> [Stmt]) -> [Stmt] {
        let offset = Loops.offset(reduced.indices.map { .v("r\($0)") }, reduced.map(\.stride))
        var stmts = body(offset)
        for (index, group) in reduced.enumerated().reversed() {
            stmts = [.loop(variable: "r\(index)", lower: 0, upper: .constant(group.extent), schedule: .serial, body: stmts)]
        }
        return stmts
    }

    /// One accumulator per output element; the innermost reduced group (the last input
    /// group, stride 1) is summed blockwise.
    static func scalars(_ context: LoweringContext, _ kind: ReductionOp.Kind, groups: [Group], reducedCount: Int) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        let kept = groups.filter { !$0.reduced }
        var reduced = groups.filter(\.reduced)
        let outCount = ShapeRules.elementCount(context.outputShapes[0])
        var body: [Stmt] = [.letIndex("base", keptOffset(.v("o"), kept)), .declare("acc", initial(kind))]
        if kind == .max || reduced.isEmpty {
            body += reducedLoops(reduced) { offset in
                [.assign("acc", combine(kind, .scalar("acc"), .load(x, .v("base") + offset)))]
            }
        } else {
            let innermost = reduced.removeLast()
            body += reducedLoops(reduced) { offset in
                Accumulation.accumulate(into: "acc", count: innermost.extent, prefix: "t") { t, target in
                    [Accumulation.add(target, .load(x, .v("base") + offset + t))]
                }
            }
        }
        let result: ValueExpr = kind == .mean ? .scalar("acc") / .constant(Double(reducedCount)) : .scalar("acc")
        body.append(.store(y, .v("o"), result))
        return [.loop(variable: "o", lower: 0, upper: .constant(outCount), schedule: .parallel, body: body)]
    }

    /// Trailing kept elements accumulate in the output: for each outer output coordinate,
    /// a block of the output row is initialized, every reduced input row block is combined
    /// into it (innermost loop contiguous and vectorized), and a mean divides at the end.
    static func rows(_ context: LoweringContext, _ kind: ReductionOp.Kind, groups: [Group], reducedCount: Int) -> [Stmt] {
        let x = context.inputs[0], y = context.outputs[0]
        var kept = groups.filter { !$0.reduced }
        let width = kept.removeLast().extent
        let reduced = groups.filter(\.reduced)
        let outer = ShapeRules.elementCount(context.outputShapes[0]) / width
        let blocks = Accumulation.ceilDiv(width, columnBlock)
        let (lower, upper) = Accumulation.blockRange(.v("tb"), size: columnBlock, extent: width)
        let target = IndexExpr.v("obase") + .v("t")
        func row(_ body: [Stmt]) -> Stmt {
            .loop(variable: "t", lower: lower, upper: upper, schedule: .vectorized, body: body)
        }
        var body: [Stmt] = []
        let index: String
        if blocks == 1 {
            index = "o"
        } else {
            index = "otb"
            body += [.letIndex("o", .v("otb") / .constant(blocks)), .letIndex("tb", .v("otb") % .constant(blocks))]
        }
        body += [
            .letIndex("base", keptOffset(.v("o"), kept)),
            .letIndex("obase", .v("o") * .constant(width)),
            row([.store(y, target, initial(kind))]),
        ]
        body += reducedLoops(reduced) { offset in
            [row([.store(y, target, combine(kind, .load(y, target), .load(x, .v("base") + offset + .v("t"))))])]
        }
        if kind == .mean {
            body.append(row([.store(y, target, .load(y, target) / .constant(Double(reducedCount)))]))
        }
        body.append(.finalized(y, start: .v("obase") + lower, count: upper - lower, stride: 1, alignment: blocks == 1 ? width : 1))
        return [.loop(variable: index, lower: 0, upper: .constant(outer * blocks), schedule: .parallel, body: body)]
    }
}

extension ReductionOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try ReductionLowering.lower(self, context) }
    public func finalizesRegions(inputs: [[Int]], attributes: Attributes) -> Bool {
        guard let shape = inputs.first, let axes = try? reducedAxes(input: shape, attributes: attributes) else { return false }
        return ReductionLowering.reducesIntoRows(ReductionLowering.groups(shape, reducing: axes))
    }
}
