import AttendBasic
import AttendIR

/// A whole model as C: `<stem>.c` (create/run/destroy, the descriptor), the kernels in
/// `kernelFiles` (`<stem>_kernels<N>.c`, `<stem>_load.c`), `<stem>.h` (the C API and sizes)
/// and `<stem>_main.c` (the executable's main).
public struct CProgram: Sendable {
    public var stem: String
    public var source: String
    public var kernelFiles: [CSourceFile]
    public var header: String
    public var main: String
    public var plan: ArenaPlan
    public var kernelCount: Int
}

public enum CGenerator {
    /// The program of `graph` for `target` (which chooses each node's kernel strategy).
    public static func generate(_ graph: Graph, target: Target) throws(Diagnostic) -> CProgram {
        try generate(graph, target: target, strategies: KernelStrategies.allowed(on: target))
    }

    /// The program with a choice among `strategies` (tests pin one strategy this way).
    /// `sharingFunctions`: kernels (run-time, and load-time ones computing derived parameters)
    /// that differ only in sizes and scales share one function taking those as arguments
    /// (`Kernel.sharingFunctions`); tests turn it off to compare against one function per
    /// distinct kernel. `parallelFloats`: kernels whose buffers hold fewer floats run on one
    /// thread (`Kernel.runningSmallWorkInline`); tests of how kernels split across threads
    /// set 0 to split even their small cases.
    public static func generate(_ graph: Graph, target: Target, strategies available: [any KernelStrategy],
                                sharingFunctions: Bool = true, parallelFloats: Int = Kernel.parallelFloats) throws(Diagnostic) -> CProgram {
        // Buffers are sized, and nodes lowered, by the layouts: only those the ops handle.
        try Verifier.verifyLayouts(graph)
        let stem = Naming.stem(graph.name)
        let printer = CPrinter()
        var graph = graph
        let strategies = try StrategySelection(&graph, target: target, strategies: available)
        let schedule = KernelSchedule(graph, strategies: strategies)
        let storage = Storage(graph, schedule: schedule)
        let units = UnitLowering(graph: graph, schedule: schedule, storage: storage)
        var functions = KernelFunctions(printer: printer, prefix: stem + "_")
        var lowered: [(kernel: Kernel, arguments: [BufferLocation])] = []
        for (position, unit) in schedule.units.enumerated() {
            let (kernel, arguments) = try units.lower(unit, position: position)
            guard !arguments.contains(where: \.isAbsent) else {
                let anchor = graph.nodes[unit.anchor]
                throw .error("internal: kernel \(position) ('\(anchor.layer.isEmpty ? anchor.op.name : anchor.layer)') reads or writes a value with no planned storage",
                             at: anchor.location)
            }
            lowered.append((kernel.runningSmallWorkInline(below: parallelFloats), arguments))
        }
        let kernels = lowered.map(\.kernel)
        let shared = sharingFunctions ? Kernel.sharingFunctions(kernels) : kernels.map { ($0, []) }
        var steps: [RunStep] = zip(shared, lowered).enumerated().flatMap { k, pair in
            [.call(function: functions.function(for: pair.0.kernel, phase: .run), arguments: pair.1.arguments, scalars: pair.0.scalars),
             .profileMark(kernel: k)]
        }
        steps += storage.finalCopies.map(RunStep.copy)
        let calls = steps.map(printer.runStep)
        var derivations: [Derivation] = []
        var derivationKernels: [Kernel] = []
        for (k, parameter) in graph.parameters.filter({ !$0.isLoaded }).enumerated() {
            let (kernel, operands) = try derivationKernel(parameter, index: k, graph: graph, storage: storage)
            guard let index = storage.parameterIndex[parameter.name], let offset = storage.derivedOffset[parameter.name] else {
                throw .error("internal: derived parameter '\(parameter.name)' has no place in the parameter table")
            }
            derivationKernels.append(kernel)
            derivations.append(Derivation(function: "", operands: operands, parameter: index, offset: offset))
        }
        // Load-time kernels share functions too (a fold or packing per weight shape), never
        // across the optimization levels their sizes choose.
        let sharedDerivations = sharingFunctions
            ? Kernel.sharingFunctions(derivationKernels, classes: { KernelFunctions.optimization(of: $0, phase: .load) == .loadTime ? 0 : 1 })
            : derivationKernels.map { ($0, []) }
        for (k, shared) in sharedDerivations.enumerated() {
            derivations[k].function = functions.function(for: shared.kernel, phase: .load)
            derivations[k].scalars = shared.scalars
        }
        let source = sourceFile(stem: stem, graph: graph, target: target, prototypes: functions.prototypes, calls: calls, derivations: derivations,
                                storage: storage, kernels: describe(schedule, graph: graph, strategies: strategies))
        let preamble = ["/* Generated by attend: kernels of model \(Naming.comment(graph.name)). Do not edit. */"] + includes(stem: stem)
            + [CPrinter.prelude(vectorWidth: target.vectorWidth)]
        return CProgram(stem: stem, source: source, kernelFiles: functions.files(stem: stem, preamble: preamble.joined(separator: "\n")), header: headerFile(stem: stem, graph: graph, storage: storage, kernels: schedule.units.count),
                        main: "#include \"\(stem).h\"\n\nint main(int argc, char **argv) { return attend_main(&\(stem)_info, argc, argv); }\n",
                        plan: storage.plan, kernelCount: schedule.units.count)
    }

