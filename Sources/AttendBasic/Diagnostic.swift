/// Errors are values: a located, one-line message with optional notes.
/// Every error a user can cause (a spec, a weights file, a tensor file, a flag) is a
/// `Diagnostic`; the CLI prints it as `FILE:LINE:COL: error: MESSAGE` and exits 1.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    public var notes: [Diagnostic]

    public init(_ severity: Severity = .error, at location: SourceLocation?, _ message: String, notes: [Diagnostic] = []) {
        self.severity = severity
        self.location = location
        self.message = message
        self.notes = notes
    }

    public static func error(_ message: String, at location: SourceLocation? = nil, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.error, at: location, message, notes: notes)
    }

    public static func note(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
        Diagnostic(.note, at: location, message)
    }

    /// A copy that points at `location` when it has no location of its own.
    public func located(at location: SourceLocation?) -> Diagnostic {
        var copy = self
        if copy.location == nil { copy.location = location }
        return copy
    }

    /// The first line is the error; notes follow on their own lines.
    public var description: String {
        var lines = [Self.line(severity, location, message)]
        for note in notes { lines.append(Self.line(note.severity, note.location, note.message)) }
        return lines.joined(separator: "\n")
    }

    private static func line(_ severity: Severity, _ location: SourceLocation?, _ message: String) -> String {
        // Messages stay on one line whatever the input held (a hostile name may contain newlines).
        let flat = message.replacingNewlines()
        if let location { return "\(location): \(severity.rawValue): \(flat)" }
        return "attend: \(severity.rawValue): \(flat)"
    }
}

extension String {
    func replacingNewlines() -> String {
        escaping(self) { $0 == "\n" ? "\\n" : $0 == "\r" ? "\\r" : nil }
    }
}

/// "Did you mean" suggestions: the closest candidate by edit distance, if it is close enough.
public func closestMatch(to word: String, in candidates: some Sequence<String>) -> String? {
    var best: (name: String, distance: Int)?
    let limit = max(2, word.count / 3)
    for candidate in candidates {
        let d = editDistance(word.lowercased(), candidate.lowercased())
        if d <= limit, best == nil || d < best!.distance || (d == best!.distance && candidate < best!.name) {
            best = (candidate, d)
        }
    }
    return best?.name
}

/// A suffix for messages: ` (did you mean 'x'?)` or nothing.
public func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
    closestMatch(to: word, in: candidates).map { " (did you mean '\($0)'?)" } ?? ""
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
