import AttendBasic
@testable import AttendCodegen
import AttendInterpreter
import AttendIR
import Testing

/// Kernels that differ only in literals share one function taking the literals that differ
/// as arguments (`Kernel.sharingFunctions`); what the C compiler needs constant stays so.
struct SharedFunctionTests {
    static let x = BufferRef("x"), y = BufferRef("y")

    /// `y[i * stride + j] = x[i * stride + j] * scale` over `rows` rows of `columns`, the
    /// inner loop scheduled `inner`.
    static func kernel(_ name: String, rows: Int = 4, columns: Int = 8, stride: Int = 8, scale: Double = 2,
                       inner: LoopSchedule = .serial, body extra: [Stmt] = []) -> Kernel {
        let at: IndexExpr = .v("i") * .constant(stride) + .v("j")
        return Kernel(name: name, comment: name,
                      parameters: [Kernel.Parameter(x, .input, count: rows * stride), Kernel.Parameter(y, .output, count: rows * stride)],
                      body: extra + [.loop(variable: "i", lower: 0, upper: .constant(rows), schedule: .parallel, body: [
                          .loop(variable: "j", lower: 0, upper: .constant(columns), schedule: inner, body: [
                              .store(y, at, .load(x, at) * .constant(scale)),
                          ]),
                      ])])
    }

