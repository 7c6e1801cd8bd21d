import Foundation

/// Shared plumbing for the tensor file formats: whole-file reads and writes that fail with
/// a `Diagnostic` naming the file, bounds-checked little-endian loads, and the exact
/// half-precision conversions. Nothing here traps on hostile bytes.
enum ByteIO {
    /// The whole file as bytes, or a diagnostic `PATH: error: ...`. Only regular files are
    /// read (a FIFO would block and /dev/zero never ends), and one larger than `limit` bytes
    /// is refused before anything is allocated.
    /// With `prefix`, only that many leading bytes are read (fewer if the file is shorter).
    static func readFile(_ path: String, limit: Int = Int.max, prefix: Int? = nil) throws(Diagnostic) -> [UInt8] {
        let resolved = (path as NSString).resolvingSymlinksInPath
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: resolved) } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw .error(exists ? "cannot read file (\(error.localizedDescription))" : "no such file", at: .unknown(path))
        }
        let type = attributes[.type] as? FileAttributeType
        if type == .typeDirectory { throw .error("is a directory, not a file", at: .unknown(path)) }
        guard type == .typeRegular else {
            throw .error("is not a regular file (a device, FIFO or socket cannot be read as one)", at: .unknown(path))
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard prefix != nil || size <= limit else {
            throw .error("the file is too large (\(size) bytes; the limit is \(limit))", at: .unknown(path))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .error(FileManager.default.isReadableFile(atPath: path) ? "cannot read file" : "cannot read file (permission denied)",
                         at: .unknown(path))
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: prefix ?? (limit == Int.max ? Int.max : limit + 1)) ?? Data()
            guard prefix != nil || data.count <= limit else {
                throw Diagnostic.error("the file is too large (more than \(limit) bytes)", at: .unknown(path))
            }
            return [UInt8](data)
        } catch let error as Diagnostic {
            throw error
        } catch {
            throw .error("cannot read file (\(error.localizedDescription))", at: .unknown(path))
        }
    }

    static func writeFile(_ bytes: [UInt8], to path: String) throws(Diagnostic) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw .error("cannot write file (\(error.localizedDescription))", at: .unknown(path))
        }
    }

    /// Little-endian unsigned integer of `width` bytes at `offset`; nil when out of bounds.
    static func uint(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64? {
        guard width >= 1, width <= 8, offset >= 0, offset <= bytes.count, bytes.count - offset >= width else { return nil }
        var value: UInt64 = 0
        for k in stride(from: width - 1, through: 0, by: -1) {
            value = value << 8 | UInt64(bytes[offset + k])
        }
        return value
    }

    static func appendLE(_ value: UInt64, width: Int, to out: inout [UInt8]) {
        for k in 0..<width { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))) }
    }

    /// The raw little-endian float32 bytes of `values`.
    static func appendFloat32LE(_ values: [Float], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + values.count * 4)
        #if _endian(little)
        values.withUnsafeBytes { out.append(contentsOf: $0) }
        #else
        for value in values { appendLE(UInt64(value.bitPattern), width: 4, to: &out) }
        #endif
    }

    /// Element kinds stored in files that can be widened or narrowed to float32.
    enum FloatKind {
        case float32, float64, float16, bfloat16
        var byteWidth: Int {
            switch self {
            case .float32: 4
            case .float64: 8
            case .float16, .bfloat16: 2
            }
        }
    }

    /// `count` little-endian elements starting at `offset`, as float32.
    /// The caller has checked the range; an out-of-range request returns nil instead of trapping.
    static func floats(_ bytes: [UInt8], at offset: Int, count: Int, kind: FloatKind) -> [Float]? {
        let (size, overflow) = count.multipliedReportingOverflow(by: kind.byteWidth)
        guard !overflow, count >= 0, offset >= 0, offset <= bytes.count, bytes.count - offset >= size else { return nil }
        if count == 0 { return [] }
        return bytes.withUnsafeBytes { raw -> [Float] in
            var out = [Float]()
            out.reserveCapacity(count)
            switch kind {
            case .float32:
                for i in 0..<count {
                    let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self))
                    out.append(Float(bitPattern: bits))
                }
            case .float64:
                for i in 0..<count {
                    let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * i, as: UInt64.self))
                    out.append(Float(Double(bitPattern: bits)))
                }
            case .float16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self))
                    out.append(floatFromHalfBits(bits))
                }
            case .bfloat16:
                for i in 0..<count {
                    let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self))
                    out.append(floatFromBFloat16Bits(bits))
                }
            }
            return out
        }
    }

    /// IEEE 754 binary16 to binary32, exactly: every half value (subnormals, infinities,
    /// NaN payloads, signed zeros) is representable as a float.
    static func floatFromHalfBits(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = UInt32(half >> 10) & 0x1F
        let mantissa = UInt32(half & 0x03FF)
        let magnitude: UInt32
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa * 2^-24, exact in float32.
            magnitude = (Float(mantissa) * 0x1p-24).bitPattern
        case 0x1F:
            magnitude = 0x7F80_0000 | mantissa << 13
        default:
            magnitude = (exponent + 127 - 15) << 23 | mantissa << 13
        }
        return Float(bitPattern: sign | magnitude)
    }

    /// bfloat16 is the top half of a float32.
    static func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Product of `shape` without trapping: nil on a negative dimension or overflow.
    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// Up to `limit` characters of `text`, for quoting untrusted strings in messages.
    static func clip(_ text: String, limit: Int = Limits.nameInMessage) -> String {
        Limits.clipped(text, limit: limit)
    }
}