    /// The kernel computing a derived parameter from others when the model is created, and
    /// the indices in `m->params` of its operands, its arguments before the output.
    static func derivationKernel(_ parameter: Parameter, index: Int, graph: Graph, storage: Storage) throws(Diagnostic) -> (Kernel, [Int]) {
        guard let definition = parameter.definition, let lowering = Lowerings.direct(for: definition.op) else {
            throw .error("the C backend cannot derive parameter '\(parameter.name)'")
        }
        let shapes = definition.operands.map { graph.parameter(named: $0)?.shape ?? [] }
        var parameters: [Kernel.Parameter] = []
        var operands: [Int] = []
        var inputs: [BufferRef] = []
        for (k, operand) in definition.operands.enumerated() {
            let buffer = BufferRef("in\(k)")
            inputs.append(buffer)
            parameters.append(Kernel.Parameter(buffer, .input, count: ShapeRules.elementCount(shapes[k])))
            guard let index = storage.parameterIndex[operand] else {
                throw .error("internal: derived parameter '\(parameter.name)' reads '\(operand)', which is not a parameter")
            }
            operands.append(index)
        }
        parameters.append(Kernel.Parameter(BufferRef("out0"), .output, count: ShapeRules.elementCount(parameter.shape)))
        let op = definition.op
        let context = LoweringContext(op: op, attributes: definition.attributes, inputs: inputs, inputShapes: shapes,
                                      outputs: [BufferRef("out0")], outputShapes: [parameter.shape], weights: [:], weightShapes: [:])
        let body = try lowering(context)
        return (Kernel(name: "derive\(index)_" + Naming.readable(parameter.name),
                       comment: "derived parameter '\(parameter.name)' = \(op.name)(\(definition.operands.joined(separator: ", ")))",
                       parameters: parameters, body: body), operands)
    }

