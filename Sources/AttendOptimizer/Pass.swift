import AttendBasic
import AttendIR

/// A graph-to-graph transformation with a stable name (the name `--passes` and test files
/// use). A pass must leave a graph that verifies and computes the same outputs (to floating
/// point rounding); the pass manager can check the first after every pass (`--verify-each`),
/// and the test harness checks both.
///
/// Writing one: see `Docs/passes.md`; the built-in passes in `Passes/` are small examples.
public protocol Pass: Sendable {
    /// Lowercase words joined by `-` (`fold-batchnorm`); unique in a `PassRegistry`.
    var name: String { get }
    /// One line for `attend opt --list`.
    var summary: String { get }
    /// Transforms `graph` in place; returns whether anything changed.
    func run(on graph: inout Graph) throws(Diagnostic) -> Bool
}

/// Every pass the pass manager can run by name.
public struct PassRegistry: Sendable {
    public private(set) var passes: [any Pass]

    public init(_ passes: [any Pass]) { self.passes = passes }

    /// The built-in passes.
    public static let standard = PassRegistry([
        RemoveIdentityPass(), SimplifyPass(), FoldBatchNormPass(), ExpandPReLUPass(), FoldConstantsPass(),
        CommonSubexpressionPass(), DeadCodePass(), SchedulePass(), FusePass(),
    ])

    public func pass(named name: String) -> (any Pass)? { passes.first { $0.name == name } }

    public var names: [String] { passes.map(\.name) }

    /// Adds (or replaces, by name) a pass: how users make their own passes available to
    /// pipelines given by name.
    public mutating func register(_ pass: any Pass) {
        passes.removeAll { $0.name == pass.name }
        passes.append(pass)
    }
}
