import AttendBasic
import AttendRuntime
import Foundation
import Testing

/// `{"dtype": ..., "shape": ..., "data_offsets": ...}` for a header.
func entry(_ dtype: String, _ shape: String, _ begin: Int, _ end: Int) -> String {
    "{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
}

@Suite struct WeightsTests {
    @Test func readsWhatTheSwiftWriterWrites() throws {
        let folder = scratchFolder()
        let path = folder + "/w.safetensors"
        var random = SeededRandom(seed: 7)
        let tensors: [(name: String, tensor: Tensor)] = [
            ("fc.weight", Tensor(shape: [3, 2], data: (0..<6).map { _ in random.normal() })),
            ("fc.bias", Tensor(shape: [3], data: [-0.0, .infinity, .leastNonzeroMagnitude])),
            ("scale", Tensor(shape: [], data: [1.5])),
            ("empty", Tensor(shape: [0, 4], data: [])),
            ("héllo \"quoted\"", Tensor(shape: [1, 1, 1, 1, 1, 1, 1, 2], data: [3, 4])),
        ]
        try SafetensorsFile.write(tensors, metadata: ["format": "pt"], to: path)
        let weights = try Weights(path: path)
        for (name, tensor) in tensors {
            let (pointer, values) = try weights.get(name, shape: tensor.shape)
            #expect(bitPatterns(values) == bitPatterns(tensor.data), "\(name)")
            // The Swift writer keeps data 4-byte aligned: F32 is used in place, the same pointer every time.
            #expect(try weights.get(name, shape: tensor.shape).pointer == pointer)
        }
        try weights.checkUnexpected(known: tensors.map(\.name))
    }

