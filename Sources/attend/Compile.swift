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
    static var root: String {
        if let explicit = ProcessInfo.processInfo.environment["ATTEND_CACHE"], !explicit.isEmpty { return explicit }
        let base = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() + "/.cache")
        return base + "/attend"
    }

    /// The executable for `program`, building it only when no intact build of the same
    /// sources, runtime, compiler and flags exists.
    static func executable(for program: CProgram, build: CBuild) throws(Diagnostic) -> String {
        var hasher = StableHash()
        for text in [program.source, program.header, program.main, build.compiler] + program.kernelFiles.flatMap({ [$0.name, $0.source] }) + build.flags { hasher.add(text) }
        for file in build.runtime { hasher.add(file.name); hasher.add(file.contents) }
        let directory = root + "/" + program.stem + "-" + hasher.hex
        let executable = directory + "/" + program.stem
        removeAbandonedStaging()
        if FileManager.default.fileExists(atPath: directory) {
            if isIntact(executable) { return executable }
            // Truncated, overwritten or half-deleted: set it aside (atomically, so a concurrent
            // run never sees a mix) and build again.
            let aside = directory + ".corrupt-\(ProcessInfo.processInfo.processIdentifier)"
            if (try? FileManager.default.moveItem(atPath: directory, toPath: aside)) != nil {
                try? FileManager.default.removeItem(atPath: aside)
            }
        }
        // Build in a private folder, then move it into place, so a failed or concurrent build
        // never leaves a half-written cache entry.
        let staging = directory + stagingMarker + "\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: staging)
        try build.write(program, to: staging)
        try build.build(program, in: staging)
        guard let digest = digest(ofFile: staging + "/" + program.stem),
              FileManager.default.createFile(atPath: staging + "/" + program.stem + digestSuffix, contents: Data(digest.utf8)) else {
            try? FileManager.default.removeItem(atPath: staging)
            throw .error("cannot write the build cache", at: .unknown(directory))
        }
        if (try? FileManager.default.moveItem(atPath: staging, toPath: directory)) == nil {
            try? FileManager.default.removeItem(atPath: staging)
            guard isIntact(executable) else {
                throw .error("cannot write the build cache", at: .unknown(directory))
            }
        }
        return executable
    }

    static let stagingMarker = ".tmp-"
    static let digestSuffix = ".digest"

    /// The executable exists and its bytes hash to the digest recorded when it was built.
    static func isIntact(_ executable: String) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: executable),
              let recorded = FileManager.default.contents(atPath: executable + digestSuffix) else { return false }
        return digest(ofFile: executable).map { Data($0.utf8) == recorded } ?? false
    }

    static func digest(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var hasher = StableHash()
        hasher.add(data)
        return hasher.hex
    }

    /// Staging folders (`NAME.tmp-PID`) whose build was killed: the process is gone, or the
    /// folder is a day old (the number may belong to a new process by now).
    static func removeAbandonedStaging() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names {
            guard let marker = name.range(of: stagingMarker, options: .backwards),
                  let pid = Int32(name[marker.upperBound...]), pid != ProcessInfo.processInfo.processIdentifier else { continue }
            let path = root + "/" + name
            let age = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date).map { -$0.timeIntervalSinceNow } ?? 0
            let alive = kill(pid, 0) == 0 || errno == EPERM
            if !alive || age > 86_400 { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}

/// FNV-1a, 128 bits as two 64-bit lanes: a stable content hash for cache keys.
struct StableHash {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x8422_2325_cbf2_9ce4

    mutating func add(_ text: String) { add(Data(text.utf8)); add(Data([0])) }

    mutating func add(_ data: Data) {
        for byte in data {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0001_0000_01b3 ^ (b >> 29)
        }
    }

    var hex: String { String(a, radix: 16) + String(b, radix: 16) }
}
