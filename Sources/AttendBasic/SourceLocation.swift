/// A position in a source file: 1-based line and column (columns count Unicode scalars,
/// as libyaml does), so every diagnostic can point at the node that caused it.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A location for things that come from no file (command-line flags, built-in defaults).
    public static func unknown(_ what: String) -> SourceLocation {
        SourceLocation(file: what, line: 0, column: 0)
    }

    /// The location `offset` scalars further along the same line.
    public func advanced(by offset: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column + offset)
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}
