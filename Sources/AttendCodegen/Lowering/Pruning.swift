import AttendIR

/// Cleanup of generated loop nests.
enum Pruning {
    /// Drops `letIndex` and `declare` statements whose names are never read (they come from
    /// shared helpers; the generated C must compile without unused-variable warnings).
    static func pruned(_ stmts: [Stmt]) -> [Stmt] {
        var current = stmts
        while true {
            let used = names(usedIn: current)
            let next = KernelWalker(replace: { stmt in
                switch stmt {
                case .letIndex(let name, _), .declare(let name, _), .declareVector(let name, _, _):
                    return used.contains(name) ? nil : []
                default:
                    return nil
                }
            }).walk(current)
            if next == current { return current }
            current = next
        }
    }

    /// Every index, scalar and vector name read or assigned in `stmts`.
    private static func names(usedIn stmts: [Stmt]) -> Set<String> {
        var used = Set<String>()
        for stmt in stmts {
            stmt.visit(statement: { stmt in
                switch stmt {
                case .assign(let name, _), .assignVector(let name, _): used.insert(name)
                default: break
                }
            }, index: { if case .variable(let name) = $0 { used.insert(name) } },
            value: { if case .scalar(let name) = $0 { used.insert(name) } },
            vector: { if case .register(let name) = $0 { used.insert(name) } })
        }
        return used
    }
}
