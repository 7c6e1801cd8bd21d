import AttendBasic
import AttendCodegen
import AttendFrontend
import AttendIR
import AttendOptimizer
import Foundation
import Testing

/// The optimizer's targets on every example network in Models/, at its default size: the
/// default pipeline (-O2) at least halves the kernel count relative to the primitive ops,
/// and the arena is within 10% of the schedule's peak live bytes and at most 3/4 of the
/// naive sum of all intermediates (a third to a tenth of it on whole networks).
struct OptimizedLayoutTests {
    static var models: [String] {
        let folder = CodegenTests.repository.appendingPathComponent("Models").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func everyExampleNetworkIsCovered() {
        #expect(Self.models.count >= 11)
    }

    @Test(arguments: models)
    func defaultPipelineMeetsTheTargets(_ model: String) throws {
        let frontend = try #require(CodegenTests.frontend)
        let graph = try frontend.compile(path: CodegenTests.repository.appendingPathComponent("Models/" + model).path)
        var optimized = graph
        try PassManager(options: PassOptions(level: .o2, verifyEach: true), report: { _ in }).run(&optimized)
        let (kernels, plan, _) = try CGenerator.layout(optimized, target: .portable)
        #expect(2 * kernels <= graph.nodes.count, "\(model): \(kernels) kernels from \(graph.nodes.count) ops")
        #expect(Double(plan.size) <= 1.1 * Double(plan.peakLive), "\(model): arena \(plan.size) vs peak \(plan.peakLive)")
        #expect(4 * plan.size <= 3 * plan.naiveSize, "\(model): arena \(plan.size) vs naive \(plan.naiveSize)")
    }
}
