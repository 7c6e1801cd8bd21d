import AttendBasic

/// LLVM FileCheck's core, for checking printed IR: `CHECK:` lines must match, in order, on
/// later lines of the output; `CHECK-NEXT:` on the line right after the previous match;
/// `CHECK-NOT:` must not match between the previous match and the next one (or the end).
/// `CHECK-LABEL:` is a `CHECK:` that also starts a new block for `CHECK-NOT`.
///
/// In a pattern, text matches literally, `{{regex}}` matches a regular expression,
/// `[[NAME:regex]]` matches the regex and binds NAME to the text matched, and `[[NAME]]`
/// matches exactly the text bound to NAME (so SSA numbers are captured, never hard-coded).
public struct FileCheck: Sendable {
    public enum Kind: String, Sendable { case check = "CHECK", next = "CHECK-NEXT", not = "CHECK-NOT", label = "CHECK-LABEL" }

    public struct Directive: Sendable {
        public var kind: Kind
        public var pattern: String
        /// The 1-based line of the directive in its file, for messages.
        public var line: Int
    }

    public var directives: [Directive]
    public var file: String

    /// Reads the directives (`// CHECK: ...` and friends; any comment prefix) of a test file.
    public init(checks text: String, file: String) throws(Diagnostic) {
        self.file = file
        directives = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let range = line.range(of: "CHECK") else { continue }
            let rest = line[range.lowerBound...]
            guard let colon = rest.firstIndex(of: ":") else { continue }
            let keyword = String(rest[..<colon])
            guard let kind = Kind(rawValue: keyword) else {
                if keyword.hasPrefix("CHECK-") || keyword == "CHECK" {
                    throw .error("unknown directive '\(keyword)' (CHECK, CHECK-NEXT, CHECK-NOT, CHECK-LABEL)",
                                 at: SourceLocation(file: file, line: number + 1, column: 1))
                }
                continue
            }
            let pattern = rest[rest.index(after: colon)...].trimmingCharacters(in: " \t")
            guard !pattern.isEmpty else {
                throw .error("\(keyword) has an empty pattern", at: SourceLocation(file: file, line: number + 1, column: 1))
            }
            directives.append(Directive(kind: kind, pattern: pattern, line: number + 1))
        }
    }

    /// Checks `output` against the directives; returns nil when it passes, otherwise one
    /// message naming the directive's line and what was expected and found.
    public func check(_ output: String) -> String? {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var variables: [String: String] = [:]
        var position = 0  // the first line a positive directive may match
        var pendingNot: [Directive] = []
        var lastMatched: Int? = nil
        for directive in directives {
            let compiled: CompiledPattern
            do { compiled = try CompiledPattern(directive.pattern, variables: variables) } catch {
                return "\(file):\(directive.line): \(directive.kind.rawValue): \(error.message)"
            }
            switch directive.kind {
            case .not:
                pendingNot.append(directive)
                continue
            case .next:
                guard let previous = lastMatched else {
                    return "\(file):\(directive.line): CHECK-NEXT has no previous match to follow"
                }
                let target = previous + 1
                guard target < lines.count, let bound = compiled.match(lines[target]) else {
                    let found = target < lines.count ? lines[target] : "<end of output>"
                    return "\(file):\(directive.line): CHECK-NEXT: expected \"\(directive.pattern)\" on the next line, found: \(found)"
                }
                if let failure = checkNots(pendingNot, lines: lines, from: position, to: target, variables: variables) { return failure }
                variables.merge(bound) { _, new in new }
                lastMatched = target
                position = target + 1
            case .check, .label:
                var found: (Int, [String: String])? = nil
                for index in position..<max(position, lines.count) {
                    if let bound = compiled.match(lines[index]) { found = (index, bound); break }
                }
                guard let (index, bound) = found else {
                    let near = position < lines.count ? " (searched from: \(lines[position]))" : ""
                    return "\(file):\(directive.line): \(directive.kind.rawValue): expected \"\(directive.pattern)\" not found\(near)"
                }
                if let failure = checkNots(pendingNot, lines: lines, from: position, to: index, variables: variables) { return failure }
                variables.merge(bound) { _, new in new }
                lastMatched = index
                position = index + 1
            }
            pendingNot = []
        }
        return checkNots(pendingNot, lines: lines, from: position, to: lines.count, variables: variables)
    }

    private func checkNots(_ nots: [Directive], lines: [String], from: Int, to: Int, variables: [String: String]) -> String? {
        for directive in nots {
            guard let compiled = try? CompiledPattern(directive.pattern, variables: variables) else {
                return "\(file):\(directive.line): CHECK-NOT: pattern uses an undefined variable"
            }
            for index in from..<max(from, min(to, lines.count)) where compiled.match(lines[index]) != nil {
                return "\(file):\(directive.line): CHECK-NOT: \"\(directive.pattern)\" matched line \(index + 1) of the output: \(lines[index])"
            }
        }
        return nil
    }
}

/// A directive pattern compiled to a regular expression with named groups for bindings.
struct CompiledPattern {
    let regex: Regex<AnyRegexOutput>
    /// Group name in the regex → FileCheck variable name.
    let bindings: [(group: String, variable: String)]

    init(_ pattern: String, variables: [String: String]) throws(Diagnostic) {
        var source = ""
        var bindings: [(String, String)] = []
        var rest = Substring(pattern)
        while !rest.isEmpty {
            if rest.hasPrefix("{{") {
                guard let end = rest.range(of: "}}") else { throw .error("'{{' without '}}'") }
                source += "(?:" + rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound] + ")"
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("[[") {
                guard let end = rest.range(of: "]]") else { throw .error("'[[' without ']]'") }
                let body = rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound]
                if let colon = body.firstIndex(of: ":") {
                    let name = String(body[..<colon])
                    guard Self.isVariableName(name) else { throw .error("'\(name)' is not a variable name") }
                    let group = "v\(bindings.count)"
                    source += "(?<\(group)>" + body[body.index(after: colon)...] + ")"
                    bindings.append((group, name))
                } else {
                    let name = String(body)
                    guard let value = variables[name] ?? bindings.first(where: { $0.1 == name }).map({ _ in nil }) ?? nil else {
                        throw .error("variable '\(name)' is used before it is defined")
                    }
                    source += Self.escape(value)
                }
                rest = rest[end.upperBound...]
            } else {
                let next = [rest.range(of: "{{")?.lowerBound, rest.range(of: "[[")?.lowerBound].compactMap { $0 }.min() ?? rest.endIndex
                source += Self.escape(String(rest[..<next]))
                rest = rest[next...]
            }
        }
        do { regex = try Regex(source) } catch { throw .error("invalid regular expression in pattern: \(error)") }
        self.bindings = bindings
    }

    /// The bindings of the first match in `line`, or nil.
    func match(_ line: String) -> [String: String]? {
        guard let match = try? regex.firstMatch(in: line) else { return nil }
        var bound: [String: String] = [:]
        for (group, variable) in bindings {
            if let text = match.output[group]?.substring { bound[variable] = String(text) }
        }
        return bound
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
