import ArgumentParser
import AttendBasic
import AttendIR

/// `attend graph`: prints the IR graph as text or GraphViz.
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the IR graph of a model (text or dot).")

    enum Format: String, ExpressibleByArgument { case text, dot }

    @OptionGroup var options: ModelOptions

    @Option(help: "Output format: text (the parseable IR) or dot (GraphViz).")
    var format: Format = .text

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            let graph = try ModelLoading.graph(options)
            print(format == .text ? graph.text : graph.dot(), terminator: "")
        }
    }
}
