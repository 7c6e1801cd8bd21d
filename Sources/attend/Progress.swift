import ArgumentParser
import AttendBasic
import AttendIR
import Foundation

/// Progress lines for long work (`run`, `compile`): what is being built and how long each
/// step took, on stderr so stdout stays the result. Shown when stderr is a terminal (as
/// cargo and git do), or always with --progress; --quiet silences them.
struct ProgressOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print no progress lines.")
    var quiet = false

    @Flag(help: "Print progress lines on stderr even when it is not a terminal (for logs).")
    var progress = false

    var reporter: Progress { Progress(enabled: !quiet && (progress || isatty(STDERR_FILENO) != 0)) }
}

struct Progress {
    let enabled: Bool

    static func elaborated(_ file: String, _ graph: AttendIR.Graph) -> String {
        "elaborated \(file): model '\(graph.name)', \(graph.nodes.count) ops, \(Report.grouped(graph.parameterCount)) parameters"
    }

    /// Announces a step that may take a while (a C build), before it starts.
    func starting(_ what: String) {
        if enabled { Attend.note("attend: \(what)...") }
    }

    /// Runs a step and reports its result and duration: `attend: elaborated ... (0.05 s)`.
    func step<T>(_ body: () throws(Diagnostic) -> T, report: (T) -> String) throws(Diagnostic) -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        if enabled {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            Attend.note("attend: \(report(result)) (\(String(format: "%.2f", seconds)) s)")
        }
        return result
    }
}
