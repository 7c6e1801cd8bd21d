extension Kernel {
    /// The fewest floats a kernel's buffers hold (`Parameter.count`: inputs, weights,
    /// outputs and scratch) for its parallel loops to split across threads. Below it the
    /// work is a few microseconds, about what handing chunks to another thread and reading
    /// back lines it wrote cost: on Zen 3 at two threads, the attention gates' 512 -> 32
    /// products (17 thousand floats) took 1.6-2.7x their one-thread time. (PyTorch's
    /// `parallel_for` does not split fewer than 32768 elements either: its grain size.)
    public static let parallelFloats = 32_768

    /// This kernel with its top-level parallel loops made serial when its buffers hold fewer
    /// than `floats` floats: it then runs on the calling thread.
    func runningSmallWorkInline(below floats: Int) -> Kernel {
        guard parameters.reduce(0, { $0 + $1.count }) < floats else { return self }
        var serial = self
        serial.body = body.map { stmt in
            guard case .loop(let variable, let lower, let upper, .parallel, let loopBody) = stmt else { return stmt }
            return .loop(variable: variable, lower: lower, upper: upper, schedule: .serial, body: loopBody)
        }
        return serial
    }
}
