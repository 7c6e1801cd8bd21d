import Foundation

/// The machine generated code is compiled for: its vector ISA, vector width and register
/// file, and cache sizes. Kernel strategies size their tiles from it; the C build takes its
/// compiler flags from it. Chosen once per compile: `native()` (the build machine, as
/// `-march=native` compiles for it) by default, `portable` for binaries that run on any
/// machine of the architecture.
public struct Target: Hashable, Sendable, CustomStringConvertible {
    public enum ISA: String, Hashable, Sendable, CaseIterable {
        /// AVX-512F: 16 float lanes, 32 vector registers, FMA.
        case avx512
        /// AVX2 with FMA: 8 float lanes, 16 vector registers.
        case avx2
        /// No ISA assumed: 4-lane vectors (SSE2 on x86-64, NEON on arm64, scalar elsewhere),
        /// which every C compiler with GCC vector extensions lowers for its baseline.
        case portable
    }

    public var isa: ISA
    /// Float32 lanes in one vector register.
    public var vectorWidth: Int
    /// Architectural vector registers (register tiles must leave room for operands).
    public var vectorRegisters: Int
    /// Per-core data cache sizes in bytes (tiles of packed operands are sized to fit).
    public var l1Bytes: Int
    public var l2Bytes: Int
    /// Flags the C compiler needs to use the ISA.
    public var compilerFlags: [String]
    /// The kernel strategies that may be chosen, by name (nil: all of them; empty: every op's
    /// direct lowering), to measure what a strategy gains or compare two.
    public var allowedStrategies: Set<String>? = nil

    /// Whether any kernel strategy may be chosen.
    public var usesStrategies: Bool {
        get { allowedStrategies.map { !$0.isEmpty } ?? true }
        set { allowedStrategies = newValue ? nil : [] }
    }

    public init(isa: ISA, vectorWidth: Int, vectorRegisters: Int, l1Bytes: Int, l2Bytes: Int, compilerFlags: [String]) {
        self.isa = isa
        self.vectorWidth = vectorWidth
        self.vectorRegisters = vectorRegisters
        self.l1Bytes = l1Bytes
        self.l2Bytes = l2Bytes
        self.compilerFlags = compilerFlags
    }

    public static let portable = Target(isa: .portable, vectorWidth: 4, vectorRegisters: 16, l1Bytes: 32 << 10, l2Bytes: 256 << 10,
                                        compilerFlags: [])

    /// The target of `isa` for the machine the compiler runs on (`-march=native`).
    public static func native(_ isa: ISA) -> Target {
        let caches = hostCaches()
        switch isa {
        case .avx512:
            return Target(isa: .avx512, vectorWidth: 16, vectorRegisters: 32, l1Bytes: caches.l1, l2Bytes: caches.l2,
                          compilerFlags: ["-march=native"])
        case .avx2:
            return Target(isa: .avx2, vectorWidth: 8, vectorRegisters: 16, l1Bytes: caches.l1, l2Bytes: caches.l2,
                          compilerFlags: ["-march=native"])
        case .portable:
            return Target(isa: .portable, vectorWidth: 4, vectorRegisters: 16, l1Bytes: caches.l1, l2Bytes: caches.l2,
                          compilerFlags: ["-march=native"])
        }
    }

    /// The best target the build machine supports.
    public static func native() -> Target {
        let flags = hostCPUFlags()
        if flags.contains("avx512f") { return native(.avx512) }
        if flags.contains("avx2") && flags.contains("fma") { return native(.avx2) }
        return native(.portable)
    }

    public var description: String {
        "\(isa.rawValue) (\(vectorWidth) lanes, \(vectorRegisters) vector registers)"
    }

    /// CPU feature flags of the build machine (Linux `/proc/cpuinfo`; empty elsewhere, which
    /// selects 4-lane vectors: correct everywhere, fast nowhere in particular).
    static func hostCPUFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// L1d and L2 sizes from sysfs, else common defaults.
    static func hostCaches() -> (l1: Int, l2: Int) {
        func size(_ index: Int) -> Int? {
            let base = "/sys/devices/system/cpu/cpu0/cache/index\(index)/"
            guard let text = try? String(contentsOfFile: base + "size", encoding: .utf8) else { return nil }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.hasSuffix("K"), let k = Int(trimmed.dropLast()) { return k << 10 }
            if trimmed.hasSuffix("M"), let m = Int(trimmed.dropLast()) { return m << 20 }
            return Int(trimmed)
        }
        // index0 is L1d, index2 L2 on Linux x86 (index1 is L1i).
        return (size(0) ?? 32 << 10, size(2) ?? 512 << 10)
    }
}
