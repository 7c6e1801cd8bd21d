import AttendBasic

/// How an op may be fused with its neighbours, in TVM's classification. The fusion rules
/// (`FusionRules`, read by the optimizer and code generation) read this property, never op names.
public enum FusionKind: String, Sendable, CaseIterable {
    /// One output element from the same-index input elements (relu, add of equal shapes).
    case elementwise
    /// Elementwise after broadcasting inputs (add with a [C,1,1] operand).
    case broadcast
    /// Each output element is one input element moved (reshape, permute, slice, pad).
    case injective
    /// Output elements combine many input elements along axes (mean, softmax).
    case reduction
    /// A compute-heavy op whose output can take an elementwise epilogue (conv, matmul).
    case complexOutFusable = "complex-out-fusable"
    /// Fuses with nothing.
    case opaque
}

/// How many inputs an op takes.
public enum Arity: Hashable, Sendable {
    case exactly(Int)
    case range(Int, Int)
    case atLeast(Int)

    public func accepts(_ count: Int) -> Bool {
        switch self {
        case .exactly(let n): return count == n
        case .range(let low, let high): return count >= low && count <= high
        case .atLeast(let n): return count >= n
        }
    }

    public var description: String {
        switch self {
        case .exactly(let n): return n == 1 ? "1 input" : "\(n) inputs"
        case .range(let low, let high): return "\(low) to \(high) inputs"
        case .atLeast(let n): return n == 1 ? "at least 1 input" : "at least \(n) inputs"
        }
    }
}

/// How a parameter is filled when no weights file is given: PyTorch's default initializers,
/// drawn from a generator seeded by the parameter's name.
public enum ParameterInit: Hashable, Sendable {
    /// Uniform in ±1/sqrt(fanIn): PyTorch's default for conv and linear weights and biases.
    case uniformFanIn(Int)
    case constant(Double)
    case normal(std: Double)
}

/// A learned tensor an op owns, named as PyTorch names it inside the module (`weight`,
/// `bias`, `running_mean`); the empty name is for ops that are a parameter themselves.
public struct ParameterSlot: Hashable, Sendable {
    public var name: String
    public var shape: [Int]
    public var initializer: ParameterInit
    /// A state_dict buffer rather than a learned parameter (BatchNorm's running statistics):
    /// loaded and saved the same way, but not counted as a parameter, as in PyTorch.
    public var isBuffer: Bool

    public init(_ name: String, _ shape: [Int], _ initializer: ParameterInit, isBuffer: Bool = false) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
        self.isBuffer = isBuffer
    }
}

/// A primitive op, declared once: its schema, shape rule, parameters and cost. Each stage
/// adds what it does with the op as a conformance of the op's type (the interpreter's
/// `Interpretable`, code generation's `DirectLowering`, export's `ONNXLowering`), so every
/// stage dispatches on types, and on a type's stored kind where several ops share it
/// (`ReductionOp.kind`, `ElementwiseOp.kind`); the name is for parsing and messages.
/// Elementwise ops carry their scalar formula here so every backend prints the same math.
public protocol Op: Sendable {
    /// The name users write (`conv2d`) and the IR prints.
    var name: String { get }
    /// What tells apart the ops one type declares (`ConvOp`'s rank, `ElementwiseOp`'s kind);
    /// nil (the default) for a type that declares one op. With the type, the op's `identity`.
    var variant: AnyHashable? { get }
    /// One line for `attend check --ops`, the JSON schema and the language reference.
    var summary: String { get }
    var arguments: [ArgSpec] { get }
    var arity: Arity { get }
    var fusion: FusionKind { get }
    /// Buffers PyTorch keeps in a state_dict that this op ignores (BatchNorm's `num_batches_tracked`).
    var ignoredStateNames: [String] { get }

