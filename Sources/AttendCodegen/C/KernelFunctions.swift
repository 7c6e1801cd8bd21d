/// The kernel functions of a program: a kernel whose code is the same as an earlier one's
/// but for its name and comment (the same op on the same shapes: a block repeated in a
/// stage, batchnorms folded into weights of the same size) calls the earlier function, so
/// the C compiler compiles each distinct kernel once.
///
/// Kernels are printed into their own source files (`files`), apart from the model's
/// create/run code, so the C compiler can build them in parallel and at the optimization
/// level their phase needs; each is then an external function named with the model's stem,
/// so two models linked into one program cannot collide.
struct KernelFunctions {
    /// When a kernel runs: on every inference, or once while the model loads (derived
    /// parameters), where compile time matters more than a few microseconds.
    enum Phase: Sendable { case run, load }

    let printer: CPrinter
    /// Prepended to every kernel's name (`<stem>_`).
    let prefix: String
    private(set) var printed: [(code: String, prototype: String, phase: Phase)] = []
    private var nameByCode: [String: String] = [:]

    init(printer: CPrinter, prefix: String) {
        self.printer = printer
        self.prefix = prefix
    }

    /// The name of the function that computes `kernel`, printing it if it is new.
    mutating func function(for kernel: Kernel, phase: Phase) -> String {
        var anonymous = kernel
        anonymous.name = "attend_kernel"
        anonymous.comment = ""
        let code = printer.kernel(anonymous)
        if let name = nameByCode[code] { return name }
        var named = kernel
        named.name = prefix + kernel.name
        nameByCode[code] = named.name
        printed.append((printer.kernel(named, external: true), printer.prototype(named), phase))
        return named.name
    }

    /// Prototypes of every printed kernel, for the file that calls them.
    var prototypes: [String] { printed.map(\.prototype) }

    /// Source files of about `partSize` characters each, in printing order: the run-time
    /// kernels in as many parts as their size asks (at most `maxParts`), then the load-time
    /// ones in one file. `preamble` (includes and helpers) starts every file.
    func files(stem: String, preamble: String, partSize: Int = 40_000, maxParts: Int = 8) -> [CSourceFile] {
        var files: [CSourceFile] = []
        let run = printed.filter { $0.phase == .run }.map(\.code)
        let total = run.reduce(0) { $0 + $1.utf8.count }
        let parts = max(1, min(maxParts, total / partSize))
        var part: [String] = [], size = 0
        for (position, code) in run.enumerated() {
            part.append(code)
            size += code.utf8.count
            // Close a part once the parts so far hold their share of the whole.
            if size * parts >= total * (files.count + 1) || position == run.count - 1 {
                files.append(CSourceFile(name: "\(stem)_kernels\(files.count).c", source: ([preamble] + part).joined(separator: "\n"), phase: .run))
                part = []
            }
        }
        let load = printed.filter { $0.phase == .load }.map(\.code)
        if !load.isEmpty {
            files.append(CSourceFile(name: "\(stem)_load.c", source: ([preamble] + load).joined(separator: "\n"), phase: .load))
        }
        return files
    }
}

/// A C source file of a generated program besides `<stem>.c`.
public struct CSourceFile: Sendable, Hashable {
    public var name: String
    public var source: String
    /// Load-time code builds at a lower optimization level.
    public var isLoadTime: Bool

    init(name: String, source: String, phase: KernelFunctions.Phase) {
        self.name = name
        self.source = source
        isLoadTime = phase == .load
    }
}
