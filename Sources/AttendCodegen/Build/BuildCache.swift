import Foundation

/// Folders of build products kept between runs (`attend run`'s executables, the compiled
/// runtime): where they live, how a new entry is put in place without a concurrent build
/// ever seeing it half-written, and how the leftovers of killed builds are swept.
public enum BuildCache {
    /// `$VARIABLE` if set, else `$XDG_CACHE_HOME/<folder>`, else `~/.cache/<folder>`.
    public static func root(environmentVariable: String, folder: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment[environmentVariable], !explicit.isEmpty { return explicit }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/" + folder
    }

    /// Entries are built in `ENTRY.tmp-PID` and renamed into place when complete.
    public static let stagingMarker = ".tmp-"

    /// A fresh private folder in which to build `entry` (an absolute path in a cache root).
    public static func staging(for entry: String) -> String {
        let staging = entry + stagingMarker + "\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: staging)
        return staging
    }

    /// Moves a complete `staging` folder to `entry`; false when that fails (another build put
    /// its own there first, or the cache is read-only). `staging` is gone either way.
    public static func publish(_ staging: String, as entry: String) -> Bool {
        if (try? FileManager.default.moveItem(atPath: staging, toPath: entry)) != nil { return true }
        try? FileManager.default.removeItem(atPath: staging)
        return false
    }

    /// Removes `entry` atomically (renamed aside first, so a concurrent reader never sees a
    /// half-deleted folder) when it is damaged.
    public static func discard(_ entry: String) {
        let aside = entry + ".corrupt-\(ProcessInfo.processInfo.processIdentifier)"
        if (try? FileManager.default.moveItem(atPath: entry, toPath: aside)) != nil {
            try? FileManager.default.removeItem(atPath: aside)
        }
    }

    /// Staging folders (`NAME.tmp-PID`) whose build was killed: the process is gone, or the
    /// folder is a day old (the number may belong to a new process by now).
    public static func removeAbandonedStaging(in root: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: root) else { return }
        for name in names {
            guard let marker = name.range(of: stagingMarker, options: .backwards),
                  let pid = Int32(name[marker.upperBound...]), pid != ProcessInfo.processInfo.processIdentifier else { continue }
            let path = root + "/" + name
            let age = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date).map { -$0.timeIntervalSinceNow } ?? 0
            let alive = kill(pid, 0) == 0 || errno == EPERM
            if !alive || age > 86_400 { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// The content hash of a file's bytes, or nil if it cannot be read.
    public static func digest(ofFile path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var hasher = StableHash()
        hasher.add(data)
        return hasher.hex
    }
}

/// FNV-1a, 128 bits as two 64-bit lanes: a stable content hash for cache keys.
public struct StableHash: Sendable {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x8422_2325_cbf2_9ce4

    public init() {}

    public mutating func add(_ text: String) { add(Data(text.utf8)); add(Data([0])) }

    public mutating func add(_ data: Data) {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for byte in bytes {
                a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
                b = (b ^ UInt64(byte)) &* 0x0000_0001_0000_01b3 ^ (b >> 29)
            }
        }
    }

    public var hex: String { String(a, radix: 16) + String(b, radix: 16) }
}
