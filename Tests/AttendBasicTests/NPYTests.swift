import AttendBasic
import Foundation
import Testing

/// Bytes from a hex string (whitespace ignored); test fixtures only.
func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16) ?? 0 }
}

/// Runs `body` and expects a Diagnostic whose printed form contains every fragment.
func expectDiagnostic(_ fragments: String..., sourceLocation: Testing.SourceLocation = #_sourceLocation, _ body: () throws(Diagnostic) -> Void) {
    do {
        try body()
        Issue.record("expected a diagnostic containing \(fragments)", sourceLocation: sourceLocation)
    } catch {
        let text = error.description
        #expect(!text.contains("\n"), "diagnostic is not one line: \(text)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(text.contains(fragment), "'\(text)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
    }
}

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("attend-io-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// An NPY image with the given header text (padded like numpy) and raw data.
func npyImage(header: String, version: UInt8 = 1, data: [UInt8] = []) -> [UInt8] {
    let lengthWidth = version == 1 ? 2 : 4
    var text = Array(header.utf8)
    let pad = 64 - (8 + lengthWidth + text.count + 1) % 64
    text += [UInt8](repeating: 0x20, count: pad) + [0x0A]
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    for k in 0..<lengthWidth { out.append(UInt8(truncatingIfNeeded: text.count >> (8 * k))) }
    return out + text + data
}

func float32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value -> [UInt8] in
        let bits = value.bitPattern
        return (0..<4).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt32($0))) }
    }
}

@Suite struct NPYTests {
    /// `numpy.save(f, np.array([[0, 1.5, -2], [3, 4.25, -0.0]], dtype=np.float32))` (numpy 2.4).
    static let numpy2x3 = hexBytes("""
        934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c2027
        7368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020
        202020202020202020202020202020202020202020200a000000000000c03f000000c0000040400000884000000080
        """)
    /// `numpy.save(f, np.array(7.0, dtype=np.float32))`: a 0-d array.
    static let numpyScalar = hexBytes("""
        934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c2027
        7368617065273a2028292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020
        20202020202020202020202020202020202020202020200a0000e040
        """)
    /// `numpy.lib.format.write_array(f, np.array([1, 2, 3], dtype=np.float64), version=(2, 0))`.
    static let numpyV2Float64 = hexBytes("""
        934e554d50590200740000007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c
        20277368617065273a2028332c292c207d2020202020202020202020202020202020202020202020202020202020202020202020
        20202020202020202020202020202020202020202020200a000000000000f03f00000000000000400000000000000840
        """)

    @Test func encodeMatchesNumpySave() {
        let tensor = Tensor(shape: [2, 3], data: [0, 1.5, -2, 3, 4.25, -0.0])
        #expect(NPY.encode(tensor) == Self.numpy2x3)
        #expect(NPY.encode(Tensor(shape: [], data: [7])) == Self.numpyScalar)
        // numpy 0.x..2.x: data starts at a multiple of 64.
        for shape in [[1], [5], [1_000_000_000_000, 0], [1, 1, 1, 1, 1, 2, 2], [0]] {
            let bytes = NPY.encode(Tensor(zeros: shape))
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            #expect((10 + headerLength) % 64 == 0)
            #expect(bytes[10 + headerLength - 1] == 0x0A)
        }
    }

    @Test func decodesNumpyFiles() throws {
        let tensor = try NPY.decode(Self.numpy2x3, source: "a.npy")
        #expect(tensor.shape == [2, 3])
        #expect(tensor.data == [0, 1.5, -2, 3, 4.25, 0])
        #expect(tensor.data[5].sign == .minus)
        let scalar = try NPY.decode(Self.numpyScalar, source: "s.npy")
        #expect(scalar.shape == [])
        #expect(scalar.data == [7])
        let widened = try NPY.decode(Self.numpyV2Float64, source: "v2.npy")
        #expect(widened.shape == [3])
        #expect(widened.data == [1, 2, 3])
    }

