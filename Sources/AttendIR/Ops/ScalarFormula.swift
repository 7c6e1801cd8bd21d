/// The per-element math of an elementwise op, as a tiny expression tree. The interpreter
/// evaluates it and code generators print it, so an activation is written exactly once.
public indirect enum ScalarFormula: Hashable, Sendable {
    /// Input operand `i` (for binary ops given a scalar `other`, operand 1 is that scalar).
    case operand(Int)
    case constant(Double)
    /// A float argument of the node (`gelu` has none; `leaky_relu` would read `negative_slope`).
    case argument(String)
    case unary(UnaryFunction, ScalarFormula)
    case binary(BinaryFunction, ScalarFormula, ScalarFormula)

    public enum UnaryFunction: String, Hashable, Sendable, CaseIterable {
        case neg, abs, sqrt, exp, log, tanh, erf, sin, cos
    }

    public enum BinaryFunction: String, Hashable, Sendable, CaseIterable {
        case add, sub, mul, div, pow, max, min
    }

    // Spelling helpers so op declarations read like math.
    public static let x = ScalarFormula.operand(0)
    public static let y = ScalarFormula.operand(1)
    public static func c(_ v: Double) -> ScalarFormula { .constant(v) }
    public static func + (a: ScalarFormula, b: ScalarFormula) -> ScalarFormula { .binary(.add, a, b) }
    public static func - (a: ScalarFormula, b: ScalarFormula) -> ScalarFormula { .binary(.sub, a, b) }
    public static func * (a: ScalarFormula, b: ScalarFormula) -> ScalarFormula { .binary(.mul, a, b) }
    public static func / (a: ScalarFormula, b: ScalarFormula) -> ScalarFormula { .binary(.div, a, b) }
    public static prefix func - (a: ScalarFormula) -> ScalarFormula { .unary(.neg, a) }
    public static func max(_ a: ScalarFormula, _ b: ScalarFormula) -> ScalarFormula { .binary(.max, a, b) }
    public static func min(_ a: ScalarFormula, _ b: ScalarFormula) -> ScalarFormula { .binary(.min, a, b) }
    public static func exp(_ a: ScalarFormula) -> ScalarFormula { .unary(.exp, a) }
    public static func tanh(_ a: ScalarFormula) -> ScalarFormula { .unary(.tanh, a) }
    public static func erf(_ a: ScalarFormula) -> ScalarFormula { .unary(.erf, a) }
    public static func clamp(_ a: ScalarFormula, _ low: Double, _ high: Double) -> ScalarFormula {
        .min(.max(a, .c(low)), .c(high))
    }
}