    static func sourceFile(stem: String, graph: Graph, target: Target, prototypes: [String], calls: [String], derivations: [Derivation],
                           storage: Storage, kernels: [KernelDescription]) -> String {
        let parameters = graph.loadedParameters
        var lines = ["/* Generated by attend from model \(Naming.comment(graph.name)). Do not edit. */"] + includes(stem: stem)
            + [CPrinter.prelude(vectorWidth: target.vectorWidth), "/* The kernels, in the files beside this one. */"]
        lines += prototypes + [""]
        lines += ["struct \(stem)_model {", "    attend_weights *weights;",
                  "    const float *params[\(max(graph.parameters.count, 1))];", "    float *derived;", "    float *arena;", "    attend_pool *pool;",
                  "    int64_t *profile; /* per-kernel ns, added to while set */", "};", ""]
        // Parameter table: names (escaped literals), ranks and shapes.
        if !parameters.isEmpty { lines += parameterTables(stem: stem, parameters: parameters) }
        if !derivations.isEmpty { lines += Derivation.table(stem: stem, derivations) }
        lines += [
            "",
            "\(stem)_model *\(stem)_create(const char *weights_path, int threads, char *error) {",
            "    \(stem)_model *m = calloc(1, sizeof *m);",
            "    if (!m) { snprintf(error, ATTEND_ERROR_SIZE, \"out of memory\"); return NULL; }",
        ]
        if !parameters.isEmpty {
            lines += [
                "    if (!weights_path) { snprintf(error, ATTEND_ERROR_SIZE, \"this model needs --weights\"); free(m); return NULL; }",
                "    m->weights = attend_weights_open(weights_path, error);",
                "    if (!m->weights) { free(m); return NULL; }",
            ]
            // Every missing, unexpected or mis-shaped tensor named at once, as `attend run` does.
            lines.append("    if (attend_weights_check(m->weights, \(Naming.stringLiteral(graph.name)), \(stem)_param_names, \(stem)_param_ranks, \(stem)_param_shapes, \(parameters.count), \(stem)_ignored_names, \(parameters.flatMap(\.ignoredKeys).count), error)) goto fail;")
            // One loop over the tables: the C compiler sees a few lines, not one call per weight.
            lines += [
                "    for (int k = 0; k < \(parameters.count); k++) {",
                "        if (attend_weights_get(m->weights, \(stem)_param_names[k], \(stem)_param_ranks[k], \(stem)_param_shapes[k], &m->params[k], error)) goto fail;",
                "    }",
            ]
        } else {
            lines.append("    (void)weights_path;")
        }
        lines += [
            "    m->arena = attend_arena_create(\(stem.uppercased())_ARENA_FLOATS, error);",
            "    if (!m->arena) goto fail;",
            "    m->pool = attend_pool_create(threads, error);",
            "    if (!m->pool) goto fail;",
        ]
        if !derivations.isEmpty {
            // Derived parameters (folded weights) are computed once, from the loaded ones.
            lines += [
                "    m->derived = attend_arena_create(\(storage.derivedSize), error);",
                "    if (!m->derived) goto fail;",
            ] + Derivation.loop(stem: stem, derivations)
        }
        lines += [
            "    return m;",
            "fail:",
            "    \(stem)_destroy(m);",
            "    return NULL;",
            "}",
            "",
            "int \(stem)_run(\(stem)_model *m, const float *const *inputs, float *const *outputs, char *error) {",
            "    float *arena = m->arena;",
            "    int64_t *profile = m->profile, mark = profile ? attend_now_ns() : 0;",
            "    (void)arena; (void)inputs; (void)error; (void)mark;",
        ]
        lines += calls
        lines += [
            "    return 0;",
            "}",
            "",
            "void \(stem)_destroy(\(stem)_model *m) {",
            "    if (!m) return;",
            "    attend_pool_destroy(m->pool);",
            "    attend_arena_destroy(m->arena);",
            "    attend_arena_destroy(m->derived);",
            "    if (m->weights) attend_weights_close(m->weights);",
            "    free(m);",
            "}",
            "",
            "void \(stem)_profile(\(stem)_model *m, int64_t *kernel_ns) { m->profile = kernel_ns; }",
            "",
        ]
        lines += descriptor(stem: stem, graph: graph, kernels: kernels)
        return lines.joined(separator: "\n") + "\n"
    }

    static func includes(stem: String) -> [String] {
        ["#include <math.h>", "#include <stdint.h>", "#include <stdlib.h>", "#include <string.h>", "#include \"\(stem).h\"", ""]
    }