    /// Output shapes, or a diagnostic (without location) that names the offending shapes.
    func outputShapes(inputs: [[Int]], attributes: Attributes) throws(Diagnostic) -> [[Int]]
    /// Learned tensors, in PyTorch's layout, for these input shapes.
    func parameters(inputs: [[Int]], attributes: Attributes) -> [ParameterSlot]
    /// Floating-point operations (a multiply-add counts two), for `attend check`.
    func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int
    /// For injective ops, how output `output` reads the input (see `IndexMap`); nil otherwise.
    func indexMap(inputs: [[Int]], attributes: Attributes, output: Int) -> IndexMap?
    /// For an op whose output is its inputs laid end to end (concat along an axis with only
    /// extent-1 axes before it): the flat offset of each input in the output, so producers
    /// can write there directly; nil otherwise.
    func contiguousInputOffsets(inputs: [[Int]], attributes: Attributes) -> [Int]?
    /// For a reduction over trailing axes (global pooling of NCHW maps): each output element
    /// reduces one contiguous window of this many input elements; nil otherwise. A producer
    /// kernel can then reduce each window as it finishes writing it.
    func reductionWindow(inputs: [[Int]], attributes: Attributes) -> Int?
    /// Whether each output row along the last axis is computed from that input row alone
    /// (softmax over the last axis): such a node between two matrix products can run one row
    /// at a time, so the full matrix between them is never stored.
    func normalizesRows(inputs: [[Int]], attributes: Attributes) -> Bool
    /// Whether a node of this op with these input shapes returns its (first) input unchanged
    /// (identity, a same-shape reshape, a full slice, unit pooling, zero padding). The
    /// default reads `indexMap`; ops without one declare their own.
    func returnsInputUnchanged(inputs: [[Int]], attributes: Attributes) -> Bool
    /// For ops with a `weight` whose row `i` (and `bias[i]`) makes output channel `i` (conv,
    /// linear): the output axis of those channels, so a per-channel scale or batchnorm after
    /// the op can fold into its weights; nil otherwise.
    func outputChannelAxis(inputs: [[Int]], attributes: Attributes) -> Int?
    /// For ops with an `outputChannelAxis`: the weight dim that indexes output channels
    /// (0, rows, for conv and linear; 1 for a transposed convolution's `[in, out, ...]`).
    func weightChannelDim(inputs: [[Int]], attributes: Attributes) -> Int
    /// Slots whose state_dict form is other tensors, computed at load time (spectral norm's
    /// `weight_orig`, `weight_u`, `weight_v`); see `Reparametrization`.
    func reparametrizations(inputs: [[Int]], attributes: Attributes) -> [Reparametrization]
    /// Whether the op's kernels read operand k (`.operand(k)`) or write result k
    /// (`.result(k)`) stored in `layout` (see `Layout`). Row-major only by default: an op
    /// that handles another layout declares it here, and the verifier (and `Graph.apply`)
    /// keep every other layout away from it, so its lowering only ever sees row-major buffers.
    func handlesLayout(_ layout: Layout, at port: LayoutPort, inputs: [[Int]], attributes: Attributes) -> Bool
    /// The layout `Graph.apply` gives result `k` (row-major by default; `reorder`'s target).
    /// A layout pass may then change it to another layout the op handles.
    func resultLayout(_ result: Int, attributes: Attributes) -> Layout
}

/// Where a node meets a value: its operand k or its result k.
public enum LayoutPort: Hashable, Sendable {
    case operand(Int)
    case result(Int)
}

/// Which op an op value is: its type and, for types declaring several ops, its variant.
/// Compared instead of names wherever two nodes' ops must be the same op (CSE, derived
/// parameter definitions); a test checks that every registered op has its own.
public struct OpIdentity: Hashable {
    let type: ObjectIdentifier
    let variant: AnyHashable?
}

extension Op {
    public var variant: AnyHashable? { nil }
    public var identity: OpIdentity { OpIdentity(type: ObjectIdentifier(Self.self), variant: variant) }

