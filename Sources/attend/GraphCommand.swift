import ArgumentParser
import AttendBasic
import AttendIR

/// `attend graph`: prints the IR graph as text or GraphViz.
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the IR graph of a model (text or dot).")

    enum Format: String, ExpressibleByArgument { case text, dot }

    @OptionGroup var options: ModelOptions

    @Option(help: "Output format: text (the parseable IR) or dot (GraphViz; fused groups as colored clusters).")
    var format: Format = .text

    @Flag(help: "Print the graph after the default pipeline (-O2), with fusion groups.")
    var optimized = false

    @OptionGroup var optimizer: OptimizerOptions

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            var graph = try ModelLoading.graph(options)
            if optimized || optimizer.isGiven { try optimizer.optimize(&graph) }
            print(format == .text ? graph.text : graph.dot(groups: graph.fusionGroups), terminator: "")
        }
    }
}
