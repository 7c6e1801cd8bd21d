/// The buffers a node's lowering is written against before its loads and stores are
/// redirected to real buffers, views and the epilogue (`UnitLowering`) or inspected
/// (`KernelSchedule.accumulates`). One naming for both, prefixed so that a placeholder is
/// never the name of a kernel parameter (`in0`, `w0`, `out0`, `scratch`, `x3`).
enum Placeholder {
    static func input(_ k: Int) -> BufferRef { BufferRef("p_in\(k)") }
    static func output(_ k: Int) -> BufferRef { BufferRef("p_out\(k)") }
    static func weight(_ slot: String) -> BufferRef { BufferRef("p_w_" + slot) }
    static var scratch: BufferRef { BufferRef("p_scratch") }
}
