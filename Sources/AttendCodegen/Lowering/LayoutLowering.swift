import AttendBasic
import AttendIR

/// Layout ops as index maps: reshape and flatten are flat copies; permute, transpose, slice
/// and pad loop over the output and read through an index expression of its coordinates;
/// concat, split and unbind copy contiguous runs, one `if` chain picking the input (output)
/// per row, so a single parallel task touches every buffer.
enum LayoutLowering {
    /// The node's `axis` argument wrapped into `0..<rank`.
    static func axis(_ context: LoweringContext, rank: Int) -> Int {
        let axis = context.attributes.int("axis")
        return axis < 0 ? axis + rank : axis
    }

    /// reshape and flatten: the row-major data is unchanged.
    static func copy(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let count = ShapeRules.elementCount(context.outputShapes[0])
        return RowLoops.loop("i", count, .parallel) { i in
            [.store(context.outputs[0], i, .load(context.inputs[0], i))]
        }
    }

    /// permute and transpose: output axis k reads input axis perm[k].
    static func permute(_ context: LoweringContext, _ perm: [Int]) -> [Stmt] {
        let inStrides = Loops.strides(context.inputShapes[0])
        return gather(context) { coordinates in Loops.offset(coordinates, perm.map { inStrides[$0] }) }
    }

    /// x[..., start:end:step] along one axis.
    static func slice(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let inShape = context.inputShapes[0]
        let axis = axis(context, rank: inShape.count)
        let (start, _) = SliceOp.resolve(context.attributes, size: inShape[axis])
        let step = context.attributes.int("step")
        return gather(context) { coordinates in
            var source = coordinates
            source[axis] = .constant(start) + coordinates[axis] * .constant(step)
            return Loops.offset(source, Loops.strides(inShape))
        }
    }

    /// x.expand(shape): repeated and added axes read input coordinate 0.
    static func expand(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let inShape = context.inputShapes[0], outShape = context.outputShapes[0]
        let added = outShape.count - inShape.count
        let inStrides = Loops.strides(inShape)
        let repeated = ExpandOp.repeatedAxes(input: inShape, output: outShape)
        return gather(context) { coordinates in
            Loops.offset(Array(coordinates[added...]), (0..<inShape.count).map { repeated[$0 + added] ? 0 : inStrides[$0] })
        }
    }

    /// Every output element read from `source(coordinates)` of the input.
    static func gather(_ context: LoweringContext, source: ([IndexExpr]) -> IndexExpr) -> [Stmt] {
        Pruning.pruned(RowLoops.rows(context.outputShapes[0]) { coordinates, flat in
            [.store(context.outputs[0], flat, .load(context.inputs[0], source(coordinates)))]
        })
    }

    /// reorder: a loop over the output's storage (rows of its innermost storage axis, the
    /// block lanes of NCHW[b]c), each position reading its logical element from wherever the
    /// input's layout keeps it; padding lanes of a blocked tail are stored as zeros (never
    /// read from the input).
    static func reorder(_ context: LoweringContext) -> [Stmt] {
        let shape = context.outputShapes[0]
        let source = context.inputLayout(0), target = context.outputLayout(0)
        return Pruning.pruned(RowLoops.rows(target.storageShape(shape)) { storage, flat in
            let (logical, inside) = target.logicalCoordinates(storage, shape: shape)
            let load = ValueExpr.load(context.inputs[0], source.offset(logical, shape: shape))
            return [.store(context.outputs[0], flat, inside.map { ValueExpr.select($0, load, .constant(0)) } ?? load)]
        })
    }

    /// F.pad: constant (with cropping by negative pads), reflect, replicate or circular, as index maps.
    static func pad(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let a = context.attributes
        let inShape = context.inputShapes[0]
        let pads = PadOp.axisPads(a.ints("pads"), rank: inShape.count)
        let mode = a.string("mode")
        let inStrides = Loops.strides(inShape)
        return Pruning.pruned(RowLoops.rows(context.outputShapes[0]) { coordinates, flat in
            var prologue: [Stmt] = []
            var source: [IndexExpr] = []
            var inside: [Condition] = []
            for (k, o) in coordinates.enumerated() {
                let (before, after) = pads[k], size = inShape[k]
                let i = RowLoops.shifted(o, by: -before)
                switch mode {
                case "reflect":
                    // Pads are smaller than the axis: |i| reflects the left border, and
                    // min(i', 2 (size - 1) - i') the right one.
                    var s = i
                    if before > 0 {
                        let bound = RowLoops.bind("a\(k)", i)
                        prologue += bound.stmts
                        s = RowLoops.absolute(bound.expr)
                    }
                    if after > 0 {
                        let bound = RowLoops.bind("s\(k)", s)
                        prologue += bound.stmts
                        s = .min(bound.expr, .constant(2 * (size - 1)) - bound.expr)
                    }
                    source.append(s)
                case "replicate":
                    var s = i
                    if before > 0 { s = .max(s, 0) }
                    if after > 0 { s = .min(s, .constant(size - 1)) }
                    source.append(s)
                case "circular":
                    // Pads are at most the axis size: i + size is in [0, 2 size), one wrap.
                    source.append(before > 0 || after > 0 ? .mod(i + .constant(size), .constant(size)) : i)
                default:
                    // In range on a side only where that side is padded (negative pads crop).
                    if before > 0 { inside.append(.lessEqual(.constant(before), o)) }
                    if after > 0 { inside.append(.less(o, .constant(size + before))) }
                    source.append(i)
                }
            }
            let load = ValueExpr.load(context.inputs[0], Loops.offset(source, inStrides))
            let value = RowLoops.all(inside).map { ValueExpr.select($0, load, .constant(a.float("value"))) } ?? load
            return prologue + [.store(context.outputs[0], flat, value)]
        })
    }

