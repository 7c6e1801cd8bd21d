import ArgumentParser
import AttendBasic
import AttendFrontend

/// `attend blocks`: the standard library's blocks with their arguments and defaults.
struct Blocks: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the library blocks: category, PyTorch module, arguments, defaults.")

    enum Format: String, ExpressibleByArgument { case text, markdown }

    @Argument(help: "Show only these blocks.")
    var names: [String] = []

    @Option(help: "text, or markdown (the reference in Grammar/blocks.md).")
    var format: Format = .text

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            let library = try ModelLoading.frontend().standardLibrary
            for name in names where library.block(named: name) == nil {
                throw .error("unknown block '\(name)'\(didYouMean(name, in: library.blocks.keys))", at: .unknown("attend blocks"))
            }
            print(format == .markdown ? BlockReference.markdown(library) : BlockReference.text(library, only: names), terminator: "")
        }
    }
}
