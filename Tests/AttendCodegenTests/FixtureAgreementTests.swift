import AttendBasic
import AttendCodegen
import AttendFrontend
import AttendInterpreter
import AttendIR
import Foundation
import Testing

/// Every op case and every network of the PyTorch fixtures, through the C backend: the
/// generated code must agree with the interpreter (which agrees with PyTorch).
struct FixtureAgreementTests {
    static let fixtures = CodegenTests.repository.appendingPathComponent("Tests/Fixtures")

    static func cases(_ group: String) -> [String] {
        let folder = fixtures.appendingPathComponent(group).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter {
            FileManager.default.fileExists(atPath: "\(folder)/\($0)/model.yaml") || FileManager.default.fileExists(atPath: "\(folder)/\($0)/case.json")
        }.sorted()
    }

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
        return try frontend.compile(path: CodegenTests.repository.appendingPathComponent(model).path, overrides: settings.mapValues { "\($0)" })
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
        let expected = try Interpreter(graph: graph).run(parameters: parameters, inputs: inputs)
        let actual = try CBackendHarness.run(graph, parameters: parameters, inputs: inputs)
        for (output, reference) in expected {
            let tensor = try #require(actual[output])
            let problem = CBackendHarness.difference(tensor, reference)
            #expect(problem == nil, "\(name) \(output): \(problem ?? "")")
        }
    }
}
