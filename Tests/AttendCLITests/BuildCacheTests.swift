import AttendBasic
import Foundation
import Testing

/// The build cache after crashes and corruption: staging folders of killed builds are swept,
/// and a cached executable whose bytes no longer match the digest recorded at build time is
/// rebuilt instead of run (before, it was trusted until the user deleted the cache).
@Suite struct BuildCacheTests {
    static let model = """
        attend: 1
        name: tiny
        inputs: {x: [1, 4]}
        layers:
          - fc: {op: linear, out: 3}
          - relu

        """

    @Test func abandonedStagingIsRemovedAndCorruptedBuildsAreRebuilt() throws {
        let folder = CLI.folder()
        let cache = folder.appendingPathComponent("cache").path
        let spec = folder.appendingPathComponent("tiny.yaml")
        CLI.write(Self.model, to: spec)
        // A killed build's staging folder (no process has this number: above the PID limit).
        let abandoned = cache + "/tiny-0123.tmp-2147483000"
        try FileManager.default.createDirectory(atPath: abandoned, withIntermediateDirectories: true)

        let first = try CLI.run(["run", spec.path, "--output", folder.appendingPathComponent("a.npy").path], environment: ["ATTEND_CACHE": cache])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!FileManager.default.fileExists(atPath: abandoned))
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(entries.count == 1 && !entries[0].contains(".tmp-"), "\(entries)")

        // Corrupt the cached executable (keeping it executable): the next run rebuilds it.
        let executable = cache + "/" + entries[0] + "/tiny"
        let original = try #require(FileManager.default.contents(atPath: executable))
        var damaged = original
        damaged.replaceSubrange(0..<min(64, damaged.count), with: Data(repeating: 0, count: min(64, damaged.count)))
        #expect(FileManager.default.createFile(atPath: executable, contents: damaged, attributes: [.posixPermissions: 0o755]))
        let second = try CLI.run(["run", spec.path, "--output", folder.appendingPathComponent("b.npy").path], environment: ["ATTEND_CACHE": cache])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(FileManager.default.contents(atPath: executable) == original)
        let a = try NPY.read(path: folder.appendingPathComponent("a.npy").path)
        let b = try NPY.read(path: folder.appendingPathComponent("b.npy").path)
        #expect(a == b)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache) == entries)
    }
}
