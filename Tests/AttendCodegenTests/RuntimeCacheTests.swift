@testable import AttendCodegen
import Foundation
import Testing

/// The cache of compiled runtime objects: keyed by everything that decides the objects, and
/// never trusted once an object no longer matches what was stored.
struct RuntimeCacheTests {
    static let runtime: [(name: String, contents: Data)] = [("a.c", Data("int a;".utf8)), ("b.c", Data("int b;".utf8))]
    static let sources = ["attend_runtime/a.c", "attend_runtime/b.c"]

    static func folder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("attend-runtime-cache-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Fake objects `a.o` and `b.o` in a fresh build folder, by source name.
    static func objects() -> [String: String] {
        let build = folder()
        var objects: [String: String] = [:]
        for source in sources {
            let path = build + "/" + RuntimeCache.objectName(source)
            _ = FileManager.default.createFile(atPath: path, contents: Data("object of \(source)".utf8))
            objects[source] = path
        }
        return objects
    }

    static func cache(root: String, flags: [String] = ["-O2"], version: String = "gcc 12 Free Software Foundation",
                      runtime: [(name: String, contents: Data)] = runtime) -> RuntimeCache {
        RuntimeCache(compiler: "/usr/bin/cc", version: CompilerVersion(text: version), arguments: flags, runtime: runtime, root: root)!
    }

    @Test func storedObjectsAreFoundAgainUnderTheSameKeyOnly() throws {
        let root = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = Self.cache(root: root)
        #expect(cache.objects(for: Self.sources) == nil)
        cache.store(Self.objects())
        let found = try #require(cache.objects(for: Self.sources))
        #expect(Set(found.keys) == Set(Self.sources))
        #expect(FileManager.default.contents(atPath: found["attend_runtime/a.c"]!) == Data("object of attend_runtime/a.c".utf8))
        // Other flags, another compiler version or changed runtime sources: another entry.
        #expect(Self.cache(root: root, flags: ["-O1"]).objects(for: Self.sources) == nil)
        #expect(Self.cache(root: root, version: "gcc 13 Free Software Foundation").objects(for: Self.sources) == nil)
        #expect(Self.cache(root: root, runtime: [("a.c", Data("int a2;".utf8)), ("b.c", Data("int b;".utf8))]).objects(for: Self.sources) == nil)
        // No staging folder is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).count == 1)
    }

    @Test func aDamagedEntryIsDiscardedAndRebuilt() throws {
        let root = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cache = Self.cache(root: root)
        cache.store(Self.objects())
        let found = try #require(cache.objects(for: Self.sources))
        // A truncated object: the entry is no longer used, and is removed.
        #expect(FileManager.default.createFile(atPath: found["attend_runtime/b.c"]!, contents: Data("obj".utf8)))
        #expect(cache.objects(for: Self.sources) == nil)
        #expect(!FileManager.default.fileExists(atPath: cache.entry))
        // The next build stores it again.
        cache.store(Self.objects())
        #expect(cache.objects(for: Self.sources) != nil)
    }

    @Test func anUnwritableCacheOnlyMeansNothingIsCached() throws {
        let root = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // The cache root is a file: nothing can be created under it.
        let blocked = root + "/file"
        _ = FileManager.default.createFile(atPath: blocked, contents: Data())
        let cache = Self.cache(root: blocked)
        cache.store(Self.objects())
        #expect(cache.objects(for: Self.sources) == nil)
    }

    @Test func nativeBuildsAreKeyedByTheInstructionSetTheyTarget() throws {
        // A stand-in compiler whose predefined macros are those of the machine in `isa`.
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let compiler = folder + "/cc"
        #expect(FileManager.default.createFile(atPath: compiler, contents: Data("#!/bin/sh\ncat \"$(dirname \"$0\")/isa\"\n".utf8),
                                               attributes: [.posixPermissions: 0o755]))
        func entry(_ isa: String, _ flags: [String]) throws -> String {
            #expect(FileManager.default.createFile(atPath: folder + "/isa", contents: Data("#define \(isa) 1\n".utf8)))
            let cache = try #require(RuntimeCache(compiler: compiler, version: CompilerVersion(text: "gcc"), arguments: flags, runtime: Self.runtime, root: folder))
            return cache.entry
        }
        // -march=native: another instruction set, another entry; the same one, the same entry.
        #expect(try entry("__AVX2__", ["-march=native", "-O2"]) != entry("__AVX512F__", ["-march=native", "-O2"]))
        #expect(try entry("__AVX2__", ["-march=native", "-O2"]) == entry("__AVX2__", ["-march=native", "-O2"]))
        // Without it the objects do not depend on the machine.
        #expect(try entry("__AVX2__", ["-O2"]) == entry("__AVX512F__", ["-O2"]))
    }

    @Test func compilersAreToldApartByTheirVersion() {
        #expect(CompilerVersion(text: "gcc (Debian 12.2.0-14) 12.2.0\nCopyright (C) 2022 Free Software Foundation, Inc.").isGCC)
        #expect(!CompilerVersion(text: "clang version 21.0.0\nTarget: x86_64-unknown-linux-gnu").isGCC)
        #expect(CSourceFile.Optimization.run.flags(for: nil) == ["-O3"])
        #expect(CSourceFile.Optimization.run.flags(for: CompilerVersion(text: "clang version 21.0.0")) == ["-O3"])
    }
}
