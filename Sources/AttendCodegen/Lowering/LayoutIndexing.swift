import AttendBasic
import AttendIR

/// Storage layouts in generated code: the index expressions of `Layout.offset` and its
/// inverse, both read from `Layout.storageAxes`, the one statement of each layout's geometry.
extension Layout {
    /// The storage offset of logical coordinates of a value of shape `shape`.
    func offset(_ coordinates: [IndexExpr], shape: [Int]) -> IndexExpr {
        let axes = storageAxes(shape)
        let parts = axes.map { axis -> IndexExpr in
            let c = coordinates[axis.axis]
            switch axis.part {
            case .whole: return c
            case .blocks(let b): return c / .constant(b)
            case .lanes(let b): return c % .constant(b)
            }
        }
        return Loops.offset(parts, Loops.strides(axes.map(\.extent)))
    }

    /// The logical coordinates at storage coordinates `storage` (one per storage axis) of a
    /// value of shape `shape`, and the condition that they are inside the value: nil when
    /// every storage position is an element, false on the padding lanes of a blocked tail.
    func logicalCoordinates(_ storage: [IndexExpr], shape: [Int]) -> (coordinates: [IndexExpr], inside: Condition?) {
        var coordinates = [IndexExpr](repeating: 0, count: shape.count)
        var padded: Set<Int> = []
        for (axis, s) in zip(storageAxes(shape), storage) {
            switch axis.part {
            case .whole: coordinates[axis.axis] = s
            case .blocks(let b):
                coordinates[axis.axis] = coordinates[axis.axis] + s * .constant(b)
                if shape[axis.axis] % b != 0 { padded.insert(axis.axis) }
            case .lanes: coordinates[axis.axis] = coordinates[axis.axis] + s
            }
        }
        let inside = padded.sorted().map { Condition.less(coordinates[$0], .constant(shape[$0])) }
        return (coordinates, RowLoops.all(inside))
    }
}
