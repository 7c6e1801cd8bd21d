import AttendBasic
import Foundation
import Testing

/// Safetensors headers built to exhaust memory or flood messages are refused cheaply: a shape
/// longer than a tensor's rank limit stops the JSON parse at that item (before, a 100 MB
/// header with one 50-million-entry shape took 4.2 GB and 14 s), and names in messages are clipped.
@Suite struct SafetensorsLimitsTests {
    @Test func aShapeLongerThanTheRankLimitIsRefusedWhileParsing() {
        let dims = Array(repeating: "1", count: 2_000_000).joined(separator: ",")
        let image = safetensorsImage("{\"w\":{\"dtype\":\"F32\",\"shape\":[\(dims)],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])
        let clock = ContinuousClock()
        let start = clock.now
        expectDiagnostic("w.safetensors: error: safetensors header: an array has more than \(Limits.fileRank) items",
                         "a shape has at most \(Limits.fileRank) dimensions") { () throws(Diagnostic) in
            _ = try SafetensorsFile.decode(image, source: "w.safetensors")
        }
        #expect(clock.now - start < .seconds(10))
    }

    @Test func theRankLimitItselfIsAccepted() throws {
        let dims = Array(repeating: "1", count: Limits.fileRank).joined(separator: ",")
        let image = safetensorsImage("{\"w\":{\"dtype\":\"F32\",\"shape\":[\(dims)],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])
        let file = try SafetensorsFile.decode(image, source: "w.safetensors")
        #expect(file.entries.first?.shape.count == Limits.fileRank)
    }

    @Test func aHugeKeyIsClippedInMessages() {
        let key = String(repeating: "k", count: 1_000_000)
        let image = safetensorsImage("{\"\(key)\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])
        do {
            _ = try SafetensorsFile.decode(image, source: "w.safetensors")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.count < 300, "\(error.description.count) characters")
            #expect(error.description.contains(String(repeating: "k", count: Limits.nameInMessage) + "..."))
        }
    }

    @Test func anOversizedHeaderIsRefusedBeforeTheFileIsRead() throws {
        let path = temporaryPath("big.safetensors")
        // Declares a header one byte past the limit; the file itself is short.
        let declared = UInt64(Limits.safetensorsHeaderBytes + 1)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(safetensorsImage("{}", declaredLength: declared))))
        expectDiagnostic("\(path): error: safetensors header length \(declared) exceeds the limit of \(Limits.safetensorsHeaderBytes) bytes") { () throws(Diagnostic) in
            _ = try SafetensorsFile.read(path: path)
        }
    }
}
