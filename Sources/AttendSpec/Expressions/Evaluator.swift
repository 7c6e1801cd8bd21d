import AttendBasic

/// Evaluation of a syntax tree: Python's order and short-circuiting (`and`, `or`, chained
/// comparisons and conditional expressions evaluate only what Python would).
///
/// `evaluate` recurses once per tree level, so it stays a small dispatcher and each kind
/// of node is handled by its own function (stack use per level stays small, even in a
/// debug build). Errors are located at the operator, name or call they come from.
extension ExprNode {
    func evaluate(in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        switch kind {
        case .literal(let value): return value
        case .name(let name): return try lookUp(name, in: scope)
        case .list(let items): return try evaluateList(items, in: scope)
        case .unary(let op, let operand): return try evaluateUnary(op, operand, in: scope)
        case .not(let operand): return .bool(!(try operand.evaluate(in: scope).isTruthy))
        case .arithmetic(let first, let rest): return try evaluateArithmetic(first, rest, in: scope)
        case .and(let operands): return try evaluateLogical(operands, stopAtTruthy: false, in: scope)
        case .or(let operands): return try evaluateLogical(operands, stopAtTruthy: true, in: scope)
        case .comparison(let first, let rest): return try evaluateComparison(first, rest, in: scope)
        case .conditional(let then, let condition, let otherwise):
            return try evaluateConditional(then, condition, otherwise, in: scope)
        case .call(let function, let arguments, let slots):
            return try evaluateCall(function, arguments, slots, in: scope)
        }
    }

    private func lookUp(_ name: String, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        guard let value = scope[name] else {
            throw ExprFailure("unknown name '\(name)'\(didYouMean(name, in: scope.keys))", at: offset)
        }
        return value
    }

    private func evaluateList(_ items: [ExprNode], in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var values: [ExprValue] = []
        values.reserveCapacity(items.count)
        for item in items { values.append(try item.evaluate(in: scope)) }
        return .list(values)
    }

    private func evaluateUnary(_ op: ExprUnaryOperator, _ operand: ExprNode, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        let value = try operand.evaluate(in: scope)
        do {
            return try ExprOps.unary(op, value)
        } catch {
            throw error.located(at: offset)
        }
    }

    private func evaluateArithmetic(_ first: ExprNode, _ rest: [ExprOperation], in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var value = try first.evaluate(in: scope)
        for operation in rest {
            let operand = try operation.operand.evaluate(in: scope)
            do {
                value = try ExprOps.binary(operation.op, value, operand)
            } catch {
                throw error.located(at: operation.offset)
            }
        }
        return value
    }

    private func evaluateLogical(_ operands: [ExprNode], stopAtTruthy: Bool, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var value = ExprValue.none
        for operand in operands {
            value = try operand.evaluate(in: scope)
            if value.isTruthy == stopAtTruthy { return value }
        }
        return value
    }

    private func evaluateComparison(_ first: ExprNode, _ rest: [ExprComparison], in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var left = try first.evaluate(in: scope)
        for comparison in rest {
            let right = try comparison.operand.evaluate(in: scope)
            let holds: Bool
            do {
                holds = try ExprOps.compare(comparison.op, left, right)
            } catch {
                throw error.located(at: comparison.offset)
            }
            if !holds { return .bool(false) }
            left = right
        }
        return .bool(true)
    }

    private func evaluateConditional(_ then: ExprNode, _ condition: ExprNode, _ otherwise: ExprNode, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        try condition.evaluate(in: scope).isTruthy ? then.evaluate(in: scope) : otherwise.evaluate(in: scope)
    }

    private func evaluateCall(_ function: ExprBuiltin, _ arguments: [ExprNode], _ slots: [Int], in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var values = [ExprValue?](repeating: nil, count: function.slotCount(arguments: arguments.count))
        for (argument, slot) in zip(arguments, slots) { values[slot] = try argument.evaluate(in: scope) }
        do {
            return try function.apply(values)
        } catch {
            throw error.located(at: offset)
        }
    }
}

extension ExprFailure {
    /// The failure, pointing at `offset` unless it already points somewhere.
    func located(at offset: Int) -> ExprFailure {
        self.offset == nil ? ExprFailure(message, at: offset) : self
    }
}