    @Test func strictShapesAndKeys() throws {
        let folder = scratchFolder()
        let path = folder + "/w.safetensors"
        let header = "{\"bn.num_batches_tracked\":\(entry("I64", "[]", 0, 8)),\"extra\":\(entry("F64", "[1]", 8, 16)),"
            + "\"fc.bias\":\(entry("F32", "[2]", 16, 24)),\"fc.weight\":\(entry("F32", "[3, 2]", 24, 48))}"
        writeBytes(safetensorsBytes(header, data: [UInt8](repeating: 0, count: 48)), to: path)
        let weights = try Weights(path: path)
        #expect(try weights.values("fc.weight", shape: [3, 2]) == [Float](repeating: 0, count: 6))

        #expect(throws: RuntimeError(message: "size mismatch for fc.weight: checkpoint has [3, 2], model needs [2, 3]")) {
            try weights.get("fc.weight", shape: [2, 3])
        }
        #expect(throws: RuntimeError(message: "size mismatch for fc.weight: checkpoint has [3, 2], model needs [6]")) {
            try weights.get("fc.weight", shape: [6])
        }
        #expect(throws: RuntimeError(message: "size mismatch for fc.bias: checkpoint has [2], model needs []")) {
            try weights.get("fc.bias", shape: [])
        }
        #expect(throws: RuntimeError(message: "missing key: fc.biass")) { try weights.get("fc.biass", shape: [2]) }
        #expect(throws: RuntimeError(message: "missing key: line\\nbreak\\x1b")) { try weights.get("line\nbreak\u{1B}", shape: [2]) }
        #expect(throws: RuntimeError(message: "unsupported dtype for bn.num_batches_tracked: checkpoint has I64, expected F32, F16, BF16 or F64")) {
            try weights.get("bn.num_batches_tracked", shape: [])
        }
        // F64 loads (rounded to float32) as in the Swift reader and the interpreter.
        #expect(try weights.values("extra", shape: [1]) == [0])

        #expect(throws: RuntimeError(message: "unexpected keys: bn.num_batches_tracked, extra, fc.bias")) {
            try weights.checkUnexpected(known: ["fc.weight"])
        }
        #expect(throws: RuntimeError(message: "unexpected key: fc.bias")) {
            try weights.checkUnexpected(known: ["fc.weight", "extra", "not.in.file"], ignored: ["bn.num_batches_tracked"])
        }
        try weights.checkUnexpected(known: ["fc.weight", "fc.bias", "extra"], ignored: ["bn.num_batches_tracked"])
        try weights.checkUnexpected(known: [], ignored: ["fc.weight", "fc.bias", "extra", "bn.num_batches_tracked"])
    }

    @Test func halfPrecisionConvertsExactlyAsTheSwiftReader() throws {
        // Every bit pattern of F16 and BF16: subnormals, infinities, NaN payloads, signed zeros.
        let all = (0...UInt16.max).map { $0 }
        let header = "{\"b\":\(entry("BF16", "[256, 256]", 0, 131_072)),\"h\":\(entry("F16", "[65536]", 131_072, 262_144))}"
        let bytes = safetensorsBytes(header, data: littleEndianBytes(all) + littleEndianBytes(all))
        let folder = scratchFolder()
        writeBytes(bytes, to: folder + "/half.safetensors")
        let weights = try Weights(path: folder + "/half.safetensors")
        let swift = try SafetensorsFile.decode(bytes, source: "half.safetensors")
        let half = try weights.get("h", shape: [65536])
        let bf16 = try weights.values("b", shape: [256, 256])
        #expect(bitPatterns(half.values) == bitPatterns(try swift.tensor(named: "h").data))
        #expect(bitPatterns(bf16) == bitPatterns(try swift.tensor(named: "b").data))
        // A few by value: 1, -2.5, 65504, the smallest subnormal, -0, inf, a quiet NaN.
        #expect(half.values[0x3C00] == 1 && half.values[0xC100] == -2.5 && half.values[0x7BFF] == 65504)
        #expect(half.values[0x0001] == 0x1p-24 && half.values[0x03FF] == 0x1.ff8p-15)
        #expect(half.values[0x8000].bitPattern == (-0.0 as Float).bitPattern && half.values[0x7C00] == .infinity)
        #expect(half.values[0x7E00].isNaN && half.values[0x7E00].bitPattern == 0x7FC0_0000)
        #expect(bf16[0x3F80] == 1 && bf16[0xFF80] == -.infinity && bf16[0x0001] == Float(bitPattern: 0x0001_0000))
        // Converted once: the same memory on every get.
        #expect(try weights.get("h", shape: [65536]).pointer == half.pointer)
    }

    @Test func misalignedF32IsCopied() throws {
        let folder = scratchFolder()
        for padding in 0..<4 {
            // 8 + header length is 4k + padding-dependent: every alignment of the data start.
            let header = "{\"a\":\(entry("F32", "[3]", 0, 12)),\"s\":\(entry("F32", "[]", 12, 16))}" + String(repeating: " ", count: padding)
            let bytes = safetensorsBytes(header, data: littleEndianBytes([1.25, -3, .nan, 7] as [Float]))
            writeBytes(bytes, to: folder + "/m\(padding).safetensors")
            let weights = try Weights(path: folder + "/m\(padding).safetensors")
            let a = try weights.get("a", shape: [3])
            #expect(Int(bitPattern: a.pointer) % 4 == 0)
            #expect(bitPatterns(a.values) == bitPatterns([1.25, -3, .nan]))
            #expect(try weights.values("s", shape: []) == [7])
            #expect(bitPatterns(a.values) == bitPatterns(try SafetensorsFile.decode(bytes, source: "m").tensor(named: "a").data))
        }
    }

    @Test func acceptsWhatTheFormatAllows() throws {
        let folder = scratchFolder()
        let cases: [(String, [UInt8])] = [
            ("{}", []),
            ("{}    ", []),
            ("{\"__metadata__\":{\"format\":\"pt\",\"k\":\"\\u00e9\\n\"},\"a\":\(entry("F32", "[1]", 0, 4))}", [0, 0, 128, 63]),
            // Unknown keys in an entry are skipped (serde's default), whatever they hold.
            ("{\"a\":{\"extra\":{\"x\":[1,true,null,\"s\",-2.5e3]},\"data_offsets\":[0,0],\"shape\":[-0],\"dtype\":\"F32\"}}", []),
            ("{ \"a\" : \(entry("F32", "[ 1 ]", 0, 4)) , \"\\ud83d\\ude00\": \(entry("U8", "[0]", 4, 4)) }", [0, 0, 128, 63]),
            ("{\"b\":\(entry("F4", "[2]", 0, 1))}", [0]),
        ]
        for (header, data) in cases {
            let bytes = safetensorsBytes(header, data: data)
            #expect(openError(bytes, folder: folder) == nil, "\(header)")
            #expect(swiftError { () throws(Diagnostic) in _ = try SafetensorsFile.decode(bytes, source: "w") } == nil, "\(header)")
        }
        writeBytes(safetensorsBytes("{\"\\u00e9\":\(entry("F32", "[1]", 0, 4))}", data: [0, 0, 128, 63]), to: folder + "/u.safetensors")
        #expect(try Weights(path: folder + "/u.safetensors").values("é", shape: [1]) == [1])
    }

    @Test func rejectsHostileHeaders() {
        let folder = scratchFolder()
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let cases: [(bytes: [UInt8], expected: String)] = [
            ([1, 2, 3], "3 bytes is too short for the 8-byte header length"),
            (safetensorsBytes("{}", declaredLength: 1 << 40), "safetensors header length 1099511627776 exceeds the limit of 100000000 bytes"),
            (safetensorsBytes("{}", declaredLength: UInt64.max), "exceeds the limit"),
            (safetensorsBytes("{}", declaredLength: 100), "safetensors header length 100 is larger than the file (2 bytes after the length)"),
            (safetensorsBytes(""), "not a JSON object"),
            (safetensorsBytes("[]"), "not a JSON object"),
            (safetensorsBytes(" {}"), "not a JSON object"),
            (safetensorsBytes("{\"a\":"), "not valid JSON: unexpected end of input"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[]", 0, 4)),}", data: [0, 0, 0, 0]), "not valid JSON"),
            (safetensorsBytes("{} x"), "not valid JSON: unexpected text after the JSON value at header byte 3"),
            (safetensorsBytes("{\"a\\q\":1}"), "invalid escape"),
            (safetensorsBytes("{\"\\ud800\":1}"), "unpaired surrogate"),
            (safetensorsBytes("{\"a\u{01}\":1}"), "control character in a string"),
            (safetensorsBytes(raw: Array("{\"".utf8) + [0xFF, 0x61] + Array("\":1}".utf8)), "invalid UTF-8 in a string"),
            (safetensorsBytes(raw: Array("{\"".utf8) + [0xED, 0xA0, 0x80] + Array("\":1}".utf8)), "invalid UTF-8 in a string"),
            (safetensorsBytes("{\"a\":{\"x\":\(deep)}}"), "nesting too deep"),
            (safetensorsBytes("{\"a\":1}"), "tensor 'a': expected an object with 'dtype', 'shape' and 'data_offsets'"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[-1]", 0, 0))}"), "tensor 'a': invalid shape: -1 is negative"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[1.5]", 0, 0))}"), "tensor 'a': invalid shape: 1.5 is not an integer"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[\"2\"]", 0, 0))}"), "tensor 'a': 'shape' must be an array of non-negative integers"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[99999999999999999999]", 0, 0))}"), "is too large"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[4294967296, 4294967296]", 0, 0))}"), "shape [4294967296, 4294967296] is too large (the element count overflows)"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[4611686018427387904]", 0, 0))}"), "of F32 is too large (the byte size overflows)"),
            (safetensorsBytes("{\"a\":\(entry("F4", "[3]", 0, 2))}", data: [0, 0]), "does not fill a whole number of bytes"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[2]", 0, 8))}", data: [0, 0, 0, 0]), "data_offsets [0, 8] are out of range (the data buffer has 4 bytes)"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[0]", 4, 0))}", data: [0, 0, 0, 0]), "data_offsets [4, 0] begin after they end"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[2]", 0, 4))}", data: [0, 0, 0, 0]), "shape [2] of F32 needs 8 bytes but data_offsets [0, 4] span 4"),
            (safetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}"), "'data_offsets' must be an array [begin, end]"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[2]", 0, 8)),\"b\":\(entry("F32", "[2]", 4, 12))}", data: [UInt8](repeating: 0, count: 12)),
             "tensor 'b': data_offsets [4, 12] overlap tensor 'a' (which ends at 8)"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[1]", 0, 4)),\"b\":\(entry("F32", "[1]", 8, 12))}", data: [UInt8](repeating: 0, count: 12)),
             "leave a gap: bytes [4, 8) of the data buffer belong to no tensor"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[1]", 0, 4))}", data: [UInt8](repeating: 0, count: 8)), "the data buffer has 4 trailing bytes"),
            (safetensorsBytes("{\"a\":\(entry("F32", "[1]", 0, 4)),\"a\":\(entry("F32", "[1]", 4, 8))}", data: [UInt8](repeating: 0, count: 8)),
             "duplicate tensor name 'a' in the header"),
            (safetensorsBytes("{\"__metadata__\":{},\"__metadata__\":{}}"), "duplicate '__metadata__' in the header"),
            (safetensorsBytes("{\"__metadata__\":{\"k\":1}}"), "'__metadata__' value for 'k' must be a string"),
            (safetensorsBytes("{\"__metadata__\":[]}"), "'__metadata__' must be an object of strings"),
            (safetensorsBytes("{\"a\":\(entry("F33", "[0]", 0, 0))}"), "tensor 'a': unknown dtype 'F33'"),
            (safetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[0]}}"), "tensor 'a': missing 'data_offsets'"),
            (safetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\"}}"), "tensor 'a': duplicate key 'dtype'"),
            (safetensorsBytes("{\"a\":{\"dtype\":1}}"), "tensor 'a': 'dtype' must be a string"),
        ]
        for (bytes, expected) in cases {
            let message = openError(bytes, folder: folder)
            #expect(message?.hasPrefix(folder + "/w.safetensors: ") == true, "\(expected)")
            #expect(message?.contains(expected) == true, "expected '\(expected)', got '\(message ?? "success")'")
            // The Swift reader refuses the same files.
            #expect(swiftError { () throws(Diagnostic) in _ = try SafetensorsFile.decode(bytes, source: "w") } != nil, "\(expected)")
        }
    }

    @Test func messagesStayOneBoundedLine() {
        let folder = scratchFolder()
        let evil = "evil\u{1B}[31m\n\r\t\u{7F}\u{85}"
        let header = "{\(jsonStringLiteral(evil)):\(entry("F32", "[1]", 0, 4)),\(jsonStringLiteral(evil)):\(entry("F32", "[1]", 4, 8))}"
        let message = openError(safetensorsBytes(header, data: [UInt8](repeating: 0, count: 8)), folder: folder)
        #expect(message == folder + "/w.safetensors: duplicate tensor name 'evil\\x1b[31m\\n\\r\\t\\x7f\\u0085' in the header")

        // A long name is clipped; a long message ends in "..." within ATTEND_ERROR_SIZE.
        for unit in ["a", "é", "😀"] {
            let long = String(repeating: unit, count: 5000)
            let bytes = safetensorsBytes("{\(jsonStringLiteral(long)):1}")
            let clipped = openError(bytes, folder: folder) ?? ""
            #expect(clipped.hasSuffix("...': expected an object with 'dtype', 'shape' and 'data_offsets'"))
            #expect(!clipped.contains("\u{FFFD}"), "clipped inside a character")
        }
        // Many unexpected keys: the list is cut, and says so, within ATTEND_ERROR_SIZE.
        let names = (0..<100).map { "blocks.\($0).attention.qkv.weight" }
        let many = "{" + names.enumerated().map { "\(jsonStringLiteral($1)):\(entry("F32", "[1]", 4 * $0, 4 * $0 + 4))" }.joined(separator: ",") + "}"
        writeBytes(safetensorsBytes(many, data: [UInt8](repeating: 0, count: 400)), to: folder + "/many.safetensors")
        do {
            try Weights(path: folder + "/many.safetensors").checkUnexpected(known: [])
            Issue.record("expected unexpected keys")
        } catch {
            #expect(error.message.hasPrefix("unexpected keys: blocks.0.attention.qkv.weight, blocks.1.attention.qkv.weight, "))
            #expect(error.message.utf8.count == Int(ATTEND_ERROR_SIZE) - 1 && error.message.hasSuffix("..."))
        }
        #expect(openError([], folder: folder)?.contains("0 bytes is too short") == true)
        #expect(throws: RuntimeError(message: folder + "/missing.safetensors: cannot open the weights file (No such file or directory)")) {
            try Weights(path: folder + "/missing.safetensors")
        }
        #expect(throws: RuntimeError(message: folder + ": is a directory, not a file")) { try Weights(path: folder) }
    }
}
