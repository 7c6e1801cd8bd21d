import AttendBasic

/// pack_panels(w, rows): a weight matrix reordered into the panels a register-tiled matrix
/// product reads. The input's first axis is the row axis (a conv's or linear layer's output
/// channels); the other axes, flattened, are the `K` columns. Rows are grouped `rows` at a
/// time, and each group is stored column by column:
///
///     out[b, k, i] = w[b * rows + i, k]   (0 where b * rows + i is past the last row)
///
/// so a microkernel that updates `rows` output channels reads one contiguous run of `rows`
/// values per step of the reduction. Code generation derives it from conv weights at load
/// time (a derived parameter, so the interpreter checks it like batchnorm folding).
public struct PackPanelsOp: Op {
    public init() {}
    public var name: String { "pack_panels" }
    public var summary: String { "weights regrouped into row panels for a register-tiled matrix product: out[b,k,i] = w[b*rows+i, k]" }
    public var arity: Arity { .exactly(1) }
    public var fusion: FusionKind { .opaque }
    public var arguments: [ArgSpec] {
        [ArgSpec("rows", .int, "rows per panel (the microkernel's output channels); the last panel is zero-padded")]
    }

    public func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]] {
        let w = inputs[0], rows = attributes.int("rows")
        guard rows >= 1 else { throw .error("pack_panels rows must be at least 1, got \(rows)") }
        guard let first = w.first, first >= 1 else {
            throw .error("pack_panels needs an input with at least one row, got \(formatShape(w))")
        }
        let columns = ShapeRules.elementCount(Array(w.dropFirst()))
        return [[(first + rows - 1) / rows, columns, rows]]
    }
}
