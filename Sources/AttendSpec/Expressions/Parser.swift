import AttendBasic

/// Recursive descent over the grammar in `Grammar/expressions.ebnf`, with precedence
/// climbing for the binary operators. Function calls are checked here (known name, argument
/// count, keywords), so such mistakes surface when a spec is read, not when it is used.
struct ExprParser {
    /// How many levels of nesting (brackets, unary operators, `**`, `not`, conditionals)
    /// the parser follows before giving up; keeps hostile input from exhausting the stack
    /// (each level costs a few stack frames; a debug build uses a few KiB per level).
    static let maxDepth = 100

    /// Python keywords the language does not have: they cannot be variable names either.
    static let unsupportedKeywords: Set<String> = [
        "in", "is", "lambda", "for", "while", "def", "class", "return", "import", "from", "as", "with",
        "yield", "await", "async", "pass", "break", "continue", "del", "global", "nonlocal", "assert",
        "raise", "try", "except", "finally", "elif",
    ]

    private let tokens: [ExprToken]
    private var index = 0
    private var depth = 0

    private init(tokens: [ExprToken]) {
        self.tokens = tokens
    }

    static func parse(_ text: String) throws(ExprFailure) -> ExprNode {
        var parser = ExprParser(tokens: try ExprLexer.tokenize(text))
        if parser.current.kind == .end { throw ExprFailure("empty expression", at: 0) }
        let node = try parser.expression()
        let token = parser.current
        switch token.kind {
        case .end: return node
        case .symbol(")"), .symbol("]"): throw ExprFailure("unmatched '\(token.spelling)'", at: token.offset)
        default: throw parser.unexpected(token)
        }
    }

    // MARK: Tokens

    /// The token at hand; the token list always ends with `.end`, which is never passed.
    private var current: ExprToken { tokens[index] }

    @discardableResult
    private mutating func advance() -> ExprToken {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }
    private func isKeyword(_ keyword: String) -> Bool { current.kind == .keyword(keyword) }

    private func unexpected(_ token: ExprToken, expecting: String? = nil) -> ExprFailure {
        var message: String
        switch token.kind {
        case .name(let name) where ExprParser.unsupportedKeywords.contains(name):
            message = "'\(name)' is not supported in expressions"
        case .symbol("="):
            message = "unexpected '=' (use '==' to compare)"
        default:
            message = "unexpected \(token.quoted)"
        }
        if let expecting { message += " (expected \(expecting))" }
        return ExprFailure(message, at: token.offset)
    }

    private mutating func enter() throws(ExprFailure) {
        depth += 1
        if depth > ExprParser.maxDepth {
            throw ExprFailure("expression is nested too deeply (more than \(ExprParser.maxDepth) levels)", at: current.offset)
        }
    }

    /// Consumes `closer`, or explains why the bracket opened at `opener` is not closed.
    private mutating func close(_ closer: String, opener: ExprToken, expecting: String) throws(ExprFailure) {
        if isSymbol(closer) {
            advance()
            return
        }
        switch current.kind {
        case .end:
            throw ExprFailure("'\(opener.spelling)' was never closed", at: opener.offset)
        case .symbol(")"), .symbol("]"):
            throw ExprFailure("closing '\(current.spelling)' does not match opening '\(opener.spelling)'", at: current.offset)
        default:
            throw unexpected(current, expecting: expecting)
        }
    }

    // MARK: Grammar
    //
    // Precedence climbing over the levels of `Grammar/expressions.ebnf`, so that a bracket
    // costs a handful of stack frames rather than one per precedence level, and runs of
    // operators on one level become one flat node (`a + b - c` is one `ArithmeticBody`).

    /// Binary operator levels, loosest first. `not` sits between `and` and comparisons: it
    /// may start an operand parsed at level `comparison` or looser. Unary `+`/`-` and `**`
    /// bind tighter than all binary operators.
    private enum Level {
        static let or = 1, and = 2, not = 3, comparison = 4, sum = 5, term = 6, unary = 7
    }

    /// The level of the binary operator at hand, if it is one.
    private var binaryLevel: Int? {
        switch current.kind {
        case .keyword("or"): return Level.or
        case .keyword("and"): return Level.and
        case .symbol("<"), .symbol("<="), .symbol(">"), .symbol(">="), .symbol("=="), .symbol("!="): return Level.comparison
        case .symbol("+"), .symbol("-"): return Level.sum
        case .symbol("*"), .symbol("/"), .symbol("//"), .symbol("%"): return Level.term
        default: return nil
        }
    }

