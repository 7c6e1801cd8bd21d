import AttendBasic
import Foundation

/// Builds generated C with the system compiler: writes the model's sources beside the
/// bundled runtime's, compiles them (`$CC`, else `cc`; each file at its level: -O3 for
/// run-time kernels, -O2 for the runtime, -O0 for create/run, -O0 or -O1 for load-time kernels),
/// as many at once as the machine has cores, and links the standalone executable
/// `DIR/<stem>` and the library `DIR/lib<stem>.a`. The runtime's objects are compiled
/// once per compiler, flags and runtime sources and then taken from the `RuntimeCache`.
public struct CBuild: Sendable {
    public var compiler: String
    public var flags: [String]
    /// The runtime's headers and sources, read once per build.
    public let runtime: [(name: String, contents: Data)]

    /// Flags every build passes: C11 (whose default `-ffp-contract=off` would forbid FMA, so
    /// contraction is turned on: `a * b + c` becomes one fused multiply-add where the target
    /// has it, which only ever removes a rounding) and OpenMP SIMD pragmas.
    public static let languageFlags = ["-std=c11", "-ffp-contract=fast", "-fopenmp-simd"]

    /// A build for `target` (its ISA flags, e.g. `-march=native`), each file at its own
    /// optimization level (flags with an `-O` level of their own set every file's).
    public init(target: Target, extraFlags: [String] = []) throws(Diagnostic) {
        compiler = try Self.findCompiler()
        runtime = try Self.runtimeFiles()
        flags = Self.languageFlags + target.compilerFlags + extraFlags
    }

    /// The runtime sources: `$ATTEND_RUNTIME`, else `Sources/AttendRuntime` next to the build.
    public static func runtimeRoot() throws(Diagnostic) -> String {
        guard let root = locateBundledFolder("Sources/AttendRuntime", marker: "include/attend_runtime.h",
                                             environmentVariable: "ATTEND_RUNTIME") else {
            throw .error("cannot find the Attend C runtime (Sources/AttendRuntime); set ATTEND_RUNTIME", at: .unknown("attend"))
        }
        return root
    }

