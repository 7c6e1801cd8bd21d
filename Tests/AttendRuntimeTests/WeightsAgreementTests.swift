import AttendBasic
import AttendRuntime
import Foundation
import Testing

/// The C runtime and the Swift reader accept and refuse the same safetensors files with the
/// same words: F64 loads (rounded to float32) in both, the rank limit is the same number.
@Suite struct WeightsAgreementTests {
    @Test func f64LoadsRoundedToFloat32AsInTheSwiftReader() throws {
        let path = scratchFolder() + "/w.safetensors"
        let values: [Double] = [0.1, -1e-50, 3.4e39, 1.0 / 3.0]
        var data: [UInt8] = []
        for value in values { data += (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt64($0))) } }
        let image = safetensorsBytes("{\"w\":\(entry("F64", "[4]", 0, 32))}", data: data)
        writeBytes(image, to: path)
        let c = try Weights(path: path).values("w", shape: [4])
        let swift = try SafetensorsFile.decode(image, source: path).tensor(named: "w").data
        #expect(c.map(\.bitPattern) == swift.map(\.bitPattern))
        #expect(c == values.map { Float($0) })
    }

    @Test func unsupportedDtypesAreRefusedInTheSameWords() throws {
        let path = scratchFolder() + "/w.safetensors"
        let image = safetensorsBytes("{\"n\":\(entry("I64", "[]", 0, 8))}", data: [UInt8](repeating: 0, count: 8))
        writeBytes(image, to: path)
        let weights = try Weights(path: path)
        var cMessage = ""
        do { _ = try weights.get("n", shape: []) } catch { cMessage = error.message }
        do {
            _ = try SafetensorsFile.decode(image, source: path).tensor(named: "n")
            Issue.record("expected an error")
        } catch {
            #expect(error.message == cMessage)
        }
    }

    @Test func shapesPastTheRankLimitAreRefusedByBoth() throws {
        for rank in [Limits.fileRank, Limits.fileRank + 1, 1_000_000] {
            let path = scratchFolder() + "/w.safetensors"
            let dims = "[" + Array(repeating: "1", count: rank).joined(separator: ",") + "]"
            let image = safetensorsBytes("{\"w\":\(entry("F32", dims, 0, 4))}", data: [0, 0, 0, 0])
            writeBytes(image, to: path)
            let swiftAccepts = (try? SafetensorsFile.decode(image, source: path)) != nil
            var cAccepts = true
            do { _ = try Weights(path: path) } catch {
                cAccepts = false
                #expect(error.message.contains("more than \(Limits.fileRank) dimensions"), "\(error.message)")
            }
            #expect(swiftAccepts == (rank <= Limits.fileRank))
            #expect(cAccepts == swiftAccepts, "rank \(rank)")
        }
    }
}
