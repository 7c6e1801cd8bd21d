/// The element types the safetensors format lists (as of safetensors 0.8), by their header spelling.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ
    case I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64

    /// Bits per element (sub-byte types pack several elements per byte).
    public var bitWidth: Int {
        switch self {
        case .F4: 4
        case .F6_E2M3, .F6_E3M2: 6
        case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3, .F8_E8M0, .F8_E4M3FNUZ, .F8_E5M2FNUZ: 8
        case .I16, .U16, .F16, .BF16: 16
        case .I32, .U32, .F32: 32
        case .C64, .F64, .I64, .U64: 64
        }
    }

    /// Bytes taken by `count` elements; nil on overflow or when they do not end on a byte boundary.
    func byteCount(elements count: Int) -> Int? {
        let (bits, overflow) = count.multipliedReportingOverflow(by: bitWidth)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }
}

/// A safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON `{"name": {"dtype", "shape", "data_offsets": [begin, end]},
/// "__metadata__": {...}}`, then the data buffer the offsets point into.
///
/// The header is untrusted. Decoding checks everything the reference implementation does
/// (sizes, dtypes, shapes, overflow, ranges that tile the buffer exactly, unique names) and
/// reports each problem as a `Diagnostic` `SOURCE: error: ...` naming the tensor.
public struct SafetensorsFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        /// The header's spelling; a `SafetensorsDType` raw value once decoded.
        public var dtype: String
        public var shape: [Int]
        /// The header's `data_offsets`: bytes within the data buffer (add `dataStart` for the file).
        public var byteRange: Range<Int>

        public init(name: String, dtype: String, shape: [Int], byteRange: Range<Int>) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.byteRange = byteRange
        }
    }

    /// Tensors in data-buffer (offset) order.
    public var entries: [Entry]
    public var metadata: [String: String]
    /// What diagnostics name: the path, or the `source` given to `decode`.
    public var source: String
    /// Offset of the data buffer within the file: 8 + the header length.
    public var dataStart: Int
    private var bytes: [UInt8]

    /// The reference implementation's limit on the header length.
    public static let maxHeaderLength = Limits.safetensorsHeaderBytes

    public static func read(path: String) throws(Diagnostic) -> SafetensorsFile {
        // The header length first: a file declaring an oversized header is refused before
        // its bytes are read (they may be gigabytes).
        let prefix = try ByteIO.readFile(path, prefix: 8)
        if let length = ByteIO.uint(prefix, at: 0, width: 8) { try checkHeaderLength(length, source: path) }
        return try decode(try ByteIO.readFile(path), source: path)
    }

    static func checkHeaderLength(_ length: UInt64, source: String) throws(Diagnostic) {
        guard length <= UInt64(maxHeaderLength) else {
            throw .error("safetensors header length \(length) exceeds the limit of \(maxHeaderLength) bytes", at: .unknown(source))
        }
    }

    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// The tensor as float32: F32 as is; F16 and BF16 converted exactly; F64 rounded to
    /// nearest; anything else is a Diagnostic naming the tensor and dtype.
    public func tensor(named name: String) throws(Diagnostic) -> Tensor {
        func fail(_ message: String) -> Diagnostic { .error(message, at: .unknown(source)) }
        guard let entry = entry(named: name) else {
            throw fail("no tensor named '\(ByteIO.clip(name))'" + didYouMean(name, in: entries.map(\.name)))
        }
        let quotedName = "'\(ByteIO.clip(entry.name))'"
        let kind: ByteIO.FloatKind
        switch SafetensorsDType(rawValue: entry.dtype) {
        case .F32?: kind = .float32
        case .F16?: kind = .float16
        case .BF16?: kind = .bfloat16
        case .F64?: kind = .float64
        default:
            // The C runtime's words (weights.c), so both backends refuse alike.
            throw fail("unsupported dtype for \(ByteIO.clip(entry.name)): checkpoint has \(ByteIO.clip(entry.dtype, limit: 20)), expected F32, F16, BF16 or F64")
        }
        // `entries` is public and mutable: check again rather than trust it.
        guard let count = ByteIO.elementCount(entry.shape),
              case let (size, overflow) = count.multipliedReportingOverflow(by: kind.byteWidth), !overflow,
              size == entry.byteRange.count, entry.byteRange.lowerBound >= 0,
              case let (start, overflow2) = dataStart.addingReportingOverflow(entry.byteRange.lowerBound), !overflow2,
              let data = ByteIO.floats(bytes, at: start, count: count, kind: kind)
        else {
            throw fail("tensor \(quotedName): shape \(ByteIO.clip(formatShape(entry.shape))) does not match its data range")
        }
        return Tensor(shape: entry.shape, data: data)
    }

    /// Decodes a safetensors image; `source` names it in diagnostics.
    public static func decode(_ bytes: [UInt8], source: String) throws(Diagnostic) -> SafetensorsFile {
        func fail(_ message: String) -> Diagnostic { .error(message, at: .unknown(source)) }

        guard let headerLength64 = ByteIO.uint(bytes, at: 0, width: 8) else {
            throw fail("not a safetensors file: \(bytes.count) bytes is too short for the 8-byte header length")
        }
        try checkHeaderLength(headerLength64, source: source)
        let headerLength = Int(headerLength64)
        guard headerLength <= bytes.count - 8 else {
            throw fail("safetensors header length \(headerLength) is larger than the file (\(bytes.count - 8) bytes after the length)")
        }
        let dataStart = 8 + headerLength
        let header = Array(bytes[8..<dataStart])
        let bufferSize = bytes.count - dataStart

        guard JSON.isValidUTF8(header) else { throw fail("safetensors header is not valid UTF-8") }
        guard header.first == UInt8(ascii: "{") else {
            throw fail("safetensors header is not a JSON object (it must start with '{')")
        }
        let root: JSONValue
        do {
            // Only shapes and data_offsets are arrays: none may exceed a tensor's rank limit.
            root = try JSON.parse(header, maxArrayItems: Limits.fileRank)
        } catch where error.isLimit {
            throw fail("safetensors header: \(error.reason) at header byte \(error.offset) (a shape has at most \(Limits.fileRank) dimensions)")
        } catch {
            throw fail("safetensors header is not valid JSON: \(error.reason) at header byte \(error.offset)")
        }
        guard case .object(let members) = root else { throw fail("safetensors header is not a JSON object") }

        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        var seen = Set<String>()
        for (name, value) in members {
            let quoted = "'\(ByteIO.clip(name))'"
            guard seen.insert(name).inserted else {
                throw fail(name == "__metadata__" ? "duplicate '__metadata__' in the header" : "duplicate tensor name \(quoted) in the header")
            }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else { throw fail("'__metadata__' must be an object of strings, found \(value.summary)") }
                for (key, item) in pairs {
                    guard case .string(let text) = item else {
                        throw fail("'__metadata__' value for '\(ByteIO.clip(key))' must be a string, found \(item.summary)")
                    }
                    guard metadata.updateValue(text, forKey: key) == nil else {
                        throw fail("duplicate key '\(ByteIO.clip(key))' in '__metadata__'")
                    }
                }
                continue
            }
            entries.append(try entry(name: name, value: value, bufferSize: bufferSize, fail: fail))
        }

        // The ranges must tile the buffer: sorted by offset, each begins where the last ended.
        entries.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound) }
        var end = 0
        var previous: Entry?
        for entry in entries {
            let range = "[\(entry.byteRange.lowerBound), \(entry.byteRange.upperBound)]"
            if entry.byteRange.lowerBound < end, let previous {
                throw fail("tensor '\(ByteIO.clip(entry.name))' data_offsets \(range) overlap tensor '\(ByteIO.clip(previous.name))' (which ends at \(end))")
            }
            if entry.byteRange.lowerBound > end {
                throw fail("tensor '\(ByteIO.clip(entry.name))' data_offsets \(range) leave a gap: bytes [\(end), \(entry.byteRange.lowerBound)) of the data buffer belong to no tensor")
            }
            end = entry.byteRange.upperBound
            if !entry.byteRange.isEmpty { previous = entry }
        }
        if end != bufferSize {
            throw fail("the data buffer has \(bufferSize - end) trailing bytes after the last tensor (the tensors cover \(end) of \(bufferSize))")
        }
        return SafetensorsFile(entries: entries, metadata: metadata, source: source, dataStart: dataStart, bytes: bytes)
    }

    private static func entry(name: String, value: JSONValue, bufferSize: Int, fail: (String) -> Diagnostic) throws(Diagnostic) -> Entry {
        let quoted = "tensor '\(ByteIO.clip(name))'"
        guard case .object(let members) = value else {
            throw fail("\(quoted): expected an object with 'dtype', 'shape' and 'data_offsets', found \(value.summary)")
        }
        var fields: [String: JSONValue] = [:]
        for (key, item) in members {
            guard fields.updateValue(item, forKey: key) == nil else { throw fail("\(quoted): duplicate key '\(ByteIO.clip(key))'") }
        }
        func field(_ key: String) throws(Diagnostic) -> JSONValue {
            guard let item = fields[key] else { throw fail("\(quoted): missing '\(key)'") }
            return item
        }

        guard case .string(let dtypeName) = try field("dtype") else {
            throw fail("\(quoted): 'dtype' must be a string, found \(fields["dtype"]?.summary ?? "nothing")")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw fail("\(quoted): unknown dtype '\(ByteIO.clip(dtypeName, limit: 20))'" + didYouMean(dtypeName, in: SafetensorsDType.allCases.map(\.rawValue)))
        }

        guard case .array(let dims) = try field("shape") else {
            throw fail("\(quoted): 'shape' must be an array of non-negative integers, found \(fields["shape"]?.summary ?? "nothing")")
        }
        var shape: [Int] = []
        for dim in dims {
            switch dim.nonNegativeInt {
            case .success(let n): shape.append(n)
            case .failure(let problem): throw fail("\(quoted): invalid shape: \(problem)")
            }
        }

        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2 else {
            throw fail("\(quoted): 'data_offsets' must be an array [begin, end]")
        }
        var bounds: [Int] = []
        for offset in offsets {
            switch offset.nonNegativeInt {
            case .success(let n): bounds.append(n)
            case .failure(let problem): throw fail("\(quoted): invalid data_offsets: \(problem)")
            }
        }
        let (begin, end) = (bounds[0], bounds[1])
        guard begin <= end else { throw fail("\(quoted): data_offsets [\(begin), \(end)] begin after they end") }
        guard end <= bufferSize else {
            throw fail("\(quoted): data_offsets [\(begin), \(end)] are out of range (the data buffer has \(bufferSize) bytes)")
        }

        let shapeText = ByteIO.clip(formatShape(shape))
        guard let count = ByteIO.elementCount(shape) else {
            throw fail("\(quoted): shape \(shapeText) is too large (the element count overflows)")
        }
        guard let size = dtype.byteCount(elements: count) else {
            let (_, overflow) = count.multipliedReportingOverflow(by: dtype.bitWidth)
            throw fail(overflow
                ? "\(quoted): shape \(shapeText) of \(dtype.rawValue) is too large (the byte size overflows)"
                : "\(quoted): \(count) elements of \(dtype.rawValue) do not fill a whole number of bytes")
        }
        guard size == end - begin else {
            throw fail("\(quoted): shape \(shapeText) of \(dtype.rawValue) needs \(size) bytes but data_offsets [\(begin), \(end)] span \(end - begin)")
        }
        return Entry(name: name, dtype: dtypeName, shape: shape, byteRange: begin..<end)
    }

    /// A safetensors image of float32 tensors, as the Python library writes it: tensors in
    /// name order (byte-wise), `__metadata__` first when not empty (keys sorted), compact
    /// JSON padded with spaces to a multiple of 8 bytes. Names must be unique and must not be
    /// `__metadata__` (`write` reports those; here they are programming errors).
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) -> [UInt8] {
        precondition(namingProblem(tensors) == nil, namingProblem(tensors) ?? "") // internal invariant: callers pass unique names (`write` checks them first)
        let sorted = tensors.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            members.append("\"__metadata__\":{" + pairs.map { JSON.quoted($0.key) + ":" + JSON.quoted($0.value) }.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, tensor) in sorted {
            let size = tensor.count * 4
            let shape = "[" + tensor.shape.map(String.init).joined(separator: ",") + "]"
            members.append(JSON.quoted(name) + ":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))

        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        ByteIO.appendLE(UInt64(header.count), width: 8, to: &out)
        out.append(contentsOf: header)
        for (_, tensor) in sorted { ByteIO.appendFloat32LE(tensor.data, to: &out) }
        return out
    }

    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to path: String) throws(Diagnostic) {
        if let problem = namingProblem(tensors) { throw .error(problem, at: .unknown(path)) }
        try ByteIO.writeFile(encode(tensors, metadata: metadata), to: path)
    }

    /// Why these names cannot be written, if they cannot.
    static func namingProblem(_ tensors: [(name: String, tensor: Tensor)]) -> String? {
        var seen = Set<String>()
        for (name, _) in tensors {
            if name == "__metadata__" { return "'__metadata__' is reserved and cannot name a tensor" }
            if !seen.insert(name).inserted { return "duplicate tensor name '\(ByteIO.clip(name))'" }
        }
        return nil
    }
}
