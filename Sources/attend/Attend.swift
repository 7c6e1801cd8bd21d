import ArgumentParser
import AttendBasic
import AttendIR
import Foundation

/// The `attend` command line: thin glue over the pipeline stages.
@main
struct Attend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attend",
        abstract: "Compile and run computer-vision attention networks described in YAML.",
        subcommands: [Check.self, Run.self, Compile.self, Export.self, Bench.self, Graph.self, Opt.self, Ops.self, Blocks.self, Schema.self])

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
    /// A progress or report line on stderr, escaped as `show` escapes (stdout stays the result).
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text.escapingControlCharacters() + "\n").utf8))
    }

    static func show(_ text: String) {
        print(text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String($0).escapingControlCharacters() }.joined(separator: "\n"))
    }
}

/// Where parameter values come from: a checkpoint, how its keys map to the model's.
struct WeightOptions: ParsableArguments {
    @Option(help: "Weights in safetensors format, named like the PyTorch state_dict.")
    var weights: String?

    @Option(help: ArgumentHelp("Rename checkpoint keys that start with OLD to start with NEW instead (OLD alone strips it: --weights-prefix module.); repeatable, first match wins.", valueName: "OLD[=NEW]"))
    var weightsPrefix: [String] = []

    @Flag(inversion: .prefixedNo, help: "Require every parameter and only parameters in --weights, as load_state_dict(strict=True); --no-strict skips unexpected keys and keeps missing parameters at their seeded values, listing both on stderr.")
    var strict = true

    func mapping() throws(Diagnostic) -> WeightMapping {
        var rules: [(from: String, to: String)] = []
        for rule in weightsPrefix {
            let parts = rule.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let from = parts.first, !from.isEmpty else {
                throw .error("--weights-prefix expects OLD or OLD=NEW with OLD not empty, got '\(rule.escapingControlCharacters())'", at: .unknown("--weights-prefix"))
            }
            rules.append((String(from), parts.count > 1 ? String(parts[1]) : ""))
        }
        return WeightMapping(prefixes: rules, strict: strict)
    }

    /// The checkpoint as the compiled program may read it itself (no renaming, strict).
    var rawFile: String? { weightsPrefix.isEmpty && strict ? weights : nil }
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
