import AttendBasic
import Testing

/// A safetensors image: the length (declared, or the real one), the header text, the data.
func safetensorsImage(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    let length = declaredLength ?? UInt64(text.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + text + data
}

func uint16Bytes(_ values: [UInt16]) -> [UInt8] {
    values.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
}

@Suite struct SafetensorsTests {
    /// `safetensors.numpy.save({"b": [[1,2,3],[4,5,6]], "a": 1.5 (0-d), "B": zeros(0)},
    /// metadata={"format": "pt"})` with float32 arrays (safetensors 0.8).
    static let python = hexBytes("""
        c8000000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a227074227d2c2242223a7b226474797065
        223a22463332222c227368617065223a5b305d2c22646174615f6f666673657473223a5b302c305d7d2c2261223a7b22647479
        7065223a22463332222c227368617065223a5b5d2c22646174615f6f666673657473223a5b302c345d7d2c2262223a7b226474
        797065223a22463332222c227368617065223a5b322c335d2c22646174615f6f666673657473223a5b342c32385d7d7d202020
        202020200000c03f0000803f0000004000004040000080400000a0400000c040
        """)

    static let b = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
    static let a = Tensor(shape: [], data: [1.5])
    static let empty = Tensor(shape: [0], data: [])

    @Test func encodeMatchesThePythonLibrary() {
        let bytes = SafetensorsFile.encode([("b", Self.b), ("a", Self.a), ("B", Self.empty)], metadata: ["format": "pt"])
        #expect(bytes == Self.python)
        // {"x":...} with two spaces of padding, as safetensors.numpy.save writes it.
        let single = SafetensorsFile.encode([("x", Tensor(shape: [2], data: [1, 2]))])
        #expect(single == safetensorsImage("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  ", data: float32Bytes([1, 2])))
        #expect(SafetensorsFile.encode([]) == safetensorsImage("{}      "))
    }

    @Test func decodesThePythonLibrary() throws {
        let file = try SafetensorsFile.decode(Self.python, source: "m.safetensors")
        #expect(file.entries.map(\.name) == ["B", "a", "b"])
        #expect(file.metadata == ["format": "pt"])
        #expect(file.entry(named: "b") == .init(name: "b", dtype: "F32", shape: [2, 3], byteRange: 4..<28))
        #expect(file.entry(named: "zz") == nil)
        #expect(try file.tensor(named: "b") == Self.b)
        #expect(try file.tensor(named: "a") == Self.a)
        #expect(try file.tensor(named: "B") == Self.empty)
    }

    @Test func roundTripWithMetadata() throws {
        var random = SeededRandom(seed: 3)
        let tensors: [(name: String, tensor: Tensor)] = [
            ("blocks.1.attn.qkv.weight", Tensor(shape: [6, 4], data: (0..<24).map { _ in random.normal() })),
            ("blocks.0.norm1.bias", Tensor(shape: [4], data: (0..<4).map { _ in random.normal() })),
            ("héllo \"quoted\"\n", Tensor(shape: [1, 1, 1], data: [-0.0])),
            ("scalar", Tensor(shape: [], data: [.infinity])),
        ]
        let metadata = ["format": "pt", "note": "tab\there, quote \" backslash \\ \u{1} é"]
        let path = temporaryPath("w.safetensors")
        try SafetensorsFile.write(tensors, metadata: metadata, to: path)
        let file = try SafetensorsFile.read(path: path)
        #expect(file.metadata == metadata)
        #expect(file.entries.map(\.name) == ["blocks.0.norm1.bias", "blocks.1.attn.qkv.weight", "héllo \"quoted\"\n", "scalar"])
        for (name, tensor) in tensors {
            #expect(try file.tensor(named: name) == tensor)
        }
        expectDiagnostic("w.safetensors: error: duplicate tensor name 'x'") { () throws(Diagnostic) in
            try SafetensorsFile.write([("x", Self.a), ("x", Self.b)], to: path)
        }
        expectDiagnostic("'__metadata__' is reserved") { () throws(Diagnostic) in
            try SafetensorsFile.write([("__metadata__", Self.a)], to: path)
        }
    }

    @Test func halfPrecisionDecodesExactly() throws {
        // 1.0, -2.5, 65504 (largest half), 2^-24 (smallest subnormal), largest subnormal, -0, inf, -inf, nan.
        let half: [UInt16] = [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x8000, 0x7C00, 0xFC00, 0x7E00]
        let bf16: [UInt16] = [0x3F80, 0xC020, 0x477F, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x7FC0, 0xFFFF]
        let f64: [Double] = [1, -2.5, 0.1, 1e300, -1e-300]
        let header = """
            {"h":{"dtype":"F16","shape":[9],"data_offsets":[0,18]},\
            "g":{"dtype":"BF16","shape":[3,3],"data_offsets":[18,36]},\
            "d":{"dtype":"F64","shape":[5],"data_offsets":[36,76]}}
            """
        let data = uint16Bytes(half) + uint16Bytes(bf16) + f64.flatMap { value in
            (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt64($0))) }
        }
        let file = try SafetensorsFile.decode(safetensorsImage(header, data: data), source: "h.safetensors")
        #expect(file.entries.map(\.name) == ["h", "g", "d"])

        let h = try file.tensor(named: "h").data
        #expect(Array(h[0..<5]) == [1, -2.5, 65504, 0x1p-24, 1023 * 0x1p-24])
        #expect(h[5] == 0 && h[5].sign == .minus)
        #expect(h[6] == .infinity && h[7] == -.infinity)
        #expect(h[8].isNaN && h[8].bitPattern == 0x7FC0_0000)

        let g = try file.tensor(named: "g")
        #expect(g.shape == [3, 3])
        #expect(Array(g.data[0..<3]) == [1, -2.5, 65280])
        #expect(g.data[3] == Float(bitPattern: 0x0001_0000) && g.data[3].isSubnormal)
        #expect(g.data[4] == 0 && g.data[4].sign == .minus)
        #expect(g.data[5] == .infinity && g.data[6] == -.infinity)
        #expect(g.data[7].isNaN && g.data[8].isNaN)

        let d = try file.tensor(named: "d").data
        #expect(d == [1, -2.5, Float(0.1), .infinity, -0.0])
    }

    @Test func everyHalfValueMatchesTheHardwareConversion() throws {
        #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
        let data = uint16Bytes((0...UInt16.max).map { $0 })
        let header = "{\"all\":{\"dtype\":\"F16\",\"shape\":[65536],\"data_offsets\":[0,131072]}}"
        let values = try SafetensorsFile.decode(safetensorsImage(header, data: data), source: "all").tensor(named: "all").data
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = values[Int(bits)]
            #expect(got.bitPattern == expected.bitPattern || (got.isNaN && expected.isNaN), "half 0x\(String(bits, radix: 16))")
        }
        #endif
    }

    @Test func nonFloatDtypesAreNamedWhenRead() throws {
        let header = """
            {"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"mask":{"dtype":"BOOL","shape":[2],"data_offsets":[16,18]},\
            "packed":{"dtype":"F4","shape":[4],"data_offsets":[18,20]}}
            """
        let file = try SafetensorsFile.decode(safetensorsImage(header, data: [UInt8](repeating: 0, count: 20)), source: "i.safetensors")
        #expect(file.entry(named: "ids")?.dtype == "I64")
        expectDiagnostic("i.safetensors: error: unsupported dtype for ids: checkpoint has I64") { () throws(Diagnostic) in _ = try file.tensor(named: "ids") }
        expectDiagnostic("unsupported dtype for mask: checkpoint has BOOL") { () throws(Diagnostic) in _ = try file.tensor(named: "mask") }
        expectDiagnostic("no tensor named 'idz'", "did you mean 'ids'") { () throws(Diagnostic) in _ = try file.tensor(named: "idz") }
    }

    @Test func hostileHeaders() {
        let f32x2 = "\"dtype\":\"F32\",\"shape\":[2]"
        let cases: [(bytes: [UInt8], fragment: String)] = [
            ([], "too short for the 8-byte header length"),
            ([1, 0, 0], "too short"),
            (safetensorsImage("{}", declaredLength: 1000), "header length 1000 is larger than the file"),
            (safetensorsImage("{}", declaredLength: 1 << 62), "exceeds the limit of 100000000 bytes"),
            (safetensorsImage("{}", declaredLength: UInt64.max), "exceeds the limit"),
            (safetensorsImage("[1, 2]"), "not a JSON object"),
            (safetensorsImage("\"text\""), "not a JSON object"),
            (safetensorsImage("   {}"), "not a JSON object"),
            (safetensorsImage("{\"a\":"), "not valid JSON"),
            (safetensorsImage("{\"a\":1,}"), "not valid JSON"),
            (safetensorsImage("{} x"), "not valid JSON"),
            (safetensorsImage("{\"a\":\"\\ud800\"}"), "lone surrogate"),
            (safetensorsImage("{\"__metadata__\":" + String(repeating: "[", count: 100_000) + "}"), "nesting"),
            (safetensorsImage("{\"a\":{}}") .map { $0 == UInt8(ascii: "a") ? 0xFF : $0 }, "not valid UTF-8"),
            (safetensorsImage("{\"a\":[]}"), "tensor 'a': expected an object"),
            (safetensorsImage("{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "tensor 'a': missing 'dtype'"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "tensor 'a': unknown dtype 'F33' (did you mean 'F32'?)"),
            (safetensorsImage("{\"a\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}"), "'dtype' must be a string"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "tensor 'a': invalid shape: -2 is negative"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "invalid shape: 2.0 is not an integer"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "is not an integer"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "invalid shape: true is not a number"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}"), "'shape' must be an array"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}"), "is too large"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[0]}}"), "'data_offsets' must be an array [begin, end]"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[0,-8]}}"), "invalid data_offsets: -8 is negative"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[8,0]}}", data: float32Bytes([1, 2])), "begin after they end"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[0,8]}}", data: float32Bytes([1])), "tensor 'a': data_offsets [0, 8] are out of range (the data buffer has 4 bytes)"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[9223372036854775800,9223372036854775807]}}"), "out of range"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "tensor 'a': shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "tensor 'a': shape [1099511627776, 1099511627776] is too large (the element count overflows)"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F32\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "the byte size overflows"),
            (safetensorsImage("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", data: [0, 0]), "do not fill a whole number of bytes"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[0,8]},\"b\":{\(f32x2),\"data_offsets\":[4,12]}}", data: float32Bytes([1, 2, 3])), "tensor 'b' data_offsets [4, 12] overlap tensor 'a'"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[0,8]},\"b\":{\(f32x2),\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "overlap tensor"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[0,8]},\"b\":{\(f32x2),\"data_offsets\":[12,20]}}", data: float32Bytes([1, 2, 3, 4, 5])), "tensor 'b' data_offsets [12, 20] leave a gap: bytes [8, 12)"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[4,12]}}", data: float32Bytes([1, 2, 3])), "leave a gap"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2, 3])), "4 trailing bytes after the last tensor"),
            (safetensorsImage("{}", data: [0]), "1 trailing bytes"),
            (safetensorsImage("{\"a\":{\(f32x2),\"data_offsets\":[0,8]},\"a\":{\(f32x2),\"data_offsets\":[8,16]}}", data: float32Bytes([1, 2, 3, 4])), "duplicate tensor name 'a'"),
            (safetensorsImage("{\"a\":{\(f32x2),\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", data: float32Bytes([1, 2])), "tensor 'a': duplicate key 'dtype'"),
            (safetensorsImage("{\"__metadata__\":{\"k\":1}}"), "'__metadata__' value for 'k' must be a string"),
            (safetensorsImage("{\"__metadata__\":[]}"), "'__metadata__' must be an object"),
            (safetensorsImage("{\"__metadata__\":{},\"__metadata__\":{}}"), "duplicate '__metadata__'"),
            (safetensorsImage("{\"evil\\nname\":5}"), "tensor 'evil\\nname': expected an object"),
        ]
        for (bytes, fragment) in cases {
            expectDiagnostic("bad.safetensors: error: ", fragment) { () throws(Diagnostic) in
                _ = try SafetensorsFile.decode(bytes, source: "bad.safetensors")
            }
        }
    }

    @Test func randomDamageNeverTraps() {
        var random = SeededRandom(seed: 11)
        var rejected = 0
        for _ in 0..<2000 {
            var bytes = Self.python
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let at = Int(random.next() % UInt64(bytes.count))
                bytes[at] = UInt8(truncatingIfNeeded: random.next())
            }
            if random.next() % 4 == 0 { bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count)))) }
            if let file = try? SafetensorsFile.decode(bytes, source: "r") {
                for entry in file.entries { _ = try? file.tensor(named: entry.name) }
            } else {
                rejected += 1
            }
        }
        // The damage reaches the error paths (most of it is caught), and some files stay
        // readable so their tensors are read too.
        #expect(rejected > 1000 && rejected <= 1990, "\(rejected) of 2000 damaged files were rejected")
    }

    @Test func tamperedEntriesDoNotTrap() throws {
        var file = try SafetensorsFile.decode(Self.python, source: "m.safetensors")
        file.entries[2].byteRange = 4..<1_000_000
        expectDiagnostic("tensor 'b'", "does not match its data range") { () throws(Diagnostic) in _ = try file.tensor(named: "b") }
        file.entries[2].shape = [Int.max, 2]
        expectDiagnostic("tensor 'b'") { () throws(Diagnostic) in _ = try file.tensor(named: "b") }
    }

    @Test func missingFileIsADiagnostic() {
        expectDiagnostic("/nonexistent/x.safetensors: error: no such file") { () throws(Diagnostic) in
            _ = try SafetensorsFile.read(path: "/nonexistent/x.safetensors")
        }
    }
}
