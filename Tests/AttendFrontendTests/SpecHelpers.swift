import AttendBasic
import AttendFrontend
import AttendIR
import Foundation

/// Writes spec text to a temporary file (so diagnostics carry a real path) and compiles it.
enum SpecHelpers {
    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("attend-frontend-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static let standard: Frontend? = try? Frontend(libraryRoot: Frontend.defaultLibraryRoot())

    /// Tests run in parallel: each spec gets a folder of its own (with any extra files beside it).
    @discardableResult
    static func write(_ text: String, name: String = "model.yaml", besides extra: [String: String] = [:]) -> String {
        let folder = directory.appendingPathComponent(UUID().uuidString)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (file, contents) in extra {
            _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(file).path, contents: Data(contents.utf8))
        }
        let path = folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    static func compile(_ text: String, name: String = "model.yaml", besides extra: [String: String] = [:],
                        overrides: [String: String] = [:], library: Bool = true) throws(Diagnostic) -> Graph {
        let path = write(text, name: name, besides: extra)
        let frontend = library ? (standard ?? (try? Frontend(libraryRoot: nil))!) : (try? Frontend(libraryRoot: nil))!
        return try frontend.compile(path: path, overrides: overrides)
    }

    /// The diagnostic a spec produces, or nil if it compiles.
    static func error(_ text: String, name: String = "model.yaml", overrides: [String: String] = [:]) -> Diagnostic? {
        do {
            _ = try compile(text, name: name, overrides: overrides)
            return nil
        } catch {
            return error
        }
    }
}
