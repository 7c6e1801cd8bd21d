/// Spec and IR text files: read as bytes within `Limits.sourceFileBytes` (regular files only,
/// so a FIFO or /dev/zero is an error, not a hang), then decoded as UTF-8 with the first bad
/// byte located by line and column like any other error in the file.
public enum SourceText {
    public static func read(path: String) throws(Diagnostic) -> String {
        try decode(ByteIO.readFile(path, limit: Limits.sourceFileBytes), file: path)
    }

    /// The text, or `FILE:LINE:COL: error:` at the first byte that is not valid UTF-8
    /// (columns count Unicode scalars, as elsewhere).
    public static func decode(_ bytes: [UInt8], file: String) throws(Diagnostic) -> String {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var line = 1, column = 1, offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return String(decoding: bytes, as: UTF8.self)
            case .error:
                let byte = String(bytes[min(offset, bytes.count - 1)], radix: 16, uppercase: true)
                throw .error("the file is not valid UTF-8 text (byte 0x\(byte.count == 1 ? "0" + byte : byte) at byte offset \(offset))",
                             at: SourceLocation(file: file, line: line, column: column))
            }
        }
    }
}
