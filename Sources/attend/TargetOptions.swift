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
        return resolved
    }
}
