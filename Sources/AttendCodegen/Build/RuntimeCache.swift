import AttendBasic
import Foundation

/// The runtime's object files, compiled once per compiler, flags and runtime sources and
/// kept between builds: the runtime is the same for every model, and compiling it took as
/// long as a model's create/run code and load-time kernels together.
///
/// An entry is a folder `<root>/runtime-<key>` holding the objects and a manifest of their
/// digests; it is built in a staging folder and renamed into place, so concurrent builds
/// never see half of one, and an entry whose objects no longer match the manifest is
/// discarded and built again. When the cache cannot be written, builds compile the runtime
/// into their own folder as before.
struct RuntimeCache {
    /// `$ATTEND_RUNTIME_CACHE`, else `$XDG_CACHE_HOME/attend-runtime`, else
    /// `~/.cache/attend-runtime` (apart from `attend run`'s cache of executables).
    static var root: String { BuildCache.root(environmentVariable: "ATTEND_RUNTIME_CACHE", folder: "attend-runtime") }

    static let manifestName = "manifest"

    /// The entry's folder.
    let entry: String

    /// The entry for the runtime's files compiled by `compiler` with `arguments` (every flag
    /// but the file names). The path alone would miss an upgrade in place: the version, too,
    /// is part of the key; and `-march=native` means another instruction set on another
    /// machine sharing the cache, so then the macros it defines (`__AVX2__`...) are as well
    /// (nil, nothing cached, when the compiler cannot list them).
    init?(compiler: String, version: CompilerVersion, arguments: [String], runtime: [(name: String, contents: Data)], root: String = Self.root) {
        var hasher = StableHash()
        for text in [compiler, version.text] + arguments { hasher.add(text) }
        if arguments.contains(where: { $0.contains("native") }) {
            guard let macros = try? Subprocess.run(compiler, arguments + ["-E", "-dM", "-x", "c", "/dev/null"]), macros.status == 0 else { return nil }
            hasher.add(macros.stdout)
        }
        for file in runtime { hasher.add(file.name); hasher.add(file.contents) }
        entry = root + "/runtime-" + hasher.hex
    }

    /// The cached objects, by source name, when the entry exists and is intact.
    func objects(for sources: [String]) -> [String: String]? {
        guard let manifest = FileManager.default.contents(atPath: entry + "/" + Self.manifestName) else {
            if FileManager.default.fileExists(atPath: entry) { BuildCache.discard(entry) }
            return nil
        }
        let recorded = Self.parse(manifest)
        var objects: [String: String] = [:]
        for source in sources {
            let object = entry + "/" + Self.objectName(source)
            guard let digest = recorded[Self.objectName(source)], BuildCache.digest(ofFile: object) == digest else {
                BuildCache.discard(entry)
                return nil
            }
            objects[source] = object
        }
        return objects
    }

    /// Copies freshly compiled objects (by source name) into a new entry; best effort: a cache
    /// that cannot be written only means the next build compiles the runtime again.
    func store(_ objects: [String: String]) {
        let root = (entry as NSString).deletingLastPathComponent
        guard (try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)) != nil else { return }
        BuildCache.removeAbandonedStaging(in: root)
        let staging = BuildCache.staging(for: entry)
        guard (try? FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)) != nil else { return }
        var manifest = ""
        for (source, object) in objects.sorted(by: { $0.key < $1.key }) {
            let name = Self.objectName(source)
            guard (try? FileManager.default.copyItem(atPath: object, toPath: staging + "/" + name)) != nil,
                  let digest = BuildCache.digest(ofFile: staging + "/" + name) else {
                try? FileManager.default.removeItem(atPath: staging)
                return
            }
            manifest += name + " " + digest + "\n"
        }
        guard FileManager.default.createFile(atPath: staging + "/" + Self.manifestName, contents: Data(manifest.utf8)) else {
            try? FileManager.default.removeItem(atPath: staging)
            return
        }
        _ = BuildCache.publish(staging, as: entry)
    }

    /// `attend_runtime/json.c` -> `json.o`.
    static func objectName(_ source: String) -> String {
        String((source as NSString).lastPathComponent.dropLast(2)) + ".o"
    }

    static func parse(_ manifest: Data) -> [String: String] {
        var recorded: [String: String] = [:]
        for line in String(decoding: manifest, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2 { recorded[String(fields[0])] = String(fields[1]) }
        }
        return recorded
    }
}
