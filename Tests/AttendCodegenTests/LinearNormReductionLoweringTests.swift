import AttendBasic
@testable import AttendCodegen
import AttendIR
import AttendInterpreter
import Foundation
import Testing

/// Lowerings of linear algebra, normalization, reductions, copies), each checked on
/// several shapes against the interpreter: the one node's kernel is printed as C, compiled
/// with -Wall -Wextra -Werror and the address and undefined-behavior sanitizers (buffers
/// are allocated to their exact sizes, so any out-of-bounds index fails), run with the
/// parallel range split into uneven chunks, and compared within `CBackendHarness.tolerance`.
@Suite struct LinearNormReductionLoweringTests {
    typealias Args = [(String, ArgValue)]

    // MARK: linear and matmul

    @Test(arguments: [
        ([5], 3, true), ([2, 7], 9, true), ([2, 3, 13], 11, false), ([3, 300], 5, true),
        ([1, 256], 4, false), ([2, 2, 1], 17, true),
    ])
    func linear(shape: [Int], out: Int, bias: Bool) throws {
        try SingleNodeHarness.check("linear", [shape], [("out", .int(out)), ("bias", .bool(bias))])
    }

    @Test(arguments: [
        ([3, 5], [5, 7]), ([2, 3, 5], [5, 9]), ([4], [4]), ([4], [4, 6]), ([3, 4], [4]),
        ([2, 1, 3, 4], [3, 4, 5]), ([2, 3, 4], [1, 4, 300]), ([5, 4], [4, 512]),
        ([2, 2, 3, 130], [2, 2, 130, 1]), ([1, 4], [2, 4, 3]), ([3, 1, 2, 5], [1, 4, 5, 3]),
        ([2, 3, 0], [0, 4]),
    ])
    func matmul(left: [Int], right: [Int]) throws {
        try SingleNodeHarness.check("matmul", [left, right])
    }

    // MARK: normalizations

    @Test(arguments: [
        ([2, 3, 10], -1), ([2, 3, 10], 1), ([2, 3, 10], 0), ([], 0), ([4, 300], -1), ([2, 200, 3], 1), ([7], 0),
    ])
    func softmax(shape: [Int], axis: Int) throws {
        try SingleNodeHarness.check("softmax", [shape], [("axis", .int(axis))])
    }

    @Test func softmaxPropagatesNaNAndInfinity() throws {
        // Row 0 holds a NaN, row 1 an infinity, row 2 only -infinity: all as the interpreter.
        var data = (0..<12).map { Float($0) / 7 }
        data[1] = .nan
        data[6] = .infinity
        for i in 8..<12 { data[i] = -.infinity }
        try SingleNodeHarness.check("softmax", [[3, 4]], [("axis", .int(-1))], inputs: [data])
    }

    @Test(arguments: [
        ([2, 5, 7], true, true, 1e-5), ([9], true, true, 1e-5), ([3, 4], false, true, 1e-5),
        ([3, 6], true, false, 1e-3), ([3, 300], true, true, 1e-5), ([2, 1], true, true, 1e-5),
    ])
    func layerNorm(shape: [Int], affine: Bool, bias: Bool, eps: Double) throws {
        try SingleNodeHarness.check("layernorm", [shape], [("affine", .bool(affine)), ("bias", .bool(bias)), ("eps", .float(eps))])
    }

    @Test(arguments: [
        ([2, 3], true, 1e-5), ([2, 3, 5], true, 1e-5), ([2, 4, 3, 3], false, 1e-5), ([1, 5, 2, 2, 3], true, 1e-3),
        ([3, 2, 1, 1], true, 1e-5),
    ])
    func batchNorm(shape: [Int], affine: Bool, eps: Double) throws {
        try SingleNodeHarness.check("batchnorm", [shape], [("affine", .bool(affine)), ("eps", .float(eps))])
    }

    @Test(arguments: [
        ([2, 6, 3, 3], 3, true), ([2, 6, 3, 3], 1, true), ([2, 6, 3, 3], 6, false), ([2, 4], 2, true),
        ([1, 4, 20, 20], 2, true), ([3, 4, 5], 2, false), ([2, 8, 7], 4, true),
    ])
    func groupNorm(shape: [Int], groups: Int, affine: Bool) throws {
        try SingleNodeHarness.check("groupnorm", [shape], [("groups", .int(groups)), ("affine", .bool(affine))])
    }

    // MARK: reductions

