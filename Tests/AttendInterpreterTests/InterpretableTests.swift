import AttendInterpreter
import AttendIR
import Testing

/// Every op in the registry conforms to `Interpretable`, with a reference kernel: the interpreter is the oracle for all.
struct InterpretableTests {
    @Test func everyOpHasAKernel() {
        let missing = OpRegistry.all.filter { !($0 is any Interpretable) }.map(\.name)
        #expect(missing.isEmpty, "ops without a reference kernel: \(missing)")
        #expect(OpRegistry.all.count >= 45)
    }
}
