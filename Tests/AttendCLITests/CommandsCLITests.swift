import AttendBasic
import Foundation
import Testing

/// Discoverability: `attend blocks`, progress lines, `attend opt` on a model file, and no
/// backend offered that does not exist.
struct CommandsCLITests {
    @Test func blocksListsTheLibrary() throws {
        let one = try CLI.run(["blocks", "cbam"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.hasPrefix("cbam (channel_spatial): timm.layers.cbam.CbamModule\n    args: rd_ratio=0.0625"))
        let all = try CLI.run(["blocks"])
        #expect(all.stdout.contains("resnet_stage (networks): timm.models.resnet.ResNet layerN"))
        let unknown = try CLI.run(["blocks", "cbma"])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown block 'cbma' (did you mean 'cbam'?)"))
    }

    @Test func progressGoesToStderrUnlessQuiet() throws {
        let small = ["run", "Models/se_resnet_block.yaml", "--set", "width=8", "--set", "size=6", "--backend", "interpreter"]
        let shown = try CLI.run(small + ["--progress"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stderr.contains("attend: elaborated Models/se_resnet_block.yaml: model 'se_resnet_block', 13 ops, 1,328 parameters ("))
        #expect(shown.stderr.contains("attend: ran the interpreter ("))
        #expect(shown.stdout.hasPrefix("act2: [1, 8, 6, 6]"))
        let quiet = try CLI.run(small + ["--progress", "--quiet"])
        #expect(quiet.stderr.isEmpty && quiet.stdout == shown.stdout)
        // Not a terminal and not asked for: no progress lines (so scripts see only results).
        #expect(try CLI.run(small).stderr.isEmpty)
    }

    @Test func optReadsAModelFile() throws {
        let result = try CLI.run(["opt", "Models/se_resnet_block.yaml", "--set", "width=8", "--set", "size=6", "--passes", "fold-batchnorm,dce"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("graph @se_resnet_block {\n  input %x : [1, 8, 6, 6]"))
        #expect(result.stdout.contains("fold"))
        let library = try CLI.run(["opt", "Models/library/channel/se.yaml", "--block", "se", "-O0"])
        #expect(library.status == 0 && library.stdout.contains("param @\"fc1.weight\""), "\(library.stderr)")
    }

    /// The timm-named specs: `sum(p.numel() for p in timm.create_model(NAME).parameters())`.
    @Test(arguments: [("seresnet18", "11,779,624"), ("seresnet34", "21,960,416"), ("seresnet50", "28,088,024"),
                      ("vit_tiny_patch16_224", "5,717,416"), ("vit_small_patch16_224", "22,050,664"), ("vit_base_patch16_224", "86,567,656"),
                      ("ecaresnet26t", "16,011,916"), ("ecaresnet50d", "25,576,350"), ("ecaresnet101d", "44,568,563"),
                      ("skresnet18", "11,958,056"), ("skresnet34", "22,282,376"),
                      ("resnest14d", "10,611,688"), ("resnest26d", "17,069,448"), ("resnest50d", "27,483,240"),
                      ("gcresnet50t", "25,897,080")])
    func timmNamedModelsHaveTimmsParameterCounts(_ name: String, _ count: String) throws {
        let result = try CLI.run(["check", "Models/timm/\(name).yaml", "-O0"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("parameters: \(count) in"), "\(result.stdout)")
    }

    @Test func theSwiftBackendIsNotOffered() throws {
        let help = try CLI.run(["run", "--help"])
        #expect(!help.stdout.contains("swift"))
        let refused = try CLI.run(["run", "Models/se_resnet_block.yaml", "--backend", "swift"])
        #expect(refused.status != 0 && refused.stderr.contains("'interpreter'"))
    }
}
