/// The syntax tree of an expression. Offsets count Unicode scalars from the start of the
/// expression text, so a diagnostic can point at the exact token in the YAML file.
struct ExprNode: Sendable {
    indirect enum Kind: Sendable {
        case literal(ExprValue)
        case name(String)
        case list([ExprNode])
        case unary(ExprUnaryOperator, ExprNode)
        case not(ExprNode)
        /// `first op1 operand1 op2 operand2 ...`, applied left to right: a run of operators
        /// of one precedence level (`a - b + c`), or a single `**`.
        case arithmetic(ExprNode, [ExprOperation])
        /// `a and b and c`: the first falsy operand, else the last.
        case and([ExprNode])
        /// `a or b or c`: the first truthy operand, else the last.
        case or([ExprNode])
        /// `first op1 operand1 op2 operand2 ...`, chained like Python.
        case comparison(ExprNode, [ExprComparison])
        /// `then if condition else otherwise`.
        case conditional(then: ExprNode, condition: ExprNode, otherwise: ExprNode)
        /// Arguments in source order; `slots[i]` is the parameter `arguments[i]` binds to
        /// (for variadic functions, its position).
        case call(ExprBuiltin, arguments: [ExprNode], slots: [Int])
    }

    /// The deepest tree the parser builds: evaluation recurses once per level, so this
    /// bounds stack use whatever the input. Runs of operators (`a + b + c ...`, `a and b
    /// and c ...`) are one level, however long; nesting (brackets, unary operators, `**`,
    /// `not`, `if`/`else` chains) adds levels. Python's own parser stops at 200 too.
    static let maxHeight = 200

    let kind: Kind
    /// Where the node's token starts: the operator of an operation, the name of a call.
    let offset: Int
    let height: Int

    init(_ kind: Kind, at offset: Int) throws(ExprFailure) {
        var height = 1
        for child in kind.children { height = max(height, child.height + 1) }
        if height > ExprNode.maxHeight {
            throw ExprFailure("expression is nested too deeply (more than \(ExprNode.maxHeight) levels)", at: offset)
        }
        self.kind = kind
        self.offset = offset
        self.height = height
    }

    /// Names of variables the expression reads (function names are not variables).
    func collectNames(into names: inout Set<String>) {
        if case .name(let name) = kind { names.insert(name) }
        for child in kind.children { child.collectNames(into: &names) }
    }
}

extension ExprNode.Kind {
    var children: [ExprNode] {
        switch self {
        case .literal, .name: return []
        case .list(let items): return items
        case .unary(_, let operand), .not(let operand): return [operand]
        case .arithmetic(let first, let rest): return [first] + rest.map(\.operand)
        case .and(let operands), .or(let operands): return operands
        case .comparison(let first, let rest): return [first] + rest.map(\.operand)
        case .conditional(let then, let condition, let otherwise): return [then, condition, otherwise]
        case .call(_, let arguments, _): return arguments
        }
    }
}

struct ExprOperation: Sendable {
    let op: ExprBinaryOperator
    let operand: ExprNode
    /// The operator's offset.
    let offset: Int
}

struct ExprComparison: Sendable {
    let op: ExprComparisonOperator
    let operand: ExprNode
    /// The operator's offset.
    let offset: Int
}

enum ExprUnaryOperator: String, Sendable {
    case plus = "+"
    case minus = "-"
}

enum ExprBinaryOperator: String, Sendable {
    case add = "+"
    case subtract = "-"
    case multiply = "*"
    case divide = "/"
    case floorDivide = "//"
    case modulo = "%"
    case power = "**"
}

enum ExprComparisonOperator: String, Sendable {
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case equal = "=="
    case notEqual = "!="
}

/// A failure while lexing, parsing or evaluating: a message and, when known, the offset
/// of the token at fault. `Expression` turns it into a located `Diagnostic`.
struct ExprFailure: Error {
    var message: String
    var offset: Int?

    init(_ message: String, at offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }
}
