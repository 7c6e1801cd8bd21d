@testable import AttendCodegen
import AttendIR
import AttendOptimizer
import Foundation
import Testing

/// The fuse pass and code generation read one set of rules (`FusionRules`): on every example
/// network after the default pipeline, each group the pass forms is exactly one kernel of the
/// schedule, with every member in it (a window reduction excepted only when the anchor's
/// kernel does not finalize whole windows, which the pass cannot know).
struct FusionAgreementTests {
    @Test(arguments: OptimizedLayoutTests.models)
    func everyGroupThePassFormsIsOneKernel(_ model: String) throws {
        var graph = try Self.optimized(model)
        let strategies = try StrategySelection(&graph, target: .portable)
        let schedule = KernelSchedule(graph, strategies: strategies)
        var groups: [Int: [Int]] = [:]
        for (index, node) in graph.nodes.enumerated() { if let group = node.group { groups[group, default: []].append(index) } }
        #expect(!groups.isEmpty, "\(model): the pass formed no group")
        if model.hasPrefix("vit") || model.hasPrefix("detr") {
            #expect(!schedule.attention.isEmpty, "\(model): no attention group became an attention kernel")
        }
        let unitOf = Dictionary(schedule.units.flatMap { unit in unit.nodes.map { ($0, unit.anchor) } }, uniquingKeysWith: { a, _ in a })
        for (_, members) in groups.sorted(by: { $0.key < $1.key }) {
            let anchor = members[0]
            let unfused = members.filter { unitOf[$0] != anchor }
            let excused = unfused.allSatisfy { schedule.reductionWindow(graph.nodes[$0]) != nil && !schedule.reductionsFit(members) }
            #expect(unfused.isEmpty || excused,
                    "\(model): group of '\(graph.nodes[anchor].layer)' (\(members.map { graph.nodes[$0].op.name })) splits: \(unfused.map { graph.nodes[$0].layer })")
        }
    }

    /// Example network `model` after the default pipeline.
    static func optimized(_ model: String) throws -> Graph {
        let frontend = try #require(CodegenTests.frontend)
        var graph = try frontend.compile(path: CodegenTests.repository.appendingPathComponent("Models/" + model).path)
        try PassManager(options: PassOptions(level: .o2), report: { _ in }).run(&graph)
        return graph
    }
}
