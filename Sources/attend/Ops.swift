import ArgumentParser
import AttendIR

/// `attend ops`: the primitive ops with their arguments and defaults.
struct Ops: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the primitive ops, their arguments and defaults.")

    @Argument(help: "Show only these ops.")
    var names: [String] = []

    func run() throws {
        for op in OpRegistry.all where names.isEmpty || names.contains(op.name) {
            print("\(op.name) (\(op.arity.description); \(op.fusion.rawValue)): \(op.summary)")
            for argument in op.arguments {
                let value = argument.defaultValue.map { "default \($0)" } ?? "required"
                print("    \(argument.name): \(argument.kind.description), \(value) — \(argument.doc)")
            }
        }
    }
}