    /// torch.cat. `outer` blocks (the axes before `axis`) of `sizes[k] * inner` elements per input.
    static func concat(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        let shape = context.outputShapes[0]
        let axis = axis(context, rank: shape.count)
        let sizes = context.inputShapes.map { $0[axis] }
        return pieces(joined: context.outputs[0], shape: shape, axis: axis, pieces: context.inputs, sizes: sizes, concat: true)
    }

    /// torch.split and torch.unbind (whose outputs have the same flat layout as pieces of 1):
    /// `sizes(extent)` gives the pieces' extents along the axis.
    static func split(_ context: LoweringContext, sizes: (Int) -> [Int]) -> [Stmt] {
        let shape = context.inputShapes[0]
        let axis = axis(context, rank: shape.count)
        let sizes = sizes(shape[axis])
        return pieces(joined: context.inputs[0], shape: shape, axis: axis, pieces: context.outputs, sizes: sizes, concat: false)
    }

    /// Copies between a `joined` tensor and its `pieces` along `axis` (concat reads the pieces,
    /// split writes them). With rows along the axis (inner > 1): one parallel loop over the
    /// joined tensor's rows, an `if` chain picking the piece, a contiguous inner copy. With
    /// pieces one element wide per block (inner == 1): a parallel loop over the blocks, a
    /// contiguous copy per piece.
    static func pieces(joined: BufferRef, shape: [Int], axis: Int, pieces: [BufferRef], sizes: [Int], concat: Bool) -> [Stmt] {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let total = shape[axis]
        let starts = sizes.indices.map { sizes[..<$0].reduce(0, +) }
        func move(_ joinedIndex: IndexExpr, _ piece: Int, _ pieceIndex: IndexExpr) -> Stmt {
            concat ? .store(joined, joinedIndex, .load(pieces[piece], pieceIndex))
                   : .store(pieces[piece], pieceIndex, .load(joined, joinedIndex))
        }
        if inner == 1 {
            return Pruning.pruned(RowLoops.loop("o", outer, .parallel) { o in
                pieces.indices.flatMap { k in
                    RowLoops.loop("j", sizes[k], .vectorized) { j in
                        [move(o * .constant(total) + .constant(starts[k]) + j, k, o * .constant(sizes[k]) + j)]
                    }
                }
            })
        }
        return Pruning.pruned(RowLoops.loop("r", outer * total, .parallel) { r in
            // With one block the row is the index along the axis.
            let o = outer == 1 ? RowLoops.bound(0) : RowLoops.bind("o", r / .constant(total))
            let a = outer == 1 ? RowLoops.bound(r) : RowLoops.bind("a", r % .constant(total))
            func copy(_ k: Int) -> [Stmt] {
                let row = o.expr * .constant(sizes[k]) + a.expr - .constant(starts[k])
                return RowLoops.loop("j", inner, .vectorized) { j in
                    [move(r * .constant(inner) + j, k, row * .constant(inner) + j)]
                }
            }
            var chain = copy(pieces.count - 1)
            for k in (0..<(pieces.count - 1)).reversed() {
                chain = [.when(.less(a.expr, .constant(starts[k] + sizes[k])), then: copy(k), otherwise: chain)]
            }
            return o.stmts + a.stmts + chain
        })
    }
}

extension ReshapeOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try LayoutLowering.copy(context) }
}

extension FlattenOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try LayoutLowering.copy(context) }
}

extension PermuteOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { LayoutLowering.permute(context, PermuteOp.permutation(context.attributes, rank: context.inputShapes[0].count)) }
}

extension TransposeOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { LayoutLowering.permute(context, TransposeOp.permutation(context.attributes, rank: context.inputShapes[0].count)) }
}

extension ConcatOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try LayoutLowering.concat(context) }
}

extension SplitOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { LayoutLowering.split(context) { SplitOp.sections(context.attributes.ints("sizes"), size: $0) } }
}

extension UnbindOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { LayoutLowering.split(context) { Array(repeating: 1, count: $0) } }
}

extension SliceOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try LayoutLowering.slice(context) }
}

extension PadOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try LayoutLowering.pad(context) }
}

extension ReorderOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { LayoutLowering.reorder(context) }
}

extension ExpandOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try LayoutLowering.expand(context) }
}
