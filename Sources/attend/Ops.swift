import ArgumentParser
import AttendBasic
import AttendIR

/// `attend ops`: the primitive ops with their arguments and defaults.
struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the primitive ops, their arguments and defaults.")

    enum Format: String, ExpressibleByArgument { case text, markdown }

    @Argument(help: "Show only these ops.")
    var names: [String] = []

    @Option(help: "text, or markdown (the reference in Grammar/ops.md).")
    var format: Format = .text

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            for name in names where OpRegistry.op(named: name) == nil {
                throw .error("unknown op '\(name)'\(didYouMean(name, in: OpRegistry.names))", at: .unknown("attend ops"))
            }
            print(format == .markdown ? OpReference.markdown() : OpReference.text(only: names), terminator: "")
        }
    }
}
