import AttendBasic
import AttendCodegen
import AttendFrontend
import AttendInterpreter
import AttendIR
import AttendSpec
import AttendOptimizer
import Foundation
import Testing

/// Every op case and every network of the PyTorch fixtures, through the optimizer (-O3,
/// verifying after each pass) and the C backend: the generated code must agree with the
/// interpreter on the unoptimized graph (which agrees with PyTorch).
struct FixtureAgreementTests {
    static let fixtures = CodegenTests.repository.appendingPathComponent("Tests/Fixtures")

    static func cases(_ group: String) -> [String] {
        let folder = fixtures.appendingPathComponent(group).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter {
            FileManager.default.fileExists(atPath: "\(folder)/\($0)/model.yaml") || FileManager.default.fileExists(atPath: "\(folder)/\($0)/case.json")
        }.sorted()
    }

    static let pytorch = Tolerance(absolute: 1e-4, relative: 1e-5)

    @Test func opCasesArePresent() {
        #expect(Self.cases("ops").count >= 100)
    }

    /// A case's graph: its `model.yaml`, or the Models/ file and `--set` overrides of its `case.json`.
    static func graph(_ folder: String) throws -> Graph {
        let frontend = try #require(CodegenTests.frontend)
        guard let data = FileManager.default.contents(atPath: folder + "/case.json") else {
            return try frontend.compile(path: folder + "/model.yaml")
        }
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let model = try #require(object["model"] as? String)
        let settings = (object["set"] as? [String: Any]) ?? [:]
        let path = CodegenTests.repository.appendingPathComponent(model).path
        if let block = object["block"] as? String { return try frontend.exampleGraph(block: block, in: try SpecParser.parse(path: path)) }
        return try frontend.compile(path: path, overrides: settings.mapValues { "\($0)" })
    }

    @Test(arguments: cases("ops") + cases("blocks").map { "../blocks/" + $0 } + cases("networks").map { "../networks/" + $0 })
    func agreesWithTheInterpreter(_ name: String) throws {
        let folder = Self.fixtures.appendingPathComponent("ops/" + name).standardized.path
        let graph = try Self.graph(folder)
        let weightsPath = folder + "/weights.safetensors"
        let parameters = FileManager.default.fileExists(atPath: weightsPath) ? try Weights.load(path: weightsPath, for: graph) : [:]
        let inputFile = try SafetensorsFile.read(path: folder + "/inputs.safetensors")
        var inputs: [String: Tensor] = [:]
        for entry in inputFile.entries { inputs[entry.name] = try inputFile.tensor(named: entry.name) }
        var optimized = graph
        try PassManager(options: PassOptions(level: .o3, verifyEach: true), report: { _ in }).run(&optimized)
        // The backends agree on the same (optimized) graph to rounding...
        let expected = try Interpreter(graph: optimized).run(parameters: parameters, inputs: inputs)
        let actual = try CBackendHarness.run(optimized, parameters: parameters, inputs: inputs)
        for (output, reference) in expected {
            let tensor = try #require(actual[output])
            let problem = CBackendHarness.tolerance.mismatch(tensor, reference)
            #expect(problem == nil, "\(name) \(output): \(problem ?? "")")
        }
        // ...and the optimized C still matches PyTorch (folding reassociates float sums, so
        // this is the fixtures' 1e-4 absolute, not the backends' 1e-5).
        let torch = try SafetensorsFile.read(path: folder + "/outputs.safetensors")
        #expect(!torch.entries.isEmpty, "\(name): no PyTorch outputs recorded")
        for entry in torch.entries {
            let reference = try torch.tensor(named: entry.name)
            let tensor = try #require(actual[entry.name], "\(name): C produced no output '\(entry.name)'")
            let problem = Self.pytorch.mismatch(tensor, reference)
            #expect(problem == nil, "\(name) \(entry.name), optimized C vs PyTorch: \(problem ?? "")")
        }
    }
}