    @Test func versionsAndHeaderSpellings() throws {
        let data = float32Bytes([1, 2, 3, 4, 5])
        for version: UInt8 in [1, 2, 3] {
            let image = npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", version: version, data: data)
            #expect(try NPY.decode(image, source: "v.npy") == Tensor(shape: [5], data: [1, 2, 3, 4, 5]))
        }
        // Any key order, double quotes, no trailing comma, Python 2 long integers, extra spaces.
        let odd = npyImage(header: "{\"shape\":(1L,5L),\"fortran_order\":False,'descr':\"<f4\"}", data: data)
        #expect(try NPY.decode(odd, source: "odd.npy").shape == [1, 5])
        let empty = npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }")
        #expect(try NPY.decode(empty, source: "e.npy") == Tensor(shape: [0, 3], data: []))
    }

    @Test func roundTripThroughFiles() throws {
        var random = SeededRandom(seed: 7)
        for shape in [[], [1], [7], [3, 4], [2, 3, 5], [0], [2, 0, 2]] {
            let count = shape.reduce(1, *)
            let tensor = Tensor(shape: shape, data: (0..<count).map { _ in random.normal() })
            let path = temporaryPath("t.npy")
            try NPY.write(tensor, to: path)
            #expect(try NPY.read(path: path) == tensor)
        }
        let special = Tensor(shape: [4], data: [.infinity, -.infinity, .leastNonzeroMagnitude, -0.0])
        #expect(try NPY.decode(NPY.encode(special), source: "x") == special)
        let withNaN = try NPY.decode(NPY.encode(Tensor(shape: [1], data: [.nan])), source: "x")
        #expect(withNaN.data[0].isNaN)
    }

    @Test func rejectsUnsupportedDtypes() {
        let cases: [(String, [String])] = [
            ("'<i8'", ["x.npy: error: unsupported dtype '<i8' (expected float32 '<f4')"]),
            ("'|u1'", ["unsupported dtype '|u1'"]),
            ("'<f2'", ["unsupported dtype '<f2'"]),
            ("'|O'", ["unsupported dtype '|O'"]),
            ("'>f4'", ["unsupported dtype '>f4'", "big-endian"]),
            ("[('a', '<f4'), ('b', '<i4')]", ["unsupported dtype", "structured"]),
        ]
        for (descr, fragments) in cases {
            let image = npyImage(header: "{'descr': \(descr), 'fortran_order': False, 'shape': (2,), }", data: [UInt8](repeating: 0, count: 16))
            expectDiagnostic(fragments[0], fragments.count > 1 ? fragments[1] : fragments[0]) { () throws(Diagnostic) in
                _ = try NPY.decode(image, source: "x.npy")
            }
        }
    }

    @Test func rejectsFortranOrder() {
        let image = npyImage(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", data: float32Bytes([1, 2, 3, 4]))
        expectDiagnostic("f.npy: error: Fortran-order") { () throws(Diagnostic) in _ = try NPY.decode(image, source: "f.npy") }
    }

    @Test func rejectsBadMagicAndVersions() {
        expectDiagnostic("m.npy: error: not an NPY file") { () throws(Diagnostic) in
            _ = try NPY.decode(Array("PK\u{3}\u{4} this is a zip".utf8), source: "m.npy")
        }
        expectDiagnostic("not an NPY file") { () throws(Diagnostic) in _ = try NPY.decode([], source: "m.npy") }
        expectDiagnostic("truncated") { () throws(Diagnostic) in _ = try NPY.decode([0x93, 0x4E, 0x55], source: "m.npy") }
        var future = Self.numpy2x3
        future[6] = 4
        expectDiagnostic("unsupported NPY format version 4.0") { () throws(Diagnostic) in _ = try NPY.decode(future, source: "m.npy") }
    }

    @Test func rejectsTruncatedAndOversizedData() {
        expectDiagnostic("t.npy: error: truncated NPY data", "needs 24 bytes, the file has 20") { () throws(Diagnostic) in
            _ = try NPY.decode(Array(Self.numpy2x3.dropLast(4)), source: "t.npy")
        }
        expectDiagnostic("does not match the header") { () throws(Diagnostic) in
            _ = try NPY.decode(Self.numpy2x3 + [0, 0, 0, 0], source: "t.npy")
        }
        // The header claims more bytes than the file holds.
        expectDiagnostic("truncated NPY header") { () throws(Diagnostic) in
            _ = try NPY.decode(Array(Self.numpy2x3.prefix(40)), source: "t.npy")
        }
        var lying = Self.numpy2x3
        lying[8] = 0xFF
        lying[9] = 0xFF
        expectDiagnostic("truncated NPY header") { () throws(Diagnostic) in _ = try NPY.decode(lying, source: "t.npy") }
        expectDiagnostic("truncated") { () throws(Diagnostic) in _ = try NPY.decode(Array(Self.numpy2x3.prefix(9)), source: "t.npy") }
        // A shape whose byte size overflows.
        let huge = npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }")
        expectDiagnostic("too large") { () throws(Diagnostic) in _ = try NPY.decode(huge, source: "t.npy") }
        let huger = npyImage(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }")
        expectDiagnostic("integer too large") { () throws(Diagnostic) in _ = try NPY.decode(huger, source: "t.npy") }
    }

    @Test func rejectsGarbageHeaders() {
        let headers: [(String, String)] = [
            ("", "malformed NPY header"),
            ("not a dict", "malformed NPY header"),
            ("[1, 2]", "expected a dict"),
            ("{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "unexpected key 'extra'"),
            ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "duplicate key 'descr'"),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "'fortran_order' must be True or False"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "'shape' must be a tuple of non-negative integers"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", "'shape' must be a tuple"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "'shape' must be a tuple"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", "malformed NPY header"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (True,)}", "'shape' must be a tuple"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} trailing", "after the literal"),
            ("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", "malformed NPY header"),
            ("{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,)}", "unexpected name"),
            (String(repeating: "(", count: 5000), "nesting too deep"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", "malformed NPY header"),
        ]
        for (header, fragment) in headers {
            let image = npyImage(header: header, data: float32Bytes([1, 2]))
            expectDiagnostic("g.npy: error: ", fragment) { () throws(Diagnostic) in _ = try NPY.decode(image, source: "g.npy") }
        }
        // Arbitrary bytes after a valid magic and length never trap.
        var random = SeededRandom(seed: 1)
        for length in 0..<200 {
            let junk = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var image: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length), 0] + junk
            _ = try? NPY.decode(image, source: "r.npy")
            image[6] = 3
            _ = try? NPY.decode(image, source: "r.npy")
        }
    }

    @Test func fileErrorsNameTheFile() {
        expectDiagnostic("/nonexistent/dir/w.npy: error: no such file") { () throws(Diagnostic) in
            _ = try NPY.read(path: "/nonexistent/dir/w.npy")
        }
        expectDiagnostic("/nonexistent/dir/w.npy: error: cannot write") { () throws(Diagnostic) in
            try NPY.write(Tensor(zeros: [1]), to: "/nonexistent/dir/w.npy")
        }
    }
}