    static func parameterTables(stem: String, parameters: [Parameter]) -> [String] {
        var lines = ["static const char *const \(stem)_param_names[\(parameters.count)] = {\(parameters.map { Naming.stringLiteral($0.name) }.joined(separator: ", "))};"]
        let ignored = parameters.flatMap(\.ignoredKeys)
        lines.append("static const char *const \(stem)_ignored_names[\(max(ignored.count, 1))] = {\(ignored.isEmpty ? "0" : ignored.map(Naming.stringLiteral).joined(separator: ", "))};")
        for (k, parameter) in parameters.enumerated() {
            lines.append("static const int64_t \(stem)_param_shape\(k)[\(max(parameter.shape.count, 1))] = {\(parameter.shape.isEmpty ? "1" : parameter.shape.map(String.init).joined(separator: ", "))};")
        }
        lines.append("static const int \(stem)_param_ranks[\(max(parameters.count, 1))] = {\(parameters.isEmpty ? "0" : parameters.map { String($0.shape.count) }.joined(separator: ", "))};")
        lines.append("static const int64_t *const \(stem)_param_shapes[\(max(parameters.count, 1))] = {\(parameters.isEmpty ? "0" : parameters.indices.map { "\(stem)_param_shape\($0)" }.joined(separator: ", "))};")
        return lines
    }

    static func descriptor(stem: String, graph: Graph, kernels: [KernelDescription]) -> [String] {
        func infos(_ values: [(name: String, value: ValueID)]) -> String {
            values.map { entry in
                let shape = graph.shape(of: entry.value)
                return "{\(Naming.stringLiteral(entry.name)), \(shape.count), {\(shape.isEmpty ? "0" : shape.map(String.init).joined(separator: ", "))}}"
            }.joined(separator: ", ")
        }
        return [
            "static const attend_tensor_info \(stem)_inputs[\(max(graph.inputs.count, 1))] = {\(graph.inputs.isEmpty ? "{0}" : infos(graph.inputs))};",
            "static const attend_tensor_info \(stem)_outputs[\(max(graph.outputs.count, 1))] = {\(infos(graph.outputs))};",
            "static void *\(stem)_create_any(const char *weights_path, int threads, char *error) { return \(stem)_create(weights_path, threads, error); }",
            "static int \(stem)_run_any(void *m, const float *const *inputs, float *const *outputs, char *error) { return \(stem)_run(m, inputs, outputs, error); }",
            "static void \(stem)_destroy_any(void *m) { \(stem)_destroy(m); }",
            "static void \(stem)_profile_any(void *m, int64_t *kernel_ns) { \(stem)_profile(m, kernel_ns); }",
            "static const char *const \(stem)_kernel_names[\(max(kernels.count, 1))] = {\(kernels.isEmpty ? "0" : kernels.map { Naming.stringLiteral($0.description) }.joined(separator: ", "))};",
            "const attend_model_info \(stem)_info = {",
            "    \(Naming.stringLiteral(graph.name)), \(graph.inputs.count), \(stem)_inputs, \(graph.outputs.count), \(stem)_outputs,",
            "    \(stem)_create_any, \(stem)_run_any, \(stem)_destroy_any,",
            "    \(kernels.count), \(stem)_kernel_names, \(stem)_profile_any,",
            "};",
        ]
    }

