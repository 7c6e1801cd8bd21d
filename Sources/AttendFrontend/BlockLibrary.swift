import AttendBasic
import AttendIR
import AttendSpec
import Foundation

/// Every block a spec can call: the file's own blocks, blocks from its imports (paths
/// relative to the importing file), and the standard library under `Models/library`.
/// Ops and blocks share one namespace, so a block may not take a primitive op's name.
public struct BlockLibrary: Sendable {
    public private(set) var blocks: [String: BlockSpec] = [:]

    public init() {}

    /// The standard library: every `.yaml` file below `root`, in sorted path order.
    public static func standard(root: String) throws(Diagnostic) -> BlockLibrary {
        var library = BlockLibrary()
        for path in yamlFiles(below: root) {
            let file = try SpecParser.parse(path: path)
            try library.add(file.blocks, replacing: false)
        }
        return library
    }

    /// This library plus a spec file's imports and own blocks, which shadow library blocks.
    public func adding(file: SpecFile) throws(Diagnostic) -> BlockLibrary {
        var result = self
        var imported = BlockLibrary()
        var visited: Set<String> = [canonical(file.path)]
        try imported.addImports(of: file, visited: &visited)
        try result.add(Array(imported.blocks.values).sorted { $0.name.text < $1.name.text }, replacing: true)
        try result.add(file.blocks, replacing: true)
        return result
    }

    public func block(named name: String) -> BlockSpec? { blocks[name] }

    private mutating func addImports(of file: SpecFile, visited: inout Set<String>) throws(Diagnostic) {
        let directory = (file.path as NSString).deletingLastPathComponent
        for spec in file.imports {
            let path = spec.text.hasPrefix("/") ? spec.text : (directory as NSString).appendingPathComponent(spec.text)
            let key = canonical(path)
            if visited.contains(key) { continue }
            visited.insert(key)
            let imported: SpecFile
            do { imported = try SpecParser.parse(path: path) } catch where (error.location?.line ?? 0) == 0 {
                // A problem with the file as a whole (missing, not a regular file, too large)
                // is the import line's fault; errors inside the imported file keep their place.
                throw .error("cannot import '\(spec.text)': \(path): \(error.message)", at: spec.location)
            }
            try addImports(of: imported, visited: &visited)
            for block in imported.blocks {
                if let existing = blocks[block.name.text], existing.file != block.file {
                    throw .error("block '\(block.name.text)' is defined by two imports", at: block.location,
                                 notes: [.note("also defined here", at: existing.location)])
                }
                blocks[block.name.text] = block
            }
        }
    }

    private mutating func add(_ new: [BlockSpec], replacing: Bool) throws(Diagnostic) {
        var seen: [String: BlockSpec] = [:]
        for block in new {
            let name = block.name.text
            if OpRegistry.op(named: name) != nil {
                throw .error("block '\(name)' has the name of a primitive op", at: block.location)
            }
            if let earlier = seen[name] ?? (replacing ? nil : blocks[name]) {
                throw .error("block '\(name)' is defined twice", at: block.location,
                             notes: [.note("first defined here", at: earlier.location)])
            }
            seen[name] = block
            blocks[name] = block
        }
    }

    private func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    static func yamlFiles(below root: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") {
                paths.append((root as NSString).appendingPathComponent(relative))
            }
        }
        return paths.sorted()
    }
}
