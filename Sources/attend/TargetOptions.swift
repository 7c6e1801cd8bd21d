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

    /// `--portable` (as `attend compile` has always taken) means `--target portable`.
    func resolved(portable: Bool = false) -> Target {
        if portable { return .portable }
        switch target {
        case .native: return .native()
        case .avx512: return .native(.avx512)
        case .avx2: return .native(.avx2)
        case .portable: return .portable
        }
    }
}
