import AttendInterpreter
import AttendIR
import Testing

/// Every op in the registry has a reference kernel: the interpreter is the oracle for all.
struct KernelTableTests {
    @Test func everyOpHasAKernel() {
        let missing = OpRegistry.all.filter { KernelTable.kernel(for: $0) == nil }.map(\.name)
        #expect(missing.isEmpty, "ops without a reference kernel: \(missing)")
        #expect(OpRegistry.all.count >= 45)
    }
}
