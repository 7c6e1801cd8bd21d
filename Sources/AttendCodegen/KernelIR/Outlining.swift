/// A parallel loop taken out of its kernel (`Kernel.outliningParallelLoops`): the runtime
/// splits `lower..<upper` into ranges and runs `body` for each `variable` in a range on one
/// of its threads. The kernel's body starts it with `Stmt.runParallel(task:)` and goes on
/// when every range is done.
public struct ParallelTask: Hashable, Sendable {
    public var variable: String
    public var lower: IndexExpr
    public var upper: IndexExpr
    public var body: [Stmt]
    /// The kernel parameters the task sees (its context): every one of them, since a kernel's
    /// tasks share one context (not every task uses every buffer).
    public var captures: [Kernel.Parameter]
    /// The kernel's scalar parameters, which the context carries after the buffers.
    public var scalars: [ScalarParameter]

    public init(variable: String, lower: IndexExpr, upper: IndexExpr, body: [Stmt], captures: [Kernel.Parameter], scalars: [ScalarParameter] = []) {
        self.variable = variable
        self.lower = lower
        self.upper = upper
        self.body = body
        self.captures = captures
        self.scalars = scalars
    }
}

extension Kernel {
    /// This kernel with each top-level parallel loop moved into `tasks` and replaced by a
    /// `runParallel` of it, the form printers print (a nested parallel loop runs serially
    /// inside its task or kernel). Lowerings start with no statement before such a loop that
    /// its body reads: a task sees only the kernel's parameters. Outlining an outlined kernel
    /// changes nothing.
    public func outliningParallelLoops() -> Kernel {
        var outlined = self
        outlined.body = body.map { stmt in
            guard case .loop(let variable, let lower, let upper, .parallel, let loopBody) = stmt else { return stmt }
            outlined.tasks.append(ParallelTask(variable: variable, lower: lower, upper: upper, body: loopBody, captures: parameters, scalars: scalars))
            return .runParallel(task: outlined.tasks.count - 1)
        }
        return outlined
    }
}
