import AttendBasic
import AttendRuntime
import Foundation
import Testing

/// A runtime call's error message.
struct RuntimeError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// An ATTEND_ERROR_SIZE buffer for one call; `text` reads the message written into it.
struct ErrorBuffer {
    var bytes = [CChar](repeating: 0x7F, count: Int(ATTEND_ERROR_SIZE))

    var text: String {
        bytes.withUnsafeBufferPointer { buffer in
            #expect(buffer.contains(0), "the message must be NUL-terminated within ATTEND_ERROR_SIZE")
            return String(cString: buffer.baseAddress!)
        }
    }
}

/// A fresh folder for one test's files.
func scratchFolder() -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-runtime-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

func writeBytes(_ bytes: [UInt8], to path: String) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

func readBytes(_ path: String) -> [UInt8] {
    [UInt8](FileManager.default.contents(atPath: path) ?? Data())
}

/// A safetensors image: the declared header length (or the real one), the header, the data.
func safetensorsBytes(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let text = Array(header.utf8)
    let length = declaredLength ?? UInt64(text.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + text + data
}

/// A safetensors image around raw header bytes (which need not be UTF-8).
func safetensorsBytes(raw header: [UInt8]) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) } + header
}

func littleEndianBytes(_ values: [UInt16]) -> [UInt8] {
    values.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
}

func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt32($0))) } }
}

func littleEndianBytes(_ values: [Double]) -> [UInt8] {
    values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * UInt64($0))) } }
}

/// NUL-terminated copies of `strings` for a `const char *const *` parameter.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// An open weights file, closed on deinit.
final class Weights {
    let handle: OpaquePointer

    init(path: String) throws(RuntimeError) {
        var error = ErrorBuffer()
        guard let handle = attend_weights_open(path, &error.bytes) else { throw RuntimeError(message: error.text) }
        #expect(error.text.isEmpty)
        self.handle = handle
    }

    deinit { attend_weights_close(handle) }

    /// The tensor's data pointer (for identity checks) and a copy of its values.
    func get(_ name: String, shape: [Int]) throws(RuntimeError) -> (pointer: UnsafePointer<Float>, values: [Float]) {
        var error = ErrorBuffer()
        var data: UnsafePointer<Float>?
        let dims = shape.map(Int64.init)
        let status = dims.withUnsafeBufferPointer { attend_weights_get(handle, name, Int32(shape.count), $0.baseAddress, &data, &error.bytes) }
        guard status == 0 else {
            #expect(data == nil)
            throw RuntimeError(message: error.text)
        }
        guard let data else { throw RuntimeError(message: "success without data") }
        let count = shape.reduce(1, *)
        return (data, Array(UnsafeBufferPointer(start: data, count: count)))
    }

    func values(_ name: String, shape: [Int]) throws(RuntimeError) -> [Float] {
        try get(name, shape: shape).values
    }

    func checkUnexpected(known: [String], ignored: [String] = []) throws(RuntimeError) {
        var error = ErrorBuffer()
        let status = withCStrings(known) { knownPointers in
            withCStrings(ignored) { ignoredPointers in
                attend_weights_check_unexpected(handle, knownPointers, Int32(known.count), ignoredPointers, Int32(ignored.count), &error.bytes)
            }
        }
        if status != 0 { throw RuntimeError(message: error.text) }
    }
}

/// The error `attend_weights_open` gives for these bytes (nil when it opens them).
func openError(_ bytes: [UInt8], folder: String, name: String = "w.safetensors") -> String? {
    let path = folder + "/" + name
    writeBytes(bytes, to: path)
    do {
        _ = try Weights(path: path)
        return nil
    } catch {
        return error.message
    }
}

/// The message of a Swift `Diagnostic` thrown by `body`, or nil.
func swiftError(_ body: () throws(Diagnostic) -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return error.message
    }
}

/// The repository root, found from this file.
let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

func bitPatterns(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