    static let reductionCases: [([Int], [Int]?, Bool)] = [
        ([2, 3, 4], nil, false), ([2, 3, 4], [1], false), ([2, 3, 4], [-1], true), ([2, 3, 4], [0], false),
        ([2, 3, 4], [0, 2], true), ([2, 3, 4], [1, 2], false), ([2, 300], [0], false), ([3, 1, 5], [1], false),
        ([], nil, false), ([], [0], true), ([4, 200], [1], false), ([2, 3, 4, 5], [0, 2], false),
        ([2, 3, 4, 5], [1, 3], true), ([1, 7, 1, 9], [0, 2], false), ([3, 0, 2], [1], false), ([600], nil, false),
    ]

    @Test(arguments: ["mean", "sum", "max"])
    func reductions(kind: String) throws {
        for (shape, axes, keepdim) in Self.reductionCases {
            if kind == "max" && shape.contains(0) { continue }
            var args: Args = [("keepdim", .bool(keepdim))]
            if let axes { args.append(("axes", .ints(axes))) }
            try SingleNodeHarness.check(kind, [shape], args)
        }
    }

    @Test func maxPropagatesNaN() throws {
        var data = (0..<12).map { Float($0) - 5 }
        data[5] = .nan
        try SingleNodeHarness.check("max", [[3, 4]], [("axes", .ints([1]))], inputs: [data])
        try SingleNodeHarness.check("max", [[3, 4]], [("axes", .ints([0]))], inputs: [data])
    }

