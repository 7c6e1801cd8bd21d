import AttendBasic

/// An expression of the spec language: a Python 3 subset for computing sizes and
/// arguments from parameters (`make_divisible(C * 0.25)`, `C // heads if heads else 1`).
/// The grammar is `Grammar/expressions.ebnf`; values follow Python exactly, except that
/// integers are 64-bit and overflow is an error.
public struct Expression: Sendable, CustomStringConvertible {
    /// The source text.
    public let description: String
    /// Where the text starts in its file; token offsets are added to its column.
    let location: SourceLocation
    let root: ExprNode
    /// Free variable names the expression reads (for dependency ordering of params/lets).
    public let names: Set<String>

    /// Parses `text`; `location` is where the text starts in the YAML file (errors point at
    /// the offending token's column = location.advanced(by: offset)).
    public static func parse(_ text: String, at location: SourceLocation) throws(Diagnostic) -> Expression {
        do {
            return Expression(text: text, location: location, root: try ExprParser.parse(text))
        } catch {
            throw Diagnostic.error("bad expression '\(Expression.shortened(text))': \(error.message)", at: location.advanced(by: error.offset ?? 0))
        }
    }

    private init(text: String, location: SourceLocation, root: ExprNode) {
        self.description = text
        self.location = location
        self.root = root
        var names = Set<String>()
        root.collectNames(into: &names)
        self.names = names
    }

    /// Evaluates with Python semantics; `scope` maps names to values. Unknown names are
    /// errors with a did-you-mean over scope's keys.
    public func evaluate(in scope: [String: ExprValue]) throws(Diagnostic) -> ExprValue {
        do {
            return try root.evaluate(in: scope)
        } catch {
            throw Diagnostic.error("cannot evaluate '\(Expression.shortened(description))': \(error.message)", at: location.advanced(by: error.offset ?? root.offset))
        }
    }

    /// The text for messages: cut short when it is long (hostile input can be megabytes).
    private static func shortened(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard scalars.count > 120 else { return text }
        var short = ""
        short.unicodeScalars.append(contentsOf: scalars.prefix(100))
        return short + "..."
    }
}