    public var ignoredStateNames: [String] { [] }
    public func handlesLayout(_ layout: Layout, at port: LayoutPort, inputs: [[Int]], attributes: Attributes) -> Bool { layout == .rowMajor }
    public func resultLayout(_ result: Int, attributes: Attributes) -> Layout { .rowMajor }
    public func parameters(inputs: [[Int]], attributes: Attributes) -> [ParameterSlot] { [] }
    public func flops(inputs: [[Int]], outputs: [[Int]], attributes: Attributes) -> Int { 0 }

    /// Types raw argument values by the schema: fills defaults, rejects unknown names (with a
    /// suggestion) and wrong types. Errors carry no location; callers attach one.
    public func typeArguments(_ given: [(name: String, value: ArgValue)]) throws(ArgumentError) -> Attributes {
        var typed = Attributes()
        for (name, _) in given where !arguments.contains(where: { $0.name == name }) {
            let known = arguments.map(\.name)
            let list = known.isEmpty ? "it takes no arguments" : "known: \(known.joined(separator: ", "))"
            throw ArgumentError(argument: name, diagnostic: .error("unknown argument '\(name)' for op '\(self.name)'\(didYouMean(name, in: known)); \(list)"))
        }
        for spec in arguments {
            if let raw = given.first(where: { $0.name == spec.name })?.value {
                // An argument whose default is None may be given None explicitly.
                if raw == .none, spec.defaultValue == ArgValue.none {
                    typed[spec.name] = ArgValue.none
                    continue
                }
                switch spec.kind.accept(raw) {
                case .success(let value): typed[spec.name] = value
                case .failure(let error):
                    throw ArgumentError(argument: spec.name, diagnostic: .error("argument '\(spec.name)' of '\(name)': \(error.message)"))
                }
            } else if let value = spec.defaultValue {
                typed[spec.name] = value
            } else {
                throw ArgumentError(argument: nil, diagnostic: .error("op '\(name)' needs argument '\(spec.name)' (\(spec.kind.description))"))
            }
        }
        return typed
    }
}

/// A failure to type a node's arguments: which argument (nil when one is missing) and why.
public struct ArgumentError: Error, Sendable {
    public var argument: String?
    public var diagnostic: Diagnostic
}

/// Shape helpers shared by shape rules.
public enum ShapeRules {
    /// NumPy broadcasting of two shapes, or nil when they do not broadcast.
    public static func broadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if x == y || y == 1 { result[i] = x } else if x == 1 { result[i] = y } else { return nil }
        }
        return result
    }

    /// A possibly negative axis (`-1` is the last) as an index into `rank` axes.
    public static func normalizeAxis(_ axis: Int, rank: Int) throws(Diagnostic) -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        guard normalized >= 0, normalized < rank else {
            throw .error("axis \(axis) is out of range for a tensor of rank \(rank)")
        }
        return normalized
    }

    public static func normalizeAxes(_ axes: [Int], rank: Int) throws(Diagnostic) -> [Int] {
        var result: [Int] = []
        for axis in axes {
            let a = try normalizeAxis(axis, rank: rank)
            if result.contains(a) { throw .error("axis \(axis) is repeated in \(formatShape(axes))") }
            result.append(a)
        }
        return result
    }

    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The largest tensor a graph may hold (2^31 - 1 elements, 8 GiB of float32): larger
    /// shapes are an error, never an overflowing multiplication or an impossible allocation.
    public static let maxElements = Int(Int32.max)

    /// Checks that a shape has non-negative dims and at most `maxElements` elements.
    public static func checkSize(_ shape: [Int], _ what: String) throws(Diagnostic) {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { throw .error("\(what) has a negative dimension: \(formatShape(shape))") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= maxElements else {
                throw .error("\(what) \(formatShape(shape)) is too large (more than \(maxElements) elements)")
            }
            count = product
        }
    }
}