    /// The float min and max helpers every clamping activation prints to (`attend_maxf`,
    /// `attend_minf`) keep a NaN from either side and order infinities and signed zeros as
    /// the interpreter does: ReLU, ReLU6 and hard swish on the special values, over enough
    /// elements that the C compiler vectorizes them (the maximum's NaN on either side is
    /// `maxPropagatesNaN`'s and the pooling tests').
    @Test func clampsPropagateNaNAndOrderInfinities() throws {
        let specials: [Float] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, 1, -2, 6.5, 5.5, -3.5, 2.5]
        let data = (0..<48).map { specials[$0 % specials.count] * ($0 < 24 ? 1 : -1) }
        for op in ["relu", "relu6", "hardswish"] {
            try SingleNodeHarness.check(op, [[48]], inputs: [data])
        }
    }

    // MARK: copies

    @Test func copies() throws {
        for shape in [[2, 3], [], [1, 1, 37]] {
            try SingleNodeHarness.check("identity", [shape])
            try SingleNodeHarness.check("dropout", [shape], [("p", .float(0.1))])
        }
        try SingleNodeHarness.check("parameter", [], [("shape", .ints([1, 1, 8]))])
        try SingleNodeHarness.check("parameter", [], [("shape", .ints([3]))])
    }

    // MARK: long accumulations

    /// Float accumulation over thousands of elements stays within tolerance of the
    /// interpreter's Double sums at realistic sizes and magnitudes. (Products of k O(1)
    /// terms accumulate float rounding of ~6e-8 x (sum magnitude) per addition, ~2e-5 at
    /// k = 3000, beyond the 1e-5 absolute tolerance for outputs near zero; trained and
    /// PyTorch-initialized weights scale as 1/sqrt(k), which keeps the error far below it.)
    @Test func longAccumulationsStayWithinTolerance() throws {
        try SingleNodeHarness.check("linear", [[2, 3072]], [("out", .int(7))], parameterBound: 1 / Float(3072).squareRoot())
        var random = SeededRandom(seed: 3)
        let left = (0..<(2 * 4 * 3000)).map { _ in random.uniform(-2, 2) }
        let right = (0..<(3000 * 5)).map { _ in random.uniform(-1, 1) / Float(3000).squareRoot() }
        try SingleNodeHarness.check("matmul", [[2, 4, 3000], [3000, 5]], inputs: [left, right])
        let vector = (0..<4096).map { _ in random.uniform(-1, 1) / 64 }
        try SingleNodeHarness.check("matmul", [[3, 4096], [4096]], inputs: [(0..<(3 * 4096)).map { _ in random.uniform(-2, 2) }, vector])
        try SingleNodeHarness.check("layernorm", [[3, 4096]])
        try SingleNodeHarness.check("softmax", [[2, 8192]])
        try SingleNodeHarness.check("groupnorm", [[1, 8, 64, 64]], [("groups", .int(2))])
        try SingleNodeHarness.check("mean", [[1, 32, 64, 64]])
        try SingleNodeHarness.check("sum", [[1, 32, 64, 64]], [("axes", .ints([2, 3]))])
        try SingleNodeHarness.check("sum", [[4096, 8]], [("axes", .ints([0]))])
    }

    // MARK: end to end

    /// Every linear algebra, normalization and reduction op in whole programs built with the runtime (arena, weights file,
    /// thread pool), on random parameters, against the interpreter.
    @Test(arguments: [1, 3])
    func endToEnd(threads: Int) throws {
        var graph = Graph(name: "group_a")
        let x = graph.addInput(name: "x", shape: [2, 5, 12])
        let z = graph.addInput(name: "z", shape: [2, 6, 3, 5])
        var outputs: [(String, ValueID)] = []
        func apply(_ name: String, _ inputs: [ValueID], _ args: Args = [], layer: String) throws -> ValueID {
            let op = try #require(OpRegistry.op(named: name))
            let attributes = try op.typeArguments(args.map { (name: $0.0, value: $0.1) })
            let value = try graph.apply(op, inputs: inputs, attributes: attributes, layer: layer)[0]
            outputs.append((layer, value))
            return value
        }
        let projected = try apply("linear", [x], [("out", .int(19))], layer: "proj")
        let normed = try apply("layernorm", [projected], layer: "norm")
        let attention = try apply("softmax", [normed], [("axis", .int(1))], layer: "attn")
        let token = try apply("parameter", [], [("shape", .ints([1, 19, 3]))], layer: "token")
        _ = try apply("matmul", [attention, token], layer: "mix")
        let same = try apply("identity", [token], layer: "same")
        _ = try apply("matmul", [normed, same], layer: "mix2")
        let vector = try apply("parameter", [], [("shape", .ints([19]))], layer: "vector")
        _ = try apply("matmul", [normed, vector], layer: "score")
        let batch = try apply("batchnorm", [z], layer: "bn")
        let group = try apply("groupnorm", [batch], [("groups", .int(3))], layer: "gn")
        _ = try apply("mean", [group], [("axes", .ints([2, 3]))], layer: "pool")
        _ = try apply("sum", [group], [("axes", .ints([1])), ("keepdim", .bool(true))], layer: "total")
        _ = try apply("max", [group], [("axes", .ints([0, 2]))], layer: "peak")
        _ = try apply("dropout", [attention], [("p", .float(0.2))], layer: "drop")
        graph.outputs = outputs.map { (name: $0.0, value: $0.1) }

        var random = SeededRandom(seed: 11)
        var parameters: [String: Tensor] = [:]
        for parameter in graph.parameters {
            let positive = parameter.name.hasSuffix("running_var")
            parameters[parameter.name] = Tensor(shape: parameter.shape, data: (0..<ShapeRules.elementCount(parameter.shape)).map { _ in
                positive ? random.uniform(0.2, 2) : random.uniform(-1.5, 1.5)
            })
        }
        var inputs: [String: Tensor] = [:]
        for (name, id) in graph.inputs {
            let shape = graph.shape(of: id)
            inputs[name] = Tensor(shape: shape, data: (0..<ShapeRules.elementCount(shape)).map { _ in random.uniform(-2, 2) })
        }
        let expected = try Interpreter(graph: graph).run(parameters: parameters, inputs: inputs)
        let actual = try CBackendHarness.run(graph, parameters: parameters, inputs: inputs, threads: threads)
        for (name, reference) in expected {
            let problem = actual[name].map { CBackendHarness.tolerance.mismatch($0, reference) } ?? "no output"
            if let problem { Issue.record("\(name): \(problem)") }
        }
    }

    // MARK: structure

    @Test func everyLinearNormReductionOpHasALowering() {
        for op in ["linear", "matmul", "softmax", "layernorm", "batchnorm", "groupnorm", "mean", "sum", "max", "identity", "dropout", "parameter"] {
            #expect(OpRegistry.op(named: op) is any DirectLowering, "no lowering for \(op)")
        }
    }

    /// Every kernel is one top-level parallel loop (nothing declared before it, which the
    /// outlined task could not see), and the loops marked vectorized are innermost.
    @Test func kernelsAreParallelAndVectorizedInnermost() throws {
        let cases: [(String, [[Int]], Args)] = [
            ("linear", [[4, 16]], [("out", .int(8))]), ("matmul", [[2, 8, 16], [16, 32]], []),
            ("softmax", [[4, 16]], []), ("layernorm", [[4, 16]], []), ("batchnorm", [[2, 4, 8]], []),
            ("groupnorm", [[2, 4, 8]], [("groups", .int(2))]), ("mean", [[4, 16]], [("axes", .ints([1]))]),
            ("sum", [[4, 16]], [("axes", .ints([0]))]), ("max", [[4, 16]], []), ("identity", [[4]], []),
            ("dropout", [[4]], []), ("parameter", [], [("shape", .ints([4]))]),
        ]
        for (name, shapes, args) in cases {
            let graph = try SingleNodeHarness.graph(name, shapes, args)
            let kernel = try SingleNodeHarness.kernel(graph)
            #expect(kernel.body.count == 1, "\(name): \(kernel.body)")
            guard case .loop(_, _, _, .parallel, let body)? = kernel.body.first else {
                Issue.record("\(name) does not start with a parallel loop")
                continue
            }
            #expect(SingleNodeHarness.vectorizedLoopsAreInnermost(body), "\(name)")
            let text = CPrinter().kernel(kernel)
            #expect(text.contains("attend_parallel_for"), "\(name)")
        }
        // The matmul's innermost loop runs over the output row and B's row.
        let matmul = CPrinter().kernel(try SingleNodeHarness.kernel(try SingleNodeHarness.graph("matmul", [[2, 8, 16], [16, 32]], [])))
        #expect(matmul.contains("out0[(cbase + j)] = (out0[(cbase + j)] + (scale * in1[((bbase + (p * 32)) + j)]));"))
    }
}

