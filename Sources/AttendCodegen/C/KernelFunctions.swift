/// The kernel functions of a program: a kernel whose code is the same as an earlier one's
/// but for its name and comment (the same op on the same shapes: a block repeated in a
/// stage, batchnorms folded into weights of the same size) calls the earlier function, so
/// the C compiler compiles each distinct kernel once.
struct KernelFunctions {
    let printer: CPrinter
    private(set) var printed: [String] = []
    private var nameByCode: [String: String] = [:]

    init(printer: CPrinter) { self.printer = printer }

    /// The name of the function that computes `kernel`, printing it if it is new.
    mutating func function(for kernel: Kernel) -> String {
        var anonymous = kernel
        anonymous.name = "attend_kernel"
        anonymous.comment = ""
        let code = printer.kernel(anonymous)
        if let name = nameByCode[code] { return name }
        nameByCode[code] = kernel.name
        printed.append(printer.kernel(kernel))
        return kernel.name
    }
}