    @Test func kernelsDifferingInOneLiteralShareAFunction() {
        let shared = Kernel.sharingFunctions([Self.kernel("a", stride: 8), Self.kernel("b", stride: 12), Self.kernel("c", stride: 8)])
        #expect(shared.map(\.scalars) == [[.index(8)], [.index(12)], [.index(8)]])
        #expect(shared[0].kernel.scalars == [ScalarParameter("arg0", .index)])
        // The same function but for its name; what all share (bounds, the scale) stays literal.
        var renamed = shared[1].kernel
        renamed.name = "a"
        renamed.comment = shared[0].kernel.comment
        #expect(renamed == shared[0].kernel)
        let text = CPrinter().kernel(shared[0].kernel)
        #expect(text.hasPrefix("/* a (one function for 3 kernels: the sizes that differ are arguments) */"))
        #expect(text.contains("int64_t arg0, attend_pool *pool)"))
        #expect(text.contains("y[((i * arg0) + j)] = (x[((i * arg0) + j)] * 2.0f);"))
        #expect(text.contains("for (int64_t j = 0; j < 8; j++)"))
        // The outlined task reads the scalar from its context, which the kernel fills.
        #expect(text.contains("const int64_t arg0 = context->arg0;"))
        #expect(text.contains("context = { x, y, arg0 };"))
        #expect(CPrinter().runStep(.call(function: "f", arguments: [.input(0), .output(0)], scalars: shared[1].scalars + [.float(0.5)]))
                == "    f(inputs[0], outputs[0], 12, 0.5f, m->pool);")
    }

    @Test func literalsWithEqualValuesShareOneArgumentAndFloatsBecomeFloatArguments() {
        let shared = Kernel.sharingFunctions([Self.kernel("a", rows: 4, stride: 4, scale: 0.25), Self.kernel("b", rows: 6, stride: 6, scale: 1.0 / 6)])
        // Rows and stride vary together: one argument; the scale is a float argument.
        #expect(shared[0].kernel.scalars == [ScalarParameter("arg0", .index), ScalarParameter("arg1", .float)])
        #expect(shared.map(\.scalars) == [[.index(4), .float(0.25)], [.index(6), .float(1.0 / 6)]])
        let text = CPrinter().kernel(shared[0].kernel)
        #expect(text.contains("int64_t arg0, float arg1, attend_pool *pool)"))
        #expect(text.contains("attend_parallel_for(pool, 0, arg0,"))
    }

    @Test func kernelsDifferingInStructureDoNotMerge() {
        let different = Self.kernel("b", stride: 12, body: [.comment("a prologue")])
        let kernels = [Self.kernel("a", stride: 8), different, Self.kernel("c", stride: 8, inner: .vectorized, body: [])]
        let shared = Kernel.sharingFunctions(kernels)
        #expect(shared.map(\.kernel) == kernels)
        #expect(shared.allSatisfy { $0.scalars.isEmpty })
    }

    /// A vectorized innermost loop keeps a literal trip count: those kernels stay apart. A
    /// serial one, or a vectorized one whose other literals differ, may share.
    @Test func aVectorizedLoopsLiteralTripCountStaysConstant() {
        let vectorized = Kernel.sharingFunctions([Self.kernel("a", columns: 8, inner: .vectorized), Self.kernel("b", columns: 16, inner: .vectorized)])
        #expect(vectorized.allSatisfy { $0.scalars.isEmpty })
        let serial = Kernel.sharingFunctions([Self.kernel("a", columns: 8), Self.kernel("b", columns: 16)])
        #expect(serial.map(\.scalars) == [[.index(8)], [.index(16)]])
        let strides = Kernel.sharingFunctions([Self.kernel("a", stride: 8, inner: .vectorized), Self.kernel("b", stride: 9, inner: .vectorized)])
        #expect(CPrinter().kernel(strides[1].kernel).contains("for (int64_t j = 0; j < 8; j++)"))
        #expect(strides.map(\.scalars) == [[.index(8)], [.index(9)]])
        // A vectorized sum keeps even bounds that are expressions (they decide its order).
        func sum(_ name: String, _ count: Int) -> Kernel {
            Kernel(name: name, comment: name, parameters: [Kernel.Parameter(Self.x, .input, count: count), Kernel.Parameter(Self.y, .output, count: 1)],
                   body: [.declare("s", .constant(0)),
                          .loop(variable: "t", lower: 0, upper: .min(.constant(count), .v("n")), schedule: .vectorizedSum("s"), body: [.assign("s", .scalar("s") + .load(Self.x, .v("t")))]),
                          .store(Self.y, 0, .scalar("s"))])
        }
        #expect(Kernel.sharingFunctions([sum("a", 16), sum("b", 32)]).allSatisfy { $0.scalars.isEmpty })
    }

    /// A divisor inside an innermost loop stays a literal (a division by a variable per
    /// element is a hardware division); outside it, it may vary.
    @Test func anInnermostDivisorStaysConstant() {
        func divided(_ name: String, by divisor: Int) -> Kernel {
            let read = Stmt.store(Self.y, .v("j"), .load(Self.x, .v("j") % .constant(divisor)))
            return Kernel(name: name, comment: name, parameters: [Kernel.Parameter(Self.x, .input, count: 16), Kernel.Parameter(Self.y, .output, count: 16)],
                          body: [.loop(variable: "j", lower: 0, upper: 16, schedule: .serial, body: [read])])
        }
        let inside = Kernel.sharingFunctions([divided("a", by: 4), divided("b", by: 8)])
        #expect(inside.allSatisfy { $0.scalars.isEmpty })
        let kernel = Kernel(name: "k", comment: "", parameters: [], body: [
            .loop(variable: "i", lower: 0, upper: 4, schedule: .serial, body: [.letIndex("q", .v("i") / 3),
                .loop(variable: "j", lower: 0, upper: 4, schedule: .serial, body: [.letIndex("r", .v("j") % 3)])]),
        ])
        var other = kernel
        other.body = [.loop(variable: "i", lower: 0, upper: 4, schedule: .serial, body: [.letIndex("q", .v("i") / 5),
            .loop(variable: "j", lower: 0, upper: 4, schedule: .serial, body: [.letIndex("r", .v("j") % 3)])])]
        let outside = Kernel.sharingFunctions([kernel, other])
        #expect(outside.map(\.scalars) == [[.index(3)], [.index(5)]])
        #expect(CPrinter().kernel(outside[0].kernel).contains("const int64_t r = (j % 3);"))
        #expect(CPrinter().kernel(outside[0].kernel).contains("const int64_t q = (i / arg0);"))
    }

    /// A local array's size never becomes an argument: the shared function declares the
    /// largest its members need. Vector widths are part of the skeleton.
    @Test func localArraySizesAndVectorWidthsStayConstant() {
        func scratch(_ name: String, _ count: Int, width: Int = 4) -> Kernel {
            let t = BufferRef("t")
            return Kernel(name: name, comment: name, parameters: [Kernel.Parameter(Self.y, .output, count: count)], body: [
                .localArray(t, count: count),
                .loop(variable: "i", lower: 0, upper: .constant(count), schedule: .serial, body: [.store(t, .v("i"), .index(.v("i")))]),
                .storeVector(Self.y, 0, .load(t, 0, width: width, aligned: true), width: width, aligned: true),
            ])
        }
        let shared = Kernel.sharingFunctions([scratch("a", 32), scratch("b", 64)])
        #expect(shared.map(\.scalars) == [[.index(32)], [.index(64)]])
        let text = CPrinter().kernel(shared[0].kernel)
        #expect(text.contains("_Alignas(64) float t[64];"))
        #expect(text.contains("for (int64_t i = 0; i < arg0; i++)"))
        let widths = Kernel.sharingFunctions([scratch("a", 32, width: 4), scratch("b", 64, width: 8)])
        #expect(widths.allSatisfy { $0.scalars.isEmpty })
    }

    /// A model whose channel attention and folded batchnorms repeat on three sizes: fewer
    /// kernel functions, the same numbers as one function per kernel (bit for bit), and the
    /// interpreter's.
    @Test func aProgramWithSharedFunctionsComputesTheSameNumbers() throws {
        let graph = try CodegenTests.graph("""
            attend: 1
            name: shared_case
            inputs:
              x: [1, 8, 6, 6]
            layers:
              - a: {op: conv2d, out: 8, kernel: 3, pad: 1, bias: false}
              - bn1: batchnorm
              - se1: {op: se, rd_channels: 4}
              - b: {op: conv2d, out: 16, kernel: 3, pad: 1, stride: 2, bias: false}
              - bn2: batchnorm
              - se2: {op: se, rd_channels: 4}
              - c: {op: conv2d, out: 32, kernel: 1, bias: false}
              - bn3: batchnorm
              - se3: {op: se, rd_channels: 4}

            """)
        func functions(_ program: CProgram) -> Int {
            program.kernelFiles.filter { $0.optimization == .run }.map { $0.source.components(separatedBy: "\nATTEND_KERNEL ").count - 1 }.reduce(0, +)
        }
        let shared = try CGenerator.generate(graph, target: .portable)
        let apart = try CGenerator.generate(graph, target: .portable, strategies: KernelStrategies.allowed(on: .portable), sharingFunctions: false)
        #expect(functions(shared) < functions(apart), "no kernel function was shared")
        // The batchnorms folded into weights of three sizes: one load-time function, its
        // sizes in the derivation table.
        #expect(shared.source.contains(" int64_t sizes[") && !apart.source.contains(" int64_t sizes["))
        #expect(shared.kernelCount == apart.kernelCount)
        let parameters = try Weights.initialize(graph, seed: 3)
        let inputs = try Weights.randomInputs(graph, seed: 3)
        let withShared = try CBackendHarness.run(graph, parameters: parameters, inputs: inputs)
        let withoutShared = try CBackendHarness.run(graph, parameters: parameters, inputs: inputs, sharingFunctions: false)
        #expect(withShared.keys.sorted() == withoutShared.keys.sorted())
        for (name, tensor) in withShared {
            #expect(tensor == withoutShared[name], "output \(name) differs with shared functions")
        }
        try CBackendHarness.expectAgreement(graph, seed: 3)
    }
}