/// Compiles one node's kernel as a C program and compares it with the interpreter.
enum SingleNodeHarness {
    static let runtimeInclude = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/AttendRuntime/include").path

    static func graph(_ name: String, _ shapes: [[Int]], _ args: [(String, ArgValue)]) throws -> Graph {
        let op = try #require(OpRegistry.op(named: name))
        let attributes = try op.typeArguments(args.map { (name: $0.0, value: $0.1) })
        var graph = Graph(name: "t")
        let ids = shapes.enumerated().map { graph.addInput(name: "x\($0.offset)", shape: $0.element) }
        let outputs = try graph.apply(op, inputs: ids, attributes: attributes, layer: "l")
        graph.outputs = outputs.enumerated().map { (name: "y\($0.offset)", value: $0.element) }
        return graph
    }

    static func kernel(_ graph: Graph) throws -> AttendCodegen.Kernel {
        let node = graph.nodes[0]
        let lowering = try #require(Lowerings.direct(for: node.op))
        return try CGenerator.makeKernel(node, index: 0, graph: graph, lowering: lowering)
    }

    static func vectorizedLoopsAreInnermost(_ body: [Stmt]) -> Bool {
        body.allSatisfy { stmt in
            switch stmt {
            case .loop(_, _, _, .vectorized, let inner): return !containsLoop(inner)
            case .loop(_, _, _, .parallel, _): return false
            case .loop(_, _, _, _, let inner): return vectorizedLoopsAreInnermost(inner)
            case .when(_, let then, let otherwise): return vectorizedLoopsAreInnermost(then) && vectorizedLoopsAreInnermost(otherwise)
            default: return true
            }
        }
    }

    static func containsLoop(_ body: [Stmt]) -> Bool {
        body.contains { stmt in
            switch stmt {
            case .loop: return true
            case .when(_, let then, let otherwise): return containsLoop(then) || containsLoop(otherwise)
            default: return false
            }
        }
    }

