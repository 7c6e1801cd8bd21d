import AttendCodegen
import AttendIR
import Testing

/// Every op in the registry conforms to `DirectLowering`: it lowers to C.
struct DirectLoweringTests {
    @Test func everyOpHasALowering() {
        let missing = AttendIR.OpRegistry.all.filter { !($0 is any DirectLowering) }.map(\.name)
        #expect(missing.isEmpty, "ops the C backend cannot lower: \(missing)")
    }
}
