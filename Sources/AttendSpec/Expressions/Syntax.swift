/// The syntax tree of an expression. Offsets count Unicode scalars from the start of the
/// expression text, so a diagnostic can point at the exact token in the YAML file.
///
/// Each kind of node is its own `ExprBody` type evaluated by its own method: evaluation
/// recurses once per tree level through a dynamic call with few locals, which keeps stack
/// use per level small even in debug builds (an enum `switch` over every kind would hold
/// all kinds' temporaries in each recursive frame).
struct ExprNode: Sendable {
    /// The deepest tree the parser builds: evaluation recurses once per level, so this
    /// bounds stack use whatever the input. Runs of operators (`a + b + c ...`, `a and b
    /// and c ...`) are one level, however long; nesting (brackets, unary operators, `**`,
    /// `not`, `if`/`else` chains) adds levels.
    static let maxHeight = ExprParser.maxDepth

    let body: any ExprBody
    /// Where the node's token starts: the operator of an operation, the name of a call.
    let offset: Int
    let height: Int

    init(_ body: some ExprBody, at offset: Int) throws(ExprFailure) {
        var height = 1
        for child in body.children { height = max(height, child.height + 1) }
        if height > ExprNode.maxHeight {
            throw ExprFailure("expression is nested too deeply (more than \(ExprNode.maxHeight) levels)", at: offset)
        }
        self.body = body
        self.offset = offset
        self.height = height
    }

    func evaluate(in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        try body.evaluate(at: offset, in: scope)
    }

    /// Names of variables the expression reads (function names are not variables).
    func collectNames(into names: inout Set<String>) {
        if let variable = body as? NameBody { names.insert(variable.name) }
        for child in body.children { child.collectNames(into: &names) }
    }
}

/// What a node is; `offset` is the node's own offset, for errors raised by the node itself.
protocol ExprBody: Sendable {
    var children: [ExprNode] { get }
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue
}

struct LiteralBody: ExprBody {
    let value: ExprValue
    var children: [ExprNode] { [] }
}

struct NameBody: ExprBody {
    let name: String
    var children: [ExprNode] { [] }
}

struct ListBody: ExprBody {
    let items: [ExprNode]
    var children: [ExprNode] { items }
}

struct UnaryBody: ExprBody {
    let op: ExprUnaryOperator
    let operand: ExprNode
    var children: [ExprNode] { [operand] }
}

struct NotBody: ExprBody {
    let operand: ExprNode
    var children: [ExprNode] { [operand] }
}

/// `first op1 operand1 op2 operand2 ...`, applied left to right: a run of operators of one
/// precedence level (`a - b + c`), or a single `**`.
struct ArithmeticBody: ExprBody {
    let first: ExprNode
    let rest: [ExprOperation]
    var children: [ExprNode] { [first] + rest.map(\.operand) }
}

/// `a and b and c` (the first falsy operand, else the last) or `a or b or c` (the first
/// truthy operand, else the last).
struct LogicalBody: ExprBody {
    let operands: [ExprNode]
    let isOr: Bool
    var children: [ExprNode] { operands }
}

/// `first op1 operand1 op2 operand2 ...`, chained like Python.
struct ComparisonBody: ExprBody {
    let first: ExprNode
    let rest: [ExprComparison]
    var children: [ExprNode] { [first] + rest.map(\.operand) }
}

/// `then if condition else otherwise`.
struct ConditionalBody: ExprBody {
    let then: ExprNode
    let condition: ExprNode
    let otherwise: ExprNode
    var children: [ExprNode] { [then, condition, otherwise] }
}

/// Arguments in source order; `slots[i]` is the parameter `arguments[i]` binds to (for
/// variadic functions, its position).
struct CallBody: ExprBody {
    let function: ExprBuiltin
    let arguments: [ExprNode]
    let slots: [Int]
    var children: [ExprNode] { arguments }
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