    static func headerFile(stem: String, graph: Graph, storage: Storage, kernels: Int) -> String {
        let guardName = stem.uppercased() + "_H"
        var lines = [
            "/* Generated by attend: the C API of model \(Naming.comment(graph.name)). Do not edit. */",
            "#ifndef \(guardName)",
            "#define \(guardName)",
            "",
            "#include \"attend_runtime.h\"",
            "#include <stdio.h>",
            "",
            "/* Arena (intermediates) in floats, planned at compile time. */",
            "#define \(stem.uppercased())_ARENA_FLOATS \(storage.plan.size)",
            "#define \(stem.uppercased())_INPUT_COUNT \(graph.inputs.count)",
            "#define \(stem.uppercased())_OUTPUT_COUNT \(graph.outputs.count)",
            "/* Kernels a run calls (`\(stem)_info.kernel_names` names them). */",
            "#define \(stem.uppercased())_KERNEL_COUNT \(kernels)",
        ]
        for (k, input) in graph.inputs.enumerated() {
            lines.append("/* input \(k) '\(Naming.comment(input.name))': \(formatShape(graph.shape(of: input.value))) */")
            lines.append("#define \(stem.uppercased())_INPUT\(k)_ELEMENTS \(ShapeRules.elementCount(graph.shape(of: input.value)))")
        }
        for (k, output) in graph.outputs.enumerated() {
            lines.append("/* output \(k) '\(Naming.comment(output.name))': \(formatShape(graph.shape(of: output.value))) */")
            lines.append("#define \(stem.uppercased())_OUTPUT\(k)_ELEMENTS \(ShapeRules.elementCount(graph.shape(of: output.value)))")
        }
        lines += [
            "",
            "typedef struct \(stem)_model \(stem)_model;",
            "",
            "/* Loads weights (safetensors, PyTorch names; NULL if the model has none) and makes a",
            "   model with `threads` workers. On failure returns NULL with a message in `error`",
            "   (ATTEND_ERROR_SIZE bytes). */",
            "\(stem)_model *\(stem)_create(const char *weights_path, int threads, char *error);",
            "/* Runs on caller buffers: inputs and outputs in the order above, float32, C order. */",
            "int \(stem)_run(\(stem)_model *model, const float *const *inputs, float *const *outputs, char *error);",
            "void \(stem)_destroy(\(stem)_model *model);",
            "/* While `kernel_ns` is set (NULL stops it), each run adds each kernel's wall time, in",
            "   nanoseconds, to `kernel_ns[k]` (\(stem.uppercased())_KERNEL_COUNT entries). */",
            "void \(stem)_profile(\(stem)_model *model, int64_t *kernel_ns);",
            "/* The descriptor `attend_main` runs. */",
            "extern const attend_model_info \(stem)_info;",
            "",
            "#endif",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

extension CGenerator {
    /// The kernel count, arena plan and kernel strategies `generate` would produce for
    /// `target`, without generating code.
    public static func layout(_ graph: Graph, target: Target) throws(Diagnostic) -> (kernels: Int, plan: ArenaPlan, strategies: [KernelDescription]) {
        try Verifier.verifyLayouts(graph)
        var graph = graph
        let strategies = try StrategySelection(&graph, target: target, strategies: KernelStrategies.allowed(on: target))
        let schedule = KernelSchedule(graph, strategies: strategies)
        return (schedule.units.count, Storage(graph, schedule: schedule).plan, describe(schedule, graph: graph, strategies: strategies))
    }

    /// Each kernel of `schedule`, in run order, as `attend check --kernels` lists it and a
    /// profiled run names it.
    static func describe(_ schedule: KernelSchedule, graph: Graph, strategies: StrategySelection) -> [KernelDescription] {
        schedule.units.map { unit in
            let node = graph.nodes[unit.anchor]
            let plan = strategies.plans[unit.anchor]
            return KernelDescription(layer: node.layer.isEmpty ? node.op.name : node.layer, op: node.op.name,
                                     strategy: plan?.strategy ?? "direct", detail: plan?.detail)
        }
    }
}

/// One kernel as `attend check --kernels` lists it: the layer it is named after, its op, and
/// the strategy chosen for it (`direct`: the op's own lowering).
public struct KernelDescription: Sendable, CustomStringConvertible {
    public var layer: String
    public var op: String
    public var strategy: String
    public var detail: String?

    public var description: String { "\(layer): \(op) \(strategy)" + (detail.map { " (\($0))" } ?? "") }
}

extension CGenerator {
    /// The kernel of node `index` of `graph` as `generate` lowers it (for tests of one op).
    static func makeKernel(_ node: Node, index: Int, graph: Graph, lowering: Lowering) throws(Diagnostic) -> Kernel {
        let schedule = KernelSchedule(graph)
        guard let position = schedule.units.firstIndex(where: { $0.nodes == [index] }) else {
            throw .error("node \(index) is not a kernel of its own (a view or fused)")
        }
        return try UnitLowering(graph: graph, schedule: schedule, storage: Storage(graph, schedule: schedule))
            .lower(schedule.units[position], position: position).kernel
    }
}
