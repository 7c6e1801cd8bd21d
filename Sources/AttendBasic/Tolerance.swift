/// When two computations of the same values agree: for every element
/// `|actual - expected| <= absolute + relative * |expected|`, the rule of `torch.allclose`
/// and `numpy.allclose`, so a PyTorch user reads a tolerance the way they already do. NaN
/// agrees only with NaN and an infinity only with itself (a backend that turns a NaN into a
/// number, or an overflow into a finite value, disagrees). The one meaning of "within
/// tolerance" wherever one computation is checked against another.
public struct Tolerance: Sendable, Equatable, CustomStringConvertible {
    public var absolute: Double
    public var relative: Double

    public init(absolute: Double, relative: Double) {
        self.absolute = absolute
        self.relative = relative
    }

    /// Whether `actual` is within tolerance of `expected` (compared in double precision).
    public func accepts<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(_ actual: A, _ expected: E) -> Bool {
        let (a, e) = (Double(actual), Double(expected))
        if a.isNaN || e.isNaN { return a.isNaN && e.isNaN }
        if a.isInfinite || e.isInfinite { return a == e }
        return abs(a - e) <= absolute + relative * abs(e)
    }

    /// nil when both arrays have the same length and every element is within tolerance;
    /// otherwise one line saying how many elements differ and which differs most.
    public func mismatch<A: BinaryFloatingPoint, E: BinaryFloatingPoint>(_ actual: [A], _ expected: [E]) -> String? {
        guard actual.count == expected.count else { return "\(actual.count) elements, expected \(expected.count)" }
        var failures = 0, worst = 0, worstExcess = -Double.infinity
        for index in actual.indices where !accepts(actual[index], expected[index]) {
            failures += 1
            // How far beyond the allowed error; a NaN or infinity mismatch is the worst there is.
            let (a, e) = (Double(actual[index]), Double(expected[index]))
            let excess = abs(a - e).isFinite ? abs(a - e) - absolute - relative * abs(e) : .infinity
            if failures == 1 || excess > worstExcess { (worst, worstExcess) = (index, excess) }
        }
        guard failures > 0 else { return nil }
        return "\(failures) of \(actual.count) elements differ beyond \(self); worst at \(worst): \(actual[worst]), expected \(expected[worst])"
    }

    /// `mismatch` of the data, after the shapes (which must be equal).
    public func mismatch(_ actual: Tensor, _ expected: Tensor) -> String? {
        guard actual.shape == expected.shape else {
            return "shape \(formatShape(actual.shape)), expected \(formatShape(expected.shape))"
        }
        return mismatch(actual.data, expected.data)
    }

    public var description: String { "\(absolute) + \(relative) x |expected|" }
}
