@testable import AttendCodegen
import AttendIR
import Testing

/// What printers share: parallel outlining as a pass, typed buffer locations, and the one
/// walker's order (hooks with side effects, as numbering buffers as they are met, rely on it).
struct KernelPrinterTests {
    static let x = BufferRef("x"), y = BufferRef("y")
    static let kernel = Kernel(
        name: "k", comment: "two parallel loops",
        parameters: [Kernel.Parameter(x, .input, count: 8), Kernel.Parameter(y, .output, count: 8)],
        body: [.comment("first"),
               .loop(variable: "i", lower: 0, upper: 8, schedule: .parallel, body: [.store(y, .v("i"), .load(x, .v("i")))]),
               .loop(variable: "j", lower: 0, upper: 4, schedule: .parallel, body: [
                   .loop(variable: "n", lower: 0, upper: 2, schedule: .parallel, body: [.store(y, .v("j") + .v("n"), .constant(0))]),
               ])])

    @Test func outliningMovesTopLevelParallelLoopsIntoTasks() {
        let outlined = Self.kernel.outliningParallelLoops()
        #expect(outlined.body == [.comment("first"), .runParallel(task: 0), .runParallel(task: 1)])
        #expect(outlined.tasks.map(\.variable) == ["i", "j"])
        #expect(outlined.tasks[1].upper == 4)
        // A nested parallel loop stays in its task's body.
        guard case .loop(_, _, _, .parallel, _)? = outlined.tasks[1].body.first else {
            Issue.record("the nested parallel loop was taken out: \(outlined.tasks[1].body)")
            return
        }
        #expect(outlined.tasks[0].captures == Self.kernel.parameters)
        #expect(outlined.outliningParallelLoops() == outlined)
    }

    @Test func cPrinterPrintsEachTaskAndItsLaunch() {
        let text = CPrinter().kernel(Self.kernel)
        #expect(text.contains("static void k_task1(void *opaque, int64_t begin, int64_t end) {"))
        #expect(text.contains("    { k_context context = { x, y };\n      attend_parallel_for(pool, 0, 8, k_task0, &context); }"))
        #expect(!text.contains("(void)pool;"))
        #expect(text == CPrinter().kernel(Self.kernel.outliningParallelLoops()))
    }

    @Test func locationsAndRunStepsPrintAsTheRunFunctionSeesThem() {
        let printer = CPrinter()
        #expect(printer.location(.offset(.arena(offset: 64), by: 16)) == "((arena + 64) + 16)")
        #expect(printer.location(.parameter(3)) == "m->params[3]")
        #expect(printer.runStep(.call(function: "f", arguments: [.input(0), .output(1)])) == "    f(inputs[0], outputs[1], m->pool);")
        #expect(printer.runStep(.copy(BufferCopy(output: 1, source: .input(0), count: 12)))
                == "    memcpy(outputs[1], inputs[0], sizeof(float) * 12);")
    }

    /// A name the parameter table does not hold has no location (the program generator then
    /// refuses the call as an internal error) instead of silently standing for entry 0.
    @Test func unknownParametersHaveNoLocation() throws {
        let graph = try ConvGEMMStrategyTests.optimized("""
            attend: 1
            name: storage_case
            inputs:
              x: [1, 4, 5, 5]
            layers:
              - conv: {op: conv2d, out: 8, kernel: 3, pad: 1, bias: true}

            """)
        let storage = Storage(graph, schedule: KernelSchedule(graph))
        let known = try #require(graph.parameters.first?.name)
        #expect(!storage.parameter(known).isAbsent)
        #expect(storage.parameter("no.such.weight").isAbsent)
        #expect(BufferLocation.offset(.absent, by: 4).isAbsent && !BufferLocation.offset(.arena(offset: 0), by: 4).isAbsent)
    }

    @Test func walkerVisitsPartsInSourceOrderChildrenFirst() {
        var seen: [String] = []
        let stmt = Stmt.when(.less(.v("a"), .v("b")), then: [.store(Self.y, .v("c"), .load(Self.x, .v("d")))],
                             otherwise: [.assign("s", .index(.v("e")))])
        stmt.visit(statement: { if case .store = $0 { seen.append("store") } },
                   index: { if case .variable(let name) = $0 { seen.append(name) } },
                   value: { if case .load = $0 { seen.append("load") } })
        #expect(seen == ["a", "b", "c", "d", "load", "store", "e"])
    }

    @Test func vectorStoresAreRedirectedBeforeTheirValue() {
        var order: [String] = []
        let stmt = Stmt.storeVector(Self.y, .v("i"), .load(Self.x, .v("j"), width: 4, aligned: true), width: 4, aligned: true)
        let moved = stmt.rewritten(load: { .load($0, $1) }, store: { [.store($0, $1, $2)] }, vectorBuffer: { buffer, index in
            order.append(buffer.name)
            return (buffer == Self.y ? BufferRef("z") : buffer, index)
        })
        #expect(order == ["y", "x"])
        // A moved access loses its alignment promise; one left in place keeps it.
        #expect(moved == [.storeVector(BufferRef("z"), .v("i"), .load(Self.x, .v("j"), width: 4, aligned: true), width: 4, aligned: false)])
    }

    @Test func partialVectorStoresAndTransposesAreRedirected() {
        let stmts: [Stmt] = [
            .transpose(Self.x, .v("t"), rows: (0..<4).map { .register("r\($0)") }, width: 4),
            .storeVectorLanes(Self.y, .v("i"), .load(Self.x, .v("j"), width: 4, aligned: true), width: 4, count: .v("n")),
        ]
        var order: [String] = []
        let moved = stmts.flatMap { stmt in
            stmt.rewritten(load: { .load($0, $1) }, store: { [.store($0, $1, $2)] }, vectorBuffer: { buffer, index in
                order.append(buffer.name)
                return (buffer == Self.y ? BufferRef("z") : buffer, buffer == Self.y ? index + .constant(8) : index)
            })
        }
        #expect(order == ["x", "y", "x"])
        #expect(moved == [.transpose(Self.x, .v("t"), rows: (0..<4).map { .register("r\($0)") }, width: 4),
                          .storeVectorLanes(BufferRef("z"), .v("i") + .constant(8), .load(Self.x, .v("j"), width: 4, aligned: true), width: 4, count: .v("n"))])
        let printed = CPrinter().statements(moved, depth: 0, in: Kernel(name: "k", comment: "", parameters: [], body: moved))
        #expect(printed == ["attend_transpose_f32x4(x + t, (attend_f32x4[4]){r0, r1, r2, r3});",
                            "attend_storen_f32x4(z + (i + 8), attend_loada_f32x4(x + j), n);"])
    }
}
