import Foundation

/// A dense, row-major (C order) float32 tensor: the value every stage exchanges.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    /// `data.count` must equal the product of `shape`; callers build both from the same shape.
    public init(shape: [Int], data: [Float]) {
        precondition(data.count == shape.reduce(1, *), "tensor data does not match its shape") // internal invariant
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }

    /// Checks that `count` floats can be allocated now, else `cannot allocate WHAT: N bytes
    /// (Cannot allocate memory)` as the C runtime reports its arena. Swift arrays cannot
    /// report an allocation failure (they abort), so the interpreter asks here before each
    /// node's outputs exist. Like C's malloc, this fails under an address-space limit
    /// (`ulimit -v`); without one, Linux overcommits in both backends alike.
    public static func checkAllocatable(_ count: Int, factor: Int = 1, _ what: @autoclosure () -> String) throws(Diagnostic) {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.stride * factor)
        guard !overflow, let probe = malloc(max(bytes, 1)) else {
            throw .error("cannot allocate \(what()): \(overflow ? "more than \(Int.max)" : String(bytes)) bytes (Cannot allocate memory)")
        }
        free(probe)
    }
    public var rank: Int { shape.count }
    public var strides: [Int] { Tensor.strides(of: shape) }

    /// Row-major strides of `shape`.
    public static func strides(of shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }
}

/// Shapes print the way PyTorch users read them: `[1, 64, 56, 56]`.
public func formatShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
