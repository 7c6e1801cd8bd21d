import ArgumentParser
import AttendBasic
import AttendFrontend
import Foundation

/// `attend schema`: writes the JSON Schema of the spec language, generated from the op
/// registry and the standard block library, for editors (yaml-language-server).
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the JSON Schema for model files (Grammar/model.schema.json).")

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            let frontend = try ModelLoading.frontend()
            let text = SpecSchema.generate(library: frontend.standardLibrary)
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                    throw .error("cannot write file", at: .unknown(output))
                }
            } else {
                print(text, terminator: "")
            }
        }
    }
}
