import AttendIR

/// Kernels for linear algebra, normalization, reductions and parameters (filled in op by op).
enum KernelGroupA {
    static let table: [String: Kernel] = [:]
}
