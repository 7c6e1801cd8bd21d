import ArgumentParser
import AttendBasic
import AttendCodegen
import Foundation

/// `attend compile`: a model to C sources, the runtime beside them, a standalone executable
/// and a static library.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate C for a model and build a standalone executable and library.")

    enum Emit: String, ExpressibleByArgument { case c }

    @OptionGroup var options: ModelOptions

    @OptionGroup var optimizer: OptimizerOptions

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(help: "What to emit: c.")
    var emit: Emit = .c

    @OptionGroup var targetOptions: TargetOptions

    @Flag(help: "Same as --target portable: build without -march=native, to run on other machines of the same architecture.")
    var portable = false

    @Flag(help: "Write the sources only; do not run the C compiler.")
    var noBuild = false

    @OptionGroup var progress: ProgressOptions

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            let report = progress.reporter
            var graph = try report.step({ () throws(Diagnostic) in try ModelLoading.graph(options) }) {
                Progress.elaborated(options.model, $0)
            }
            try report.step({ () throws(Diagnostic) in try optimizer.optimize(&graph) }) { "optimized to \(graph.nodes.count) ops" }
            let target = targetOptions.resolved(portable: portable)
            let program = try report.step({ () throws(Diagnostic) in try CGenerator.generate(graph, target: target) }) {
                "generated C: \($0.kernelCount) kernels, \($0.source.utf8.count / 1024) KiB"
            }
            let build = try CBuild(target: target)
            try build.write(program, to: output)
            Attend.show("wrote \(output)/\(program.stem).c, \(program.stem).h, \(program.stem)_main.c, \(program.kernelFiles.count) kernel files (\(program.kernelFiles.map(\.name).joined(separator: ", "))) and the runtime")
            guard !noBuild else { return }
            report.starting("building the executable and library with the C compiler")
            let executable = try report.step({ () throws(Diagnostic) in try build.build(program, in: output) }) { _ in "built" }
            Attend.show("built \(executable) and \(output)/lib\(program.stem).a (\(program.kernelCount) kernels, arena \(program.plan.size * 4) bytes)")
        }
    }
}

/// Compiled models cached by a hash of everything that decides the binary.
enum CompiledModelCache {
    static var root: String { BuildCache.root(environmentVariable: "ATTEND_CACHE", folder: "attend") }

    /// The executable for `program`, building it only when no intact build of the same
    /// sources, runtime, compiler and flags exists.
    static func executable(for program: CProgram, build: CBuild) throws(Diagnostic) -> String {
        var hasher = StableHash()
        for text in [program.source, program.header, program.main, build.compiler] + program.kernelFiles.flatMap({ [$0.name, $0.source] }) + build.flags { hasher.add(text) }
        for file in build.runtime { hasher.add(file.name); hasher.add(file.contents) }
        let directory = root + "/" + program.stem + "-" + hasher.hex
        let executable = directory + "/" + program.stem
        BuildCache.removeAbandonedStaging(in: root)
        if FileManager.default.fileExists(atPath: directory) {
            if isIntact(executable) { return executable }
            // Truncated, overwritten or half-deleted: set it aside and build again.
            BuildCache.discard(directory)
        }
        // Build in a private folder, then move it into place, so a failed or concurrent build
        // never leaves a half-written cache entry.
        let staging = BuildCache.staging(for: directory)
        try build.write(program, to: staging)
        try build.build(program, in: staging)
        guard let digest = BuildCache.digest(ofFile: staging + "/" + program.stem),
              FileManager.default.createFile(atPath: staging + "/" + program.stem + digestSuffix, contents: Data(digest.utf8)) else {
            try? FileManager.default.removeItem(atPath: staging)
            throw .error("cannot write the build cache", at: .unknown(directory))
        }
        if !BuildCache.publish(staging, as: directory) {
            guard isIntact(executable) else {
                throw .error("cannot write the build cache", at: .unknown(directory))
            }
        }
        return executable
    }

    static let digestSuffix = ".digest"

    /// The executable exists and its bytes hash to the digest recorded when it was built.
    static func isIntact(_ executable: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: executable),
              let recorded = FileManager.default.contents(atPath: executable + digestSuffix) else { return false }
        return BuildCache.digest(ofFile: executable).map { Data($0.utf8) == recorded } ?? false
    }
}
