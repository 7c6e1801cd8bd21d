import ArgumentParser
import AttendCodegen

/// The machine generated code is built for (`--target`), shared by the commands that
/// generate C.
struct TargetOptions: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case native, avx512, avx2, portable
    }

    @Option(help: "Code generation target: native (this machine's best ISA, -march=native), avx512, avx2, or portable (no ISA flags: 4-lane vectors, runs on any machine of the architecture).")
    var target: Choice = .native

    @Flag(help: "Use every op's direct lowering, no kernel strategies (to measure what they gain).")
    var directOnly = false

    @Option(help: "Allow only these kernel strategies, comma-separated (\(KernelStrategies.names.joined(separator: ", "))); nodes the others would take use the next allowed one or their direct lowering (to compare strategies).")
    var strategies: String?

    func validate() throws {
        guard let strategies else { return }
        if directOnly { throw ValidationError("--strategies and --direct-only exclude each other") }
        for name in Self.names(strategies) where !KernelStrategies.names.contains(name) {
            throw ValidationError("unknown kernel strategy '\(name)' in --strategies; known: \(KernelStrategies.names.joined(separator: ", "))")
        }
    }

    static func names(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `--portable` (as `attend compile` has always taken) means `--target portable`.
    func resolved(portable: Bool = false) -> Target {
        var resolved: Target
        switch portable ? .portable : target {
        case .native: resolved = .native()
        case .avx512: resolved = .native(.avx512)
        case .avx2: resolved = .native(.avx2)
        case .portable: resolved = .portable
        }
        resolved.usesStrategies = !directOnly
        if let strategies { resolved.allowedStrategies = Set(Self.names(strategies)) }
        return resolved
    }
}
