import Foundation

/// Finds a folder that ships with Attend (the block library, the C runtime): the path in
/// `environmentVariable` when set, else `relativePath` in the nearest folder above the running
/// executable or above the calling source file (a build tree), whichever has `marker` in it.
public func locateBundledFolder(_ relativePath: String, marker: String, environmentVariable: String,
                                sourceFile: String = #filePath) -> String? {
    if let explicit = ProcessInfo.processInfo.environment[environmentVariable], !explicit.isEmpty { return explicit }
    let starts = [URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent(),
                  URL(fileURLWithPath: sourceFile).deletingLastPathComponent()]
    for start in starts {
        var folder = start
        for _ in 0..<8 {
            let candidate = folder.appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(marker).path) { return candidate.path }
            folder = folder.deletingLastPathComponent()
        }
    }
    return nil
}