    /// The runtime's files (headers and sources), by file name, in a stable order.
    public static func runtimeFiles() throws(Diagnostic) -> [(name: String, contents: Data)] {
        let root = try runtimeRoot()
        var files: [(String, Data)] = []
        for folder in [root, root + "/include"] {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".c") || $0.hasSuffix(".h") }
            for name in names.sorted() {
                guard let data = FileManager.default.contents(atPath: folder + "/" + name) else {
                    throw .error("cannot read runtime file", at: .unknown(folder + "/" + name))
                }
                files.append((name, data))
            }
        }
        return files
    }

    static func findCompiler() throws(Diagnostic) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let cc = environment["CC"], !cc.isEmpty {
            guard let path = which(cc) else { throw .error("the C compiler \(cc) (from $CC) was not found", at: .unknown("$CC")) }
            return path
        }
        for candidate in ["cc", "clang", "gcc"] { if let path = which(candidate) { return path } }
        throw .error("no C compiler found: install cc (gcc or clang) or set $CC", at: .unknown("attend"))
    }

    static func which(_ program: String) -> String? {
        if program.contains("/") { return FileManager.default.isExecutableFile(atPath: program) ? program : nil }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The runtime's sources go in this subfolder of an output folder, so no model name can
    /// collide with a runtime file.
    public static let runtimeFolder = "attend_runtime"

    /// Writes the program into `directory` (created if needed) and the runtime beside it.
    public func write(_ program: CProgram, to directory: String) throws(Diagnostic) {
        let runtimeDirectory = directory + "/" + Self.runtimeFolder
        do {
            try FileManager.default.createDirectory(atPath: runtimeDirectory, withIntermediateDirectories: true)
        } catch {
            throw .error("cannot create folder: \(error.localizedDescription)", at: .unknown(directory))
        }
        var files: [(String, Data)] = [("\(program.stem).c", Data(program.source.utf8)), ("\(program.stem).h", Data(program.header.utf8)),
                                       ("\(program.stem)_main.c", Data(program.main.utf8))]
        files += program.kernelFiles.map { ($0.name, Data($0.source.utf8)) }
        files += runtime.map { (Self.runtimeFolder + "/" + $0.name, $0.contents) }
        for (name, data) in files {
            let path = directory + "/" + name
            guard FileManager.default.createFile(atPath: path, contents: data) else { throw .error("cannot write file", at: .unknown(path)) }
        }
    }

    /// Compiles and links: returns the executable's path. Without `runtimeLibrary`, the
    /// runtime is compiled too (or taken from the `RuntimeCache`) and `lib<stem>.a` holds
    /// model and runtime (standalone); with one (a `buildRuntime` archive, for tests that
    /// build many models), only the model is compiled. Compiler failures are diagnostics
    /// with the compiler's first error lines.
    @discardableResult
    public func build(_ program: CProgram, in directory: String, runtimeLibrary: String? = nil) throws(Diagnostic) -> String {
        let version = CompilerVersion(compiler)
        // Create/run code runs once or glues kernels together (a call per kernel, tables):
        // unoptimized, it compiles in half the time -O1 takes (0.16 s against 0.31 s of CPU
        // for cbam_resnet's 200 KB with gcc 12) and costs nanoseconds per kernel call.
        // Kernel files carry their level.
        var sources = [Compilation(source: "\(program.stem).c", level: ["-O0"], costPerByte: 1)]
            + program.kernelFiles.map {
                Compilation(source: $0.name, level: $0.optimization.flags(for: version), costPerByte: $0.optimization == .loadTime ? 2 : 5)
            }
        let modelCount = sources.count
        var runtimeObjects: [String] = []
        var cache: RuntimeCache?
        if runtimeLibrary == nil {
            let runtimeSources = runtimeCompilations
            cache = version.flatMap { RuntimeCache(compiler: compiler, version: $0, arguments: arguments(level: Self.runtimeLevel), runtime: runtime) }
            if let cached = cache?.objects(for: runtimeSources.map(\.source)) {
                runtimeObjects = runtimeSources.compactMap { cached[$0.source] }
                cache = nil
            } else {
                sources += runtimeSources
            }
        }
        let objects = try compileAll(sources, in: directory)
        if let cache {
            cache.store(Dictionary(uniqueKeysWithValues: zip(sources[modelCount...].map(\.source), objects[modelCount...])))
        }
        let library = directory + "/lib\(program.stem).a"
        try archive(objects + runtimeObjects, as: library, removing: objects)
        let executable = directory + "/" + program.stem
        try run(compiler, flags + ["-I", directory + "/" + Self.runtimeFolder, directory + "/\(program.stem)_main.c", library]
                + (runtimeLibrary.map { [$0] } ?? []) + ["-lm", "-lpthread", "-o", executable])
        return executable
    }

    /// The runtime alone as `DIR/libattend_runtime.a` (its files must be written in
    /// `DIR/attend_runtime`, as `write` does).
    public func buildRuntime(in directory: String) throws(Diagnostic) -> String {
        let objects = try compileAll(runtimeCompilations, in: directory)
        let library = directory + "/libattend_runtime.a"
        try archive(objects, as: library, removing: objects)
        return library
    }

    /// The runtime's level: its thread pool runs on every inference.
    static let runtimeLevel = ["-O2"]

    /// The runtime's C files, as paths relative to an output folder.
    var runtimeCompilations: [Compilation] {
        runtime.map(\.name).filter { $0.hasSuffix(".c") }.map { Compilation(source: Self.runtimeFolder + "/" + $0, level: Self.runtimeLevel, costPerByte: 4) }
    }

    /// One file to compile, at `level` (flags), with its compile time per byte relative to
    /// the others' (measured with gcc 12 on cbam_resnet: about 10 us per byte for kernels
    /// and bulk load-time kernels, 4 for load-time kernels at -O0, under 1 for the create/run
    /// file at -O0, mostly tables, counted as the least there is).
    struct Compilation: Sendable {
        var source: String
        var level: [String]
        var costPerByte: Int
    }

    /// The compiler's arguments but for the file names: the build's flags, and `level` unless
    /// the flags name one.
    private func arguments(level: [String]) -> [String] {
        flags + (flags.contains { $0.hasPrefix("-O") } ? [] : level)
    }

    private func compile(_ file: Compilation, in directory: String) throws(Diagnostic) -> String {
        let object = directory + "/" + String(file.source.dropLast(2)) + ".o"
        try run(compiler, arguments(level: file.level) + ["-I", directory + "/" + Self.runtimeFolder, "-c", directory + "/" + file.source, "-o", object])
        return object
    }

    /// Compiles every source, as many at once as there are cores; the objects in the order
    /// of `sources`, or the first failure's diagnostic. The most expensive files start first
    /// and each core takes the next file when it is done, so the cores finish together.
    private func compileAll(_ sources: [Compilation], in directory: String) throws(Diagnostic) -> [String] {
        let results = ResultBox(count: sources.count)
        let costs = sources.map { Self.cost($0, in: directory) }
        let queue = WorkQueue(sources.indices.sorted { costs[$0] > costs[$1] })
        let lanes = max(1, min(sources.count, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: lanes) { _ in
            while let index = queue.next() {
                let result: Result<String, Diagnostic>
                do throws(Diagnostic) {
                    result = .success(try compile(sources[index], in: directory))
                } catch {
                    result = .failure(error)
                }
                results.set(index, result)
            }
        }
        return try results.values.map { result throws(Diagnostic) in try result!.get() }
    }

    /// A file's expected compile time, relative to the others'.
    static func cost(_ file: Compilation, in directory: String) -> Int {
        let size = ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + file.source))?[.size] as? Int) ?? 0
        return size * file.costPerByte
    }

    /// Archives `objects` as `library`, then deletes `removing` (the build's own objects).
    private func archive(_ objects: [String], as library: String, removing: [String]) throws(Diagnostic) {
        try? FileManager.default.removeItem(atPath: library)
        try run(Self.which("ar") ?? "/usr/bin/ar", ["rcs", library] + objects)
        for object in removing { try? FileManager.default.removeItem(atPath: object) }
    }

    func run(_ tool: String, _ arguments: [String]) throws(Diagnostic) {
        let result = try Subprocess.run(tool, arguments)
        guard result.status == 0 else {
            let detail = result.stderr.split(separator: "\n").prefix(3).joined(separator: " | ")
            throw .error("\((tool as NSString).lastPathComponent) failed (exit \(result.status)): \(detail)", at: .unknown(arguments.last ?? tool))
        }
    }
}

/// Running a program and capturing its output.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public static func run(_ executable: String, _ arguments: [String]) throws(Diagnostic) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw .error("cannot run \(executable): \(error.localizedDescription)", at: .unknown(executable))
        }
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let errorBox = DataBox()
        let done = DispatchSemaphore(value: 0)
        let errorHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            errorBox.data = errorHandle.readDataToEndOfFile()
            done.signal()
        }
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        let errorData = errorBox.data
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                      stderr: String(decoding: errorData, as: UTF8.self))
    }
}

/// Results written by concurrent compiles, each to its own slot, under a lock.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<String, Diagnostic>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Result<String, Diagnostic>) { lock.withLock { slots[index] = value } }
    var values: [Result<String, Diagnostic>?] { lock.withLock { slots } }
}

/// Indices handed out one at a time to concurrent workers.
private final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: ArraySlice<Int>
    init(_ order: [Int]) { pending = order[...] }
    func next() -> Int? { lock.withLock { pending.popFirst() } }
}

/// Holds bytes read on another thread; the semaphore orders the write before the read.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
