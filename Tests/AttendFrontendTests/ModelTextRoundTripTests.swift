import AttendBasic
import AttendFrontend
import AttendIR
import Foundation
import Testing

/// Every example model prints as textual IR that parses back to the same graph.
struct ModelTextRoundTripTests {
    static let models = ["se_resnet_block", "cbam_bottleneck", "vit_block"]

    @Test(arguments: models)
    func modelsRoundTripThroughText(_ name: String) throws {
        let frontend = try #require(SpecHelpers.standard)
        let graph = try frontend.compile(path: SchemaTests.repository.appendingPathComponent("Models/\(name).yaml").path)
        let text = graph.text
        let parsed = try IRParser.parse(text, file: "\(name).ir")
        try Verifier.verify(parsed)
        #expect(parsed.text == text)
        #expect(parsed.parameters.map(\.name) == graph.parameters.map(\.name))
        #expect(parsed.parameters.map(\.isBuffer) == graph.parameters.map(\.isBuffer))
        #expect(parsed.nodes.map(\.op.name) == graph.nodes.map(\.op.name))
    }
}
