/// NumPy's `.npy` format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
/// the magic `\x93NUMPY`, a version, a little-endian header length, a Python dict literal
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a
/// newline, then the raw array data.
///
/// Reading accepts versions 1.0, 2.0 and 3.0, C-order arrays of little-endian float32
/// (`<f4`) or float64 (`<f8`, rounded to float32). Everything else (other dtypes,
/// big-endian, Fortran order, a header that disagrees with the data) is a one-line
/// `Diagnostic` naming the file. Writing produces exactly the bytes `numpy.save` does for
/// a C-contiguous float32 array.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // \x93NUMPY
    /// numpy aligns the start of the data to this many bytes.
    static let alignment = 64
    /// numpy leaves room to rewrite the first axis in place with this many digits.
    static let growthAxisMaxDigits = 21
    /// Headers beyond this are refused rather than parsed (numpy itself refuses > 10000 by default).
    static let maxHeaderLength = Limits.npyHeaderBytes

    public static func read(path: String) throws(Diagnostic) -> Tensor {
        let bytes = try ByteIO.readFile(path)
        return try decode(bytes, source: path)
    }

    public static func write(_ tensor: Tensor, to path: String) throws(Diagnostic) {
        try ByteIO.writeFile(encode(tensor), to: path)
    }

    /// Decodes an `.npy` image; `source` names it in diagnostics (`SOURCE: error: ...`).
    public static func decode(_ bytes: [UInt8], source: String) throws(Diagnostic) -> Tensor {
        func fail(_ message: String) -> Diagnostic { .error(message, at: .unknown(source)) }

        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            if !bytes.isEmpty, bytes.count < magic.count, Array(magic[0..<bytes.count]) == bytes {
                throw fail("truncated NPY file: \(bytes.count) bytes, too short for a header")
            }
            throw fail("not an NPY file (bad magic: expected '\\x93NUMPY')")
        }
        guard bytes.count >= 8 else { throw fail("truncated NPY file: \(bytes.count) bytes, too short for a header") }
        let major = bytes[6], minor = bytes[7]
        let lengthWidth: Int
        switch (major, minor) {
        case (1, 0): lengthWidth = 2
        case (2, 0), (3, 0): lengthWidth = 4
        default: throw fail("unsupported NPY format version \(major).\(minor) (expected 1.0, 2.0 or 3.0)")
        }
        guard let rawLength = ByteIO.uint(bytes, at: 8, width: lengthWidth) else {
            throw fail("truncated NPY file: \(bytes.count) bytes, too short for a header")
        }
        let headerStart = 8 + lengthWidth
        guard rawLength <= UInt64(maxHeaderLength) else {
            throw fail("NPY header length \(rawLength) is too large (limit \(maxHeaderLength) bytes)")
        }
        let headerLength = Int(rawLength)
        guard bytes.count - headerStart >= headerLength else {
            throw fail("truncated NPY header: it claims \(headerLength) bytes but the file has only \(bytes.count - headerStart) after the length")
        }
        let dataStart = headerStart + headerLength
        let header = Array(bytes[headerStart..<dataStart])

        let literal: PythonLiteral
        do {
            literal = try PythonLiteral.parse(header, utf8: major >= 3)
        } catch {
            throw fail("malformed NPY header (\(error.reason))")
        }
        guard case .dict(let items) = literal else {
            throw fail("malformed NPY header: expected a dict, found \(ByteIO.clip(literal.repr))")
        }
        var fields: [String: PythonLiteral] = [:]
        for (key, value) in items {
            guard fields[key] == nil else { throw fail("malformed NPY header: duplicate key '\(ByteIO.clip(key, limit: 20))'") }
            guard ["descr", "fortran_order", "shape"].contains(key) else {
                throw fail("malformed NPY header: unexpected key '\(ByteIO.clip(key, limit: 20))' (expected 'descr', 'fortran_order', 'shape')")
            }
            fields[key] = value
        }
        for key in ["descr", "fortran_order", "shape"] where fields[key] == nil {
            throw fail("malformed NPY header: missing key '\(key)'")
        }

        // dtype
        let kind: ByteIO.FloatKind
        switch fields["descr"] {
        case .string("<f4")?: kind = .float32
        case .string("<f8")?: kind = .float64
        case .string(let descr)?:
            let quoted = "'\(ByteIO.clip(descr, limit: 20))'"
            if descr == ">f4" || descr == ">f8" {
                throw fail("unsupported dtype \(quoted): big-endian data is not supported (expected float32 '<f4')")
            }
            throw fail("unsupported dtype \(quoted) (expected float32 '<f4')")
        case let other?:
            throw fail("unsupported dtype \(ByteIO.clip(other.repr)): structured arrays are not supported (expected float32 '<f4')")
        case nil:
            throw fail("malformed NPY header: missing key 'descr'")
        }

        // layout
        switch fields["fortran_order"] {
        case .bool(false)?: break
        case .bool(true)?:
            throw fail("Fortran-order arrays are not supported (save a C-order array, e.g. numpy.ascontiguousarray)")
        default:
            throw fail("malformed NPY header: 'fortran_order' must be True or False")
        }

        // shape
        guard case .tuple(let dims)? = fields["shape"] else {
            throw fail("malformed NPY header: 'shape' must be a tuple of non-negative integers, found \(ByteIO.clip(fields["shape"]?.repr ?? "nothing"))")
        }
        guard dims.count <= Limits.fileRank else {
            throw fail("malformed NPY header: 'shape' has more than \(Limits.fileRank) dimensions")
        }
        var shape: [Int] = []
        for dim in dims {
            guard case .int(let n) = dim, n >= 0 else {
                throw fail("malformed NPY header: 'shape' must be a tuple of non-negative integers, found \(ByteIO.clip(PythonLiteral.tuple(dims).repr))")
            }
            shape.append(n)
        }
        guard let count = ByteIO.elementCount(shape) else {
            throw fail("NPY shape \(ByteIO.clip(formatShape(shape))) is too large")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: kind.byteWidth)
        guard !overflow else { throw fail("NPY shape \(ByteIO.clip(formatShape(shape))) is too large") }

        // data
        let available = bytes.count - dataStart
        let descr = kind == .float32 ? "'<f4'" : "'<f8'"
        if available < needed {
            throw fail("truncated NPY data: shape \(ByteIO.clip(formatShape(shape))) of \(descr) needs \(needed) bytes, the file has \(available)")
        }
        if available > needed {
            throw fail("NPY data size does not match the header: shape \(ByteIO.clip(formatShape(shape))) of \(descr) needs \(needed) bytes, the file has \(available)")
        }
        guard let data = ByteIO.floats(bytes, at: dataStart, count: count, kind: kind) else {
            throw fail("truncated NPY data") // unreachable: sizes were checked above
        }
        return Tensor(shape: shape, data: data)
    }

    /// The bytes `numpy.save` writes for this array as float32: version 1.0 (2.0 only if the
    /// header would not fit), `'<f4'`, C order, data starting at a multiple of 64 bytes.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        let shape = tensor.shape
        let shapeRepr: String
        switch shape.count {
        case 0: shapeRepr = "()"
        case 1: shapeRepr = "(\(shape[0]),)"
        default: shapeRepr = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeRepr), }"
        if let first = shape.first {
            dict += String(repeating: " ", count: max(0, growthAxisMaxDigits - String(first).count))
        }
        let text = Array(dict.utf8)

        // numpy: padlen = 64 - ((magic + length field + len(header) + 1) % 64), then '\n'.
        func wrapped(lengthWidth: Int) -> (prefixLength: Int, headerLength: Int) {
            let unpadded = text.count + 1
            let pad = alignment - (magic.count + 2 + lengthWidth + unpadded) % alignment
            return (magic.count + 2 + lengthWidth, unpadded + pad)
        }
        var version: UInt8 = 1
        var lengthWidth = 2
        var layout = wrapped(lengthWidth: 2)
        if layout.headerLength > Int(UInt16.max) {
            version = 2
            lengthWidth = 4
            layout = wrapped(lengthWidth: 4)
        }

        var out: [UInt8] = []
        out.reserveCapacity(layout.prefixLength + layout.headerLength + tensor.count * 4)
        out.append(contentsOf: magic)
        out.append(contentsOf: [version, 0])
        ByteIO.appendLE(UInt64(layout.headerLength), width: lengthWidth, to: &out)
        out.append(contentsOf: text)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: layout.headerLength - text.count - 1))
        out.append(UInt8(ascii: "\n"))
        ByteIO.appendFloat32LE(tensor.data, to: &out)
        return out
    }
}
