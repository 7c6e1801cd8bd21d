import AttendBasic

// Evaluation of a syntax tree: Python's order and short-circuiting (`and`, `or`, chained
// comparisons and conditional expressions evaluate only what Python would). Errors from
// operators and functions are located at the operator or call they come from.

extension LiteralBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        value
    }
}

extension NameBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        guard let value = scope[name] else {
            throw ExprFailure("unknown name '\(name)'\(didYouMean(name, in: scope.keys))", at: offset)
        }
        return value
    }
}

extension ListBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var values: [ExprValue] = []
        values.reserveCapacity(items.count)
        for item in items { values.append(try item.evaluate(in: scope)) }
        return .list(values)
    }
}

extension UnaryBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        let value = try operand.evaluate(in: scope)
        do {
            return try ExprOps.unary(op, value)
        } catch {
            throw error.located(at: offset)
        }
    }
}

extension NotBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        .bool(!(try operand.evaluate(in: scope).isTruthy))
    }
}

extension ArithmeticBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var value = try first.evaluate(in: scope)
        for operation in rest {
            value = try ArithmeticBody.apply(operation, value, try operation.operand.evaluate(in: scope))
        }
        return value
    }

    private static func apply(_ operation: ExprOperation, _ a: ExprValue, _ b: ExprValue) throws(ExprFailure) -> ExprValue {
        do {
            return try ExprOps.binary(operation.op, a, b)
        } catch {
            throw error.located(at: operation.offset)
        }
    }
}

extension LogicalBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var value = ExprValue.none
        for operand in operands {
            value = try operand.evaluate(in: scope)
            if value.isTruthy == isOr { return value }
        }
        return value
    }
}

extension ComparisonBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        var left = try first.evaluate(in: scope)
        for comparison in rest {
            let right = try comparison.operand.evaluate(in: scope)
            if !(try ComparisonBody.holds(comparison, left, right)) { return .bool(false) }
            left = right
        }
        return .bool(true)
    }

    private static func holds(_ comparison: ExprComparison, _ a: ExprValue, _ b: ExprValue) throws(ExprFailure) -> Bool {
        do {
            return try ExprOps.compare(comparison.op, a, b)
        } catch {
            throw error.located(at: comparison.offset)
        }
    }
}

extension ConditionalBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
        try condition.evaluate(in: scope).isTruthy ? then.evaluate(in: scope) : otherwise.evaluate(in: scope)
    }
}

extension CallBody {
    func evaluate(at offset: Int, in scope: [String: ExprValue]) throws(ExprFailure) -> ExprValue {
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
