import ArgumentParser
import AttendBasic
import Foundation

/// The `attend` command line: thin glue over the pipeline stages.
@main
struct Attend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attend",
        abstract: "Compile and run computer-vision attention networks described in YAML.",
        subcommands: [Check.self, Run.self, Compile.self, Export.self, Bench.self, Graph.self, Opt.self, Ops.self, Schema.self])

    /// Runs a command body; user errors become one located line on stderr and exit status 1.
    static func reporting(_ body: () throws(Diagnostic) -> Void) throws {
        do {
            try body()
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
    }

    /// `--threads` for either backend, checked before any work (the C build included), in the
    /// compiled executable's words (Sources/AttendRuntime/standalone.c).
    static func checkThreads(_ threads: Int) throws(Diagnostic) {
        guard (1...Limits.threads).contains(threads) else {
            throw .error("invalid value '\(threads)' for --threads (expected an integer from 1 to \(Limits.threads))", at: .unknown("--threads"))
        }
    }

    /// Prints a human-readable report that quotes names from the spec or from files (layer,
    /// input and model names, paths): each line's control characters are escaped as in
    /// diagnostics, so no name can move the cursor, retitle the window or clear the screen.
    static func show(_ text: String) {
        print(text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).escapingControlCharacters() }.joined(separator: "\n"))
    }
}

/// Options every command that reads a model shares.
struct ModelOptions: ParsableArguments {
    @Argument(help: "The model spec (YAML).")
    var model: String

    @Option(name: .customLong("set"), help: "Override a model param: --set width=32 (repeatable).")
    var settings: [String] = []

    @Option(help: "For a block library file: the block to use (run on its `example:` inputs).")
    var block: String?

    func overrides() throws(Diagnostic) -> [String: String] {
        var result: [String: String] = [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw .error("--set expects NAME=VALUE, got '\(setting)'", at: .unknown("--set"))
            }
            result[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
        }
        return result
    }
}