    /// `expression ::= disjunction ["if" disjunction "else" expression]`
    private mutating func expression() throws(ExprFailure) -> ExprNode {
        try enter()
        defer { depth -= 1 }
        let then = try binary(Level.or)
        guard isKeyword("if") else { return then }
        return try conditional(then)
    }

    private mutating func conditional(_ then: ExprNode) throws(ExprFailure) -> ExprNode {
        let ifToken = advance()
        let condition = try binary(Level.or)
        guard isKeyword("else") else {
            if current.kind == .end || isSymbol(")") || isSymbol("]") || isSymbol(",") {
                throw ExprFailure("expected 'else' after 'if' expression", at: current.offset)
            }
            throw unexpected(current, expecting: "'else'")
        }
        advance()
        let otherwise = try expression()
        return try ExprNode(ConditionalBody(then: then, condition: condition, otherwise: otherwise), at: ifToken.offset)
    }

    /// An operand followed by binary operators of level `minimum` or tighter: the
    /// `disjunction`, `conjunction`, `comparison`, `sum` and `term` rules.
    private mutating func binary(_ minimum: Int) throws(ExprFailure) -> ExprNode {
        let left = try prefixed(minimum)
        guard let level = binaryLevel, level >= minimum else { return left }
        return try runs(from: left, minimum)
    }

    /// The `disjunction`, `conjunction`, `comparison`, `sum` and `term` rules: runs of
    /// binary operators, each run one flat node. Operators tighter than a run's level were
    /// consumed by its operands' own calls, so a run ends at a looser operator, which then
    /// starts the next run with everything so far as its first operand.
    private mutating func runs(from first: ExprNode, _ minimum: Int) throws(ExprFailure) -> ExprNode {
        var left = first
        while let level = binaryLevel, level >= minimum {
            var operands = [left]
            var operators: [ExprToken] = []
            while binaryLevel == level {
                operators.append(advance())
                operands.append(try binary(level + 1))
            }
            left = try run(level, operands, operators)
        }
        return left
    }

    private func run(_ level: Int, _ operands: [ExprNode], _ operators: [ExprToken]) throws(ExprFailure) -> ExprNode {
        let offset = operators.first?.offset ?? operands[0].offset
        switch level {
        case Level.or, Level.and:
            return try ExprNode(LogicalBody(operands: operands, isOr: level == Level.or), at: offset)
        case Level.comparison:
            var rest: [ExprComparison] = []
            for (token, operand) in zip(operators, operands.dropFirst()) {
                guard let op = ExprComparisonOperator(rawValue: token.spelling) else { throw unexpected(token) }
                rest.append(ExprComparison(op: op, operand: operand, offset: token.offset))
            }
            return try ExprNode(ComparisonBody(first: operands[0], rest: rest), at: offset)
        default:
            var rest: [ExprOperation] = []
            for (token, operand) in zip(operators, operands.dropFirst()) {
                guard let op = ExprBinaryOperator(rawValue: token.spelling) else { throw unexpected(token) }
                rest.append(ExprOperation(op: op, operand: operand, offset: token.offset))
            }
            return try ExprNode(ArithmeticBody(first: operands[0], rest: rest), at: offset)
        }
    }

    /// `inversion ::= "not" inversion | comparison` where the level allows it (`a < not b`
    /// is an error, as in Python); `factor ::= ("+" | "-") factor | power`; `power`.
    /// (A dispatcher with few locals: it is on the recursive path of every bracket.)
    private mutating func prefixed(_ minimum: Int) throws(ExprFailure) -> ExprNode {
        if isKeyword("not") { return try inversion(minimum) }
        if isSymbol("-") { return try negation(.minus) }
        if isSymbol("+") { return try negation(.plus) }
        let base = try primary()
        guard isSymbol("**") else { return base }
        return try exponent(base)
    }

    private mutating func inversion(_ minimum: Int) throws(ExprFailure) -> ExprNode {
        guard minimum <= Level.comparison else { throw unexpected(current) }
        let token = advance()
        try enter()
        defer { depth -= 1 }
        return try ExprNode(NotBody(operand: try binary(Level.comparison)), at: token.offset)
    }

    private mutating func negation(_ op: ExprUnaryOperator) throws(ExprFailure) -> ExprNode {
        let token = advance()
        try enter()
        defer { depth -= 1 }
        return try ExprNode(UnaryBody(op: op, operand: try prefixed(Level.unary)), at: token.offset)
    }

