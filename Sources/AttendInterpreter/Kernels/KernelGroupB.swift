import AttendIR

/// Kernels for pooling, layout and resampling ops (filled in op by op).
enum KernelGroupB {
    static let table: [String: Kernel] = [:]
}
