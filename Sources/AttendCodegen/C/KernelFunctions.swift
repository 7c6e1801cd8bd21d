/// The kernel functions of a program: a kernel whose code is the same as an earlier one's
/// but for its name and comment (the same op on the same shapes: a block repeated in a
/// stage, batchnorms folded into weights of the same size) calls the earlier function, so
/// the C compiler compiles each distinct kernel once.
///
/// Kernels are printed into their own source files (`files`), apart from the model's
/// create/run code, so the C compiler can build them in parallel and at the optimization
/// level each needs; each is then an external function named with the model's stem, so two
/// models linked into one program cannot collide.
struct KernelFunctions {
    /// When a kernel runs: on every inference, or once while the model loads (derived
    /// parameters), where compile time matters more than a few microseconds.
    enum Phase: Sendable { case run, load }

    let printer: CPrinter
    /// Prepended to every kernel's name (`<stem>_`).
    let prefix: String
    private(set) var printed: [(code: String, prototype: String, optimization: CSourceFile.Optimization)] = []
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
        printed.append((printer.kernel(named, external: true), printer.prototype(named), Self.optimization(of: kernel, phase: phase)))
        return named.name
    }

    /// How hard the C compiler works on `kernel`.
    static func optimization(of kernel: Kernel, phase: Phase) -> CSourceFile.Optimization {
        switch phase {
        case .run: .run
        case .load: kernel.parameters.allSatisfy { $0.count <= smallLoadElements } ? .loadTime : .loadTimeBulk
        }
    }

    /// Load-time kernels on buffers of at most this many floats (the per-channel vectors of a
    /// batchnorm fold, small weights) run in microseconds even unoptimized.
    static let smallLoadElements = 16_384

    /// Prototypes of every printed kernel, for the file that calls them.
    var prototypes: [String] { printed.map(\.prototype) }

    /// Source files in printing order: for each optimization level, its kernels in parts of
    /// about `partSize` characters (at most `maxParts`). `preamble` (includes and helpers)
    /// starts every file.
    func files(stem: String, preamble: String, partSize: Int = 40_000, maxParts: Int = 8) -> [CSourceFile] {
        var files: [CSourceFile] = []
        for optimization in CSourceFile.Optimization.allCases {
            let codes = printed.filter { $0.optimization == optimization }.map(\.code)
            let total = codes.reduce(0) { $0 + $1.utf8.count }
            let parts = max(1, min(maxParts, total / partSize))
            var part: [String] = [], size = 0, closed = 0
            for (position, code) in codes.enumerated() {
                part.append(code)
                size += code.utf8.count
                // Close a part once the parts so far hold their share of the whole.
                if size * parts >= total * (closed + 1) || position == codes.count - 1 {
                    let name = "\(stem)_\(optimization.fileStem)\(parts > 1 ? String(closed) : "").c"
                    files.append(CSourceFile(name: name, source: ([preamble] + part).joined(separator: "\n"), optimization: optimization))
                    part = []
                    closed += 1
                }
            }
        }
        return files
    }
}

/// A C source file of a generated program besides `<stem>.c`.
public struct CSourceFile: Sendable, Hashable {
    /// How hard the C compiler works on a file: run-time kernels at -O3, or with gcc at -O2
    /// with -O3's vectorizer cost model (measured: plain -O2 leaves the im2col copies of
    /// strided convolutions scalar, 1.3x slower; with the cost model the executables run as
    /// fast as at -O3 and the kernels compile in two thirds of the time). Load-time kernels
    /// run once: those on small buffers (per-channel vectors, the most numerous) at -O0,
    /// those on whole weights (folds, packing, Winograd filters) at -O1, which loads a
    /// ResNet-50 in half the time -O0 takes. With gcc, predictive commoning is turned off
    /// explicitly: at -O2 (not at -O3), gcc 12 keeps the pixels one kernel column of a
    /// direct convolution shares with the next in registers, turning each broadcast from
    /// memory (a load) into a broadcast from a register, which takes a slot of an FMA pipe
    /// (8 of a step's 24 vector operations on the 7x7 stride-2 stem, which runs in 0.84x
    /// the time without it). And gcc allocates registers over all regions of a function
    /// (`-fira-region=all`): by default it spilled a B vector of 8x3 and 12x2 GEMM tiles (28
    /// or 27 of the 32 registers) to the stack inside the FMA loop, depending on what code
    /// followed the loop (1.2x slower on a 1x1 256->64 convolution at 56x56).
    public enum Optimization: Sendable, Hashable, CaseIterable {
        case run, loadTime, loadTimeBulk

        /// The flags for a compiler (unknown: nil).
        public func flags(for compiler: CompilerVersion?) -> [String] {
            switch self {
            case .run: compiler?.isGCC == true ? ["-O2", "-fvect-cost-model=dynamic", "-fno-predictive-commoning", "-fira-region=all"] : ["-O3"]
            case .loadTime: ["-O0"]
            case .loadTimeBulk: ["-O1"]
            }
        }

        var fileStem: String {
            switch self {
            case .run: "kernels"
            case .loadTime: "load"
            case .loadTimeBulk: "load_bulk"
            }
        }
    }

    public var name: String
    public var source: String
    public var optimization: Optimization
}