    /// `power ::= primary ["**" factor]`: right-associative, tighter than a unary minus on
    /// its left (`-2**2 == -4`) but not on its right (`2**-1 == 0.5`).
    private mutating func exponent(_ base: ExprNode) throws(ExprFailure) -> ExprNode {
        let token = advance()
        try enter()
        defer { depth -= 1 }
        let exponent = ExprOperation(op: .power, operand: try prefixed(Level.unary), offset: token.offset)
        return try ExprNode(ArithmeticBody(first: base, rest: [exponent]), at: token.offset)
    }

    /// `primary ::= atom | call | "(" expression ")" | list`
    private mutating func primary() throws(ExprFailure) -> ExprNode {
        if isSymbol("(") {
            let open = advance()
            let inner = try expression()
            try close(")", opener: open, expecting: "')'")
            return inner
        }
        if isSymbol("[") { return try list() }
        if isCall { return try call() }
        return try atom()
    }

    private var isCall: Bool {
        guard case .name = current.kind else { return false }
        return tokens[index + 1].kind == .symbol("(")
    }

    /// `list ::= "[" [expression ("," expression)* [","]] "]"`
    private mutating func list() throws(ExprFailure) -> ExprNode {
        let open = advance()
        var items: [ExprNode] = []
        while !isSymbol("]") {
            items.append(try expression())
            guard isSymbol(",") else { break }
            advance()
        }
        try close("]", opener: open, expecting: "',' or ']'")
        return try ExprNode(ListBody(items: items), at: open.offset)
    }

    /// `atom ::= NUMBER | STRING | "True" | "False" | "None" | "true" | "false" | NAME`
    private mutating func atom() throws(ExprFailure) -> ExprNode {
        let token = current
        let value: ExprValue
        switch token.kind {
        case .number(let number): value = number
        case .string(let text): value = .string(text)
        case .keyword("True"), .keyword("true"): value = .bool(true)
        case .keyword("False"), .keyword("false"): value = .bool(false)
        case .keyword("None"): value = .none
        case .name(let name) where !ExprParser.unsupportedKeywords.contains(name):
            advance()
            return try ExprNode(NameBody(name: name), at: token.offset)
        default:
            throw unexpected(token)
        }
        advance()
        return try ExprNode(LiteralBody(value: value), at: token.offset)
    }

    /// `call ::= NAME "(" [argument ("," argument)* [","]] ")"` with
    /// `argument ::= [NAME "="] expression`; keywords follow positional arguments.
    private mutating func call() throws(ExprFailure) -> ExprNode {
        let nameToken = advance()
        let function = try builtin(nameToken)
        let open = advance()
        var arguments: [ExprNode] = []
        var positional = 0
        var keywords: [(name: String, offset: Int)] = []
        while !isSymbol(")") {
            if let keyword = try keywordPrefix(after: keywords) {
                keywords.append(keyword)
            } else {
                positional += 1
            }
            arguments.append(try expression())
            guard isSymbol(",") else { break }
            advance()
        }
        try close(")", opener: open, expecting: "',' or ')'")
        let slots = try function.bind(positional: positional, keywords: keywords, at: nameToken.offset)
        return try ExprNode(CallBody(function: function, arguments: arguments, slots: slots), at: nameToken.offset)
    }

    private func builtin(_ token: ExprToken) throws(ExprFailure) -> ExprBuiltin {
        guard let function = ExprBuiltin(rawValue: token.spelling) else {
            let suggestion = didYouMean(token.spelling, in: ExprBuiltin.allCases.map(\.rawValue))
            throw ExprFailure("unknown function '\(token.spelling)'\(suggestion)", at: token.offset)
        }
        return function
    }

    /// Consumes `NAME "="` before a keyword argument and returns the keyword, or returns nil
    /// before a positional one; enforces Python's rules on their order and repetition.
    private mutating func keywordPrefix(after keywords: [(name: String, offset: Int)]) throws(ExprFailure) -> (name: String, offset: Int)? {
        guard case .name(let keyword) = current.kind, tokens[index + 1].kind == .symbol("=") else {
            if !keywords.isEmpty { throw ExprFailure("positional argument follows keyword argument", at: current.offset) }
            return nil
        }
        let token = advance()
        advance()
        if keywords.contains(where: { $0.name == keyword }) {
            throw ExprFailure("keyword argument repeated: '\(keyword)'", at: token.offset)
        }
        return (keyword, token.offset)
    }
}
