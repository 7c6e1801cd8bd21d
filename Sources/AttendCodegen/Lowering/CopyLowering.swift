import AttendBasic
import AttendIR

/// identity and dropout (inference) copy their input; parameter copies its learned tensor
/// (slot "", the layer path itself) into its output.
enum CopyLowering {
    static func passThrough(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        copy(context.inputs[0], to: context.outputs[0], count: ShapeRules.elementCount(context.outputShapes[0]))
    }

    static func parameter(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] {
        copy(try context.weight(""), to: context.outputs[0], count: ShapeRules.elementCount(context.outputShapes[0]))
    }

    /// A flat parallel copy: each task copies a contiguous chunk.
    static func copy(_ source: BufferRef, to destination: BufferRef, count: Int) -> [Stmt] {
        [.loop(variable: "i", lower: 0, upper: .constant(count), schedule: .parallel, body: [
            .store(destination, .v("i"), .load(source, .v("i"))),
        ])]
    }
}

extension IdentityOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try CopyLowering.passThrough(context) }
}

extension DropoutOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try CopyLowering.passThrough(context) }
}

extension ParameterOp: DirectLowering {
    public func lowerToLoops(_ context: LoweringContext) throws(Diagnostic) -> [Stmt] { try CopyLowering.parameter(context) }
}
