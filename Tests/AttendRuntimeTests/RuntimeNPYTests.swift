import AttendBasic
import AttendRuntime
import Foundation
import Testing

/// `attend_npy_read` of `shape` from `path`: the values, or the message.
func readNPY(_ path: String, shape: [Int]) throws(RuntimeError) -> [Float] {
    var error = ErrorBuffer()
    var data = [Float](repeating: .nan, count: shape.reduce(1, *))
    let dims = shape.map(Int64.init)
    let status = dims.withUnsafeBufferPointer { dims in
        data.withUnsafeMutableBufferPointer { attend_npy_read(path, Int32(shape.count), dims.baseAddress, $0.baseAddress, &error.bytes) }
    }
    if status != 0 { throw RuntimeError(message: error.text) }
    #expect(error.text.isEmpty)
    return data
}

func writeNPY(_ tensor: Tensor, to path: String) throws(RuntimeError) {
    var error = ErrorBuffer()
    let dims = tensor.shape.map(Int64.init)
    let status = dims.withUnsafeBufferPointer { dims in
        tensor.data.withUnsafeBufferPointer { attend_npy_write(path, Int32(tensor.rank), dims.baseAddress, $0.baseAddress, &error.bytes) }
    }
    if status != 0 { throw RuntimeError(message: error.text) }
}

/// An .npy image with a hand-written header dict (padded the way numpy pads it).
func npyBytes(_ dict: String, version: UInt8 = 1, data: [UInt8], pad: Bool = true) -> [UInt8] {
    let width = version == 1 ? 2 : 4
    var header = Array(dict.utf8)
    if pad {
        header += [UInt8](repeating: 0x20, count: 63 - (6 + 2 + width + header.count) % 64) + [0x0A]
    }
    let length = (0..<width).map { UInt8(truncatingIfNeeded: header.count >> (8 * $0)) }
    return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + header + data
}

@Suite struct RuntimeNPYTests {
    static let shapes: [[Int]] = [[], [5], [2, 3], [0], [3, 0, 2], [1, 2, 3, 4], [1, 1, 1, 1, 1, 1, 1, 2], [12_345, 1], [7, 1, 100]]