    /// Runs op `name` on random inputs (or `inputs`) and random parameters with both the
    /// interpreter and the compiled kernel, and compares every output element.
    static func check(_ name: String, _ shapes: [[Int]], _ args: [(String, ArgValue)] = [],
                      inputs given: [[Float]]? = nil, parameterBound: Float = 1.5, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let graph = try graph(name, shapes, args)
        var random = SeededRandom(seed: 7, name: "\(name) \(shapes) \(args.map { "\($0.0)=\($0.1)" })")
        var inputs: [String: Tensor] = [:]
        for (k, (inputName, id)) in graph.inputs.enumerated() {
            let shape = graph.shape(of: id)
            let data = given?[k] ?? (0..<ShapeRules.elementCount(shape)).map { _ in random.uniform(-2, 2) }
            inputs[inputName] = Tensor(shape: shape, data: data)
        }
        var parameters: [String: Tensor] = [:]
        for parameter in graph.parameters {
            let positive = parameter.name.hasSuffix("running_var")
            let data = (0..<ShapeRules.elementCount(parameter.shape)).map { _ in positive ? random.uniform(0.2, 2) : random.uniform(-parameterBound, parameterBound) }
            parameters[parameter.name] = Tensor(shape: parameter.shape, data: data)
        }
        let expected = try Interpreter(graph: graph).run(parameters: parameters, inputs: inputs).map(\.tensor)
        let node = graph.nodes[0]
        let buffers = node.inputs.indices.map { inputs["x\($0)"]!.data } + node.parameters.map { parameters[$0.name]!.data }
        let actual = try run(kernel(graph), buffers: buffers)
        let label = "\(name) \(shapes.map(formatShape)) \(args.map { "\($0.0)=\($0.1)" })"
        #expect(actual.count == expected.count, "\(label): output count", sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) {
            #expect(a.count == e.data.count, "\(label): element count", sourceLocation: sourceLocation)
            var worst: (index: Int, got: Float, want: Float)?
            for (index, (got, want)) in zip(a, e.data).enumerated() where !CBackendHarness.tolerance.accepts(got, want) {
                worst = worst ?? (index, got, want)
            }
            if let worst {
                Issue.record("\(label): element \(worst.index) is \(worst.got), the interpreter says \(worst.want)", sourceLocation: sourceLocation)
            }
        }
    }

    /// Compiles the kernel with a main that reads the input and weight buffers from files
    /// (allocated to exactly their sizes), fills outputs with NaN, runs it with a fake pool
    /// that splits the range into three uneven chunks, and writes the outputs.
    static func run(_ kernel: AttendCodegen.Kernel, buffers: [[Float]]) throws -> [[Float]] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("attend-groupa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var main = ["int main(void) {", "    struct attend_pool pool = {0};"]
        var arguments: [String] = []
        var outputs: [(String, Int)] = []
        var readIndex = 0
        for (k, parameter) in kernel.parameters.enumerated() {
            let count = parameter.count, variable = "b\(k)"
            main.append("    float *\(variable) = malloc(sizeof(float) * \(max(count, 1)));")
            if parameter.role == .output {
                main.append("    for (int64_t i = 0; i < \(count); i++) \(variable)[i] = NAN;")
                outputs.append((variable, count))
            } else {
                let data = buffers[readIndex]
                readIndex += 1
                #expect(data.count == count)
                try data.withUnsafeBytes { Data($0) }.write(to: directory.appendingPathComponent("\(variable).bin"))
                main.append("    if (load(\"\(directory.path)/\(variable).bin\", \(variable), \(count))) return 1;")
            }
            arguments.append(variable)
        }
        main.append("    \(kernel.name)(\((arguments + ["&pool"]).joined(separator: ", ")));")
        main.append("    FILE *file = fopen(\"\(directory.path)/outputs.bin\", \"wb\");")
        main.append("    if (!file) return 1;")
        for (variable, count) in outputs {
            main.append("    if (fwrite(\(variable), sizeof(float), \(count), file) != (size_t)\(count)) return 1;")
        }
        main.append("    fclose(file);")
        for variable in arguments { main.append("    free(\(variable));") }
        main += ["    return 0;", "}"]
        let source = """
        #include <math.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include "attend_runtime.h"

        struct attend_pool { int unused; };
        void attend_parallel_for(attend_pool *pool, int64_t begin, int64_t end, attend_task task, void *context) {
            (void)pool;
            int64_t count = end - begin, first = begin + count / 5, second = begin + (count * 3) / 5;
            task(context, begin, first);
            task(context, first, second);
            task(context, second, end);
        }
        static int load(const char *path, float *data, int64_t count) {
            FILE *file = fopen(path, "rb");
            if (!file) return 1;
            size_t read = fread(data, sizeof(float), (size_t)count, file);
            fclose(file);
            return read != (size_t)count;
        }
        \(CPrinter.prelude(vectorWidth: 4))
        \(CPrinter().kernel(kernel))
        \(main.joined(separator: "\n"))

        """
        let sourceFile = directory.appendingPathComponent("kernel.c"), executable = directory.appendingPathComponent("kernel")
        try source.write(to: sourceFile, atomically: true, encoding: .utf8)
        // Unused prelude helpers (static inline) are the printer's business, which clang reports.
        let compile = try Subprocess.run(try CBuild(target: .portable).compiler, CBuild.languageFlags + ["-O1", "-g", "-Wall", "-Wextra", "-Wshadow", "-Werror", "-Wno-unused-function",
                                                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                                                    "-I", runtimeInclude, sourceFile.path, "-o", executable.path, "-lm"])
        guard compile.status == 0 else {
            Issue.record("C compilation failed:\n\(compile.stderr)\n\(source)")
            return []
        }
        let result = try Subprocess.run(executable.path, [])
        guard result.status == 0 else {
            Issue.record("the kernel failed:\n\(result.stderr)\n\(source)")
            return []
        }
        let written = try Data(contentsOf: directory.appendingPathComponent("outputs.bin"))
        var offset = 0
        return outputs.map { _, count in
            let values = written.subdata(in: offset..<(offset + count * 4)).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            offset += count * 4
            return values
        }
    }
}
