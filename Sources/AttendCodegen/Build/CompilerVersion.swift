/// What `CC --version` says: which compiler a build runs, for the flags that differ between
/// gcc and clang and for the key of cached objects.
public struct CompilerVersion: Sendable, Hashable {
    /// The whole `--version` output.
    public var text: String

    /// nil when the compiler does not answer `--version` (then it is treated as unknown:
    /// flags every C compiler takes, nothing cached).
    public init?(_ compiler: String) {
        guard let result = try? Subprocess.run(compiler, ["--version"]), result.status == 0 else { return nil }
        text = result.stdout
    }

    public init(text: String) { self.text = text }

    /// GCC (whose `--version` names the Free Software Foundation; clang's names clang).
    public var isGCC: Bool { !text.contains("clang") && text.contains("Free Software Foundation") }
}