    @Test func writesTheBytesNumpyAndTheSwiftWriterWrite() throws {
        let folder = scratchFolder()
        var random = SeededRandom(seed: 11)
        for (k, shape) in Self.shapes.enumerated() {
            let tensor = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in random.normal() })
            let path = folder + "/c\(k).npy"
            try writeNPY(tensor, to: path)
            #expect(readBytes(path) == NPY.encode(tensor), "\(shape)")
            #expect(try NPY.read(path: path) == tensor)
            #expect(readBytes(path).count % 64 == (tensor.count * 4) % 64)
        }
        // The literal bytes numpy.save writes for float32 [1, 2] and for a 0-d 1.5.
        try writeNPY(Tensor(shape: [2], data: [1, 2]), to: folder + "/v.npy")
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + String(repeating: " ", count: 60) + "\n"
        #expect(readBytes(folder + "/v.npy") == [0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0] + Array(dict.utf8) + littleEndianBytes([1, 2] as [Float]))
        try writeNPY(Tensor(shape: [], data: [1.5]), to: folder + "/s.npy")
        #expect(String(decoding: readBytes(folder + "/s.npy")[10..<128], as: UTF8.self).hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (), }    "))
    }

    @Test func readsWhatTheSwiftWriterWrites() throws {
        let folder = scratchFolder()
        var random = SeededRandom(seed: 12)
        for (k, shape) in Self.shapes.enumerated() {
            var data = (0..<shape.reduce(1, *)).map { _ in random.normal() }
            if data.count >= 4 { data[0] = .nan; data[1] = -0.0; data[2] = .infinity; data[3] = .leastNonzeroMagnitude }
            let tensor = Tensor(shape: shape, data: data)
            try NPY.write(tensor, to: folder + "/s\(k).npy")
            #expect(bitPatterns(try readNPY(folder + "/s\(k).npy", shape: shape)) == bitPatterns(data), "\(shape)")
        }
    }

    @Test func readsFloat64AndLaterVersions() throws {
        let folder = scratchFolder()
        let doubles: [Double] = [1, -2.5, 0.1, 1e300, -1e-300, .nan]
        writeBytes(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", data: littleEndianBytes(doubles)), to: folder + "/d.npy")
        let values = try readNPY(folder + "/d.npy", shape: [2, 3])
        #expect(Array(values.prefix(5)) == [1, -2.5, Float(0.1), .infinity, -0.0] && values[5].isNaN)
        let swift = try NPY.read(path: folder + "/d.npy")
        #expect(Array(swift.data.prefix(5)) == Array(values.prefix(5)))
        for version: UInt8 in [2, 3] {
            // Keys in any order, double quotes, no trailing comma, still valid Python.
            writeBytes(npyBytes("{\"shape\": (3,), 'fortran_order': False, 'descr': '<f4'}", version: version, data: littleEndianBytes([1, 2, 3] as [Float])),
                       to: folder + "/v\(version).npy")
            #expect(try readNPY(folder + "/v\(version).npy", shape: [3]) == [1, 2, 3])
        }
    }

    @Test func errorsNameTheFile() throws {
        let folder = scratchFolder()
        let f4 = "'descr': '<f4', 'fortran_order': False"
        let cases: [(bytes: [UInt8], shape: [Int], expected: String)] = [
            (npyBytes("{\(f4), 'shape': (3, 2), }", data: [UInt8](repeating: 0, count: 24)), [2, 3], "array has shape [3, 2], expected [2, 3]"),
            (npyBytes("{\(f4), 'shape': (6,), }", data: [UInt8](repeating: 0, count: 24)), [2, 3], "array has shape [6], expected [2, 3]"),
            (npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 16)), [2],
             "unsupported dtype '<i8' (expected float32 '<f4')"),
            (npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 8)), [2],
             "unsupported dtype '>f4': big-endian data is not supported"),
            (npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 8)), [2],
             "structured arrays are not supported"),
            (npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data: [UInt8](repeating: 0, count: 24)), [2, 3],
             "Fortran-order arrays are not supported"),
            (npyBytes("{\(f4), 'shape': (2, 3), }", data: [UInt8](repeating: 0, count: 20)), [2, 3],
             "truncated NPY data: shape [2, 3] of '<f4' needs 24 bytes, the file has 20"),
            (npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 12)), [2],
             "truncated NPY data: shape [2] of '<f8' needs 16 bytes, the file has 12"),
            (npyBytes("{\(f4), 'shape': (2,), }", data: [UInt8](repeating: 0, count: 12)), [2], "NPY data size does not match the header"),
            (Array(npyBytes("{\(f4), 'shape': (2,), }", data: []).prefix(40)), [2], "truncated NPY header: it claims 118 bytes but the file has only 30"),
            (Array(npyBytes("{\(f4), 'shape': (2,), }", data: []).prefix(5)), [2], "truncated NPY file"),
            (Array("PK\u{3}\u{4}zipfile".utf8), [2], "not an NPY file (bad magic: expected '\\x93NUMPY')"),
            ([], [2], "not an NPY file"),
            (npyBytes("{\(f4), 'shape': (2,), }", version: 4, data: []), [2], "unsupported NPY format version 4.0"),
            (npyBytes("{\(f4), 'shape': (2), }", data: []), [2], "malformed NPY header"),
            (npyBytes("{\(f4), 'shape': (-2,), }", data: []), [2], "malformed NPY header ('shape' must be a tuple of non-negative integers)"),
            (npyBytes("{\(f4), 'shape': (2,), 'extra': 1}", data: []), [2], "malformed NPY header (unexpected key"),
            (npyBytes("{\(f4), }", data: []), [2], "malformed NPY header (missing key 'shape')"),
            (npyBytes("{\(f4), 'shape': (2,), 'shape': (2,)}", data: []), [2], "malformed NPY header (duplicate key)"),
            (npyBytes("{\(f4), 'shape': (99999999999999999999,)}", data: []), [2], "too large"),
            (npyBytes("{\(f4), 'shape': (2,), } x", data: []), [2], "malformed NPY header"),
            ([0x93] + Array("NUMPY".utf8) + [1, 0, 0xFF, 0xFF], [2], "truncated NPY header"),
            ([0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0x7F], [2], "NPY header length 2147483647 is too large"),
        ]
        for (k, (bytes, shape, expected)) in cases.enumerated() {
            let path = folder + "/bad\(k).npy"
            writeBytes(bytes, to: path)
            #expect(throws: RuntimeError.self, "\(expected)") { try readNPY(path, shape: shape) }
            do {
                _ = try readNPY(path, shape: shape)
            } catch {
                #expect(error.message.hasPrefix(path + ": "), "\(error.message)")
                #expect(error.message.contains(expected), "expected '\(expected)', got '\(error.message)'")
            }
        }
        #expect(throws: RuntimeError(message: folder + "/none.npy: cannot open (No such file or directory)")) {
            try readNPY(folder + "/none.npy", shape: [1])
        }
        #expect(throws: RuntimeError(message: folder + "/no/such/dir.npy: cannot create (No such file or directory)")) {
            try writeNPY(Tensor(shape: [1], data: [1]), to: folder + "/no/such/dir.npy")
        }
    }
}
