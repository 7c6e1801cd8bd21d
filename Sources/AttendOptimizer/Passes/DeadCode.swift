import AttendBasic
import AttendIR

/// `dce`: removes nodes whose results nothing reads, and derived parameters nothing binds.
public struct DeadCodePass: Pass {
    public init() {}
    public var name: String { "dce" }
    public var summary: String { "remove nodes whose results are never read, and unused derived parameters" }

    public func run(on graph: inout Graph) throws(Diagnostic) -> Bool {
        graph.removeDeadCode()
    }
}
