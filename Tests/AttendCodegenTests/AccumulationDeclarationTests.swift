@testable import AttendCodegen
import AttendIR
import Testing

/// Direct lowerings declare whether they accumulate in their output and finalize regions
/// (`DirectLowering.finalizesRegions`), which the schedule reads instead of lowering each
/// node to find out: on every example network, every node's loops read back their output,
/// and announce finished regions of it, exactly when its op declares so.
struct AccumulationDeclarationTests {
    @Test(arguments: OptimizedLayoutTests.models)
    func declarationsAgreeWithTheLoops(_ model: String) throws {
        let graph = try FusionAgreementTests.optimized(model)
        let schedule = KernelSchedule(graph)
        var accumulating = 0
        for (index, node) in graph.nodes.enumerated() {
            guard let op = node.op as? any DirectLowering, let body = schedule.placeholderBody(index) else { continue }
            let declared = op.finalizesRegions(inputs: node.inputs.map(graph.shape(of:)), attributes: node.attributes)
            let output = Placeholder.output(0)
            #expect(body.contains { $0.reads(output) } == declared, "\(model): '\(node.layer)' (\(node.op.name)) reads back its output: \(!declared)")
            #expect(body.flatMap { $0.finalizedRegions(of: output) }.isEmpty != declared, "\(model): '\(node.layer)' (\(node.op.name)) finalizes regions: \(!declared)")
            if declared { accumulating += 1 }
        }
        #expect(accumulating > 0, "\(model): no node accumulates")
    }
}
