import AttendBasic
import AttendRuntime
import Foundation
import Testing

/// Mutated safetensors files: the C reader must never crash, and must accept exactly the
/// files the Swift reader (AttendBasic) accepts, with the same float32 values.
@Suite struct WeightsFuzzTests {
    static let base: [UInt8] = {
        let header = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"a\":\(entry("F32", "[2, 2]", 0, 16)),\"b\":\(entry("F16", "[3]", 16, 22)),\"c\":\(entry("BF16", "[1]", 22, 24)),"
            + "\"d\":\(entry("I64", "[]", 24, 32)),\"e\":\(entry("F32", "[0, 3]", 32, 32))}"
        let data = littleEndianBytes([1, -2, 0.5, .infinity] as [Float]) + littleEndianBytes([0x3C00, 0x0001, 0xFC00] as [UInt16])
            + littleEndianBytes([0x3F80] as [UInt16]) + [UInt8](repeating: 7, count: 8)
        return safetensorsBytes(header, data: data)
    }()

    static let alphabet = Array("{}[]:,\"0123456789-.eE \\uF".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]

    @Test func agreesWithTheSwiftReader() throws {
        let folder = scratchFolder()
        var random = SeededRandom(seed: 2024)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }
        var accepted = 0
        for iteration in 0..<3000 {
            var bytes = Self.base
            let headerEnd = 8 + Int(bytes[0]) + Int(bytes[1]) << 8
            for _ in 0...below(3) {
                let position = 8 + below(headerEnd - 8)
                switch below(6) {
                case 0: bytes[position] = Self.alphabet[below(Self.alphabet.count)]
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(Self.alphabet[below(Self.alphabet.count)], at: position)
                case 3: bytes[below(8)] = UInt8(truncatingIfNeeded: random.next()) // the length
                case 4: bytes[min(bytes.count - 1, headerEnd + below(bytes.count - headerEnd))] ^= 0xFF // the data
                default: if bytes.count > headerEnd { bytes.removeLast() }
                }
            }
            let path = folder + "/f\(iteration % 8).safetensors"
            writeBytes(bytes, to: path)
            let swift = try? SafetensorsFile.decode(bytes, source: path)
            let weights = try? Weights(path: path)
            #expect((swift == nil) == (weights == nil), "iteration \(iteration): C \(weights == nil ? "rejects" : "accepts"), Swift \(swift == nil ? "rejects" : "accepts") \(bytes)")
            guard let swift, let weights else { continue }
            accepted += 1
            for entry in swift.entries {
                let c = Result { () throws(RuntimeError) in try weights.values(entry.name, shape: entry.shape) }
                if ["F32", "F16", "BF16"].contains(entry.dtype) {
                    let expected = try swift.tensor(named: entry.name).data
                    #expect((try? c.get()).map(bitPatterns) == bitPatterns(expected), "iteration \(iteration): \(entry.name)")
                } else {
                    #expect((try? c.get()) == nil)
                }
            }
        }
        #expect(accepted > 100, "the mutations should leave a fair share of files valid")
    }
}
