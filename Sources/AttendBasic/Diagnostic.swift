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
        let text = location.map { "\($0): \(severity.rawValue): \(message)" } ?? "attend: \(severity.rawValue): \(message)"
        // Clipped before escaping too, so a megabyte message costs no more than a short one.
        let limit = Limits.messageCharacters
        return Limits.clipped(Limits.clipped(text, limit: limit).escapingControlCharacters(), limit: limit)
    }
}

extension String {
    /// The text safe to print on a terminal as one line: newline, carriage return and tab as
    /// `\n`, `\r`, `\t`, other C0 controls and DEL as `\xNN`, C1 controls as `\uNNNN` — so
    /// a hostile name (a spec layer, a tensor key, an .npy descr, a path) can neither break
    /// the line nor send escape sequences (ESC, BEL, CSI) to the terminal. The C runtime
    /// writes its messages with the same escapes (Sources/AttendRuntime/message.c).
    public func escapingControlCharacters() -> String {
        escaping(self) { scalar in
            switch scalar.value {
            case 0x0A: return "\\n"
            case 0x0D: return "\\r"
            case 0x09: return "\\t"
            case 0..<0x20, 0x7F: return "\\x" + String(repeating: "0", count: scalar.value < 0x10 ? 1 : 0) + String(scalar.value, radix: 16)
            case 0x80..<0xA0: return "\\u" + fourDigitHex(scalar)
            default: return nil
            }
        }
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
