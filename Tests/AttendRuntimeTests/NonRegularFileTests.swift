import AttendRuntime
import Foundation
import Testing

/// Weights and .npy inputs that are FIFOs or devices: open() on a FIFO waits for a writer
/// (the compiled executable blocked forever) and /dev/zero never ends. The runtime refuses
/// anything but a regular file before reading, in the Swift readers' words.
@Suite struct NonRegularFileTests {
    static let refusal = "is not a regular file (a device, FIFO or socket cannot be read as one)"

    static func fifo() -> String {
        let path = scratchFolder() + "/pipe"
        #expect(mkfifo(path, 0o600) == 0)
        return path
    }

    @Test func weightsFromAFIFOOrDeviceAreRefusedWithoutBlocking() {
        for path in [Self.fifo(), "/dev/zero"] {
            #expect(throws: RuntimeError(message: "\(path): \(Self.refusal)")) { _ = try Weights(path: path) }
        }
    }

    @Test func npyInputsFromAFIFOOrDeviceAreRefusedWithoutBlocking() {
        for path in [Self.fifo(), "/dev/zero"] {
            #expect(throws: RuntimeError(message: "\(path): \(Self.refusal)")) { _ = try readNPY(path, shape: [2]) }
        }
    }
}
