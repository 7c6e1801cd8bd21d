import AttendBasic

/// A named tensor input: a model input (`x: [1, "width", 56, 56]`) or a block's input
/// pattern (`x: [N, C, H, W]`). Dims stay unevaluated scalars until elaboration.
public struct InputSpec: Sendable {
    public var name: SpecScalar
    public var dims: [SpecScalar]
    public var location: SourceLocation
}

/// One entry of a `layers:` list, in any of its four spellings.
public struct LayerSpec: Sendable {
    /// nil for unnamed layers.
    public var name: SpecScalar?
    /// The op or block called.
    public var kind: SpecScalar
    /// Explicit inputs; nil means the previous layer (or the only input, for a first layer).
    public var from: [SpecScalar]?
    /// `repeat: N`, an expression.
    public var repeatCount: SpecScalar?
    /// `index: i` beside `repeat`: the name that holds the copy's number (0, 1, ...) while
    /// that copy's arguments are read, as `for i in range(N)` does.
    public var repeatIndex: SpecScalar?
    /// `when: COND`, an expression: when false the layer passes its first input through and
    /// has no parameters (PyTorch's `if cond: x = f(x, ...)`, or `nn.Identity()` unless enabled).
    public var condition: SpecScalar?
    /// `forward: all` or `forward: [names]`: arguments of the enclosing block (or params of
    /// the model) passed on to this call under the same names, as `**kwargs` passes them.
    public var forward: Forward?
    /// Op or block arguments, in file order.
    public var arguments: [SpecEntry]
    public var location: SourceLocation

    public init(name: SpecScalar?, kind: SpecScalar, from: [SpecScalar]? = nil, repeatCount: SpecScalar? = nil,
                arguments: [SpecEntry], location: SourceLocation) {
        self.name = name
        self.kind = kind
        self.from = from
        self.repeatCount = repeatCount
        self.arguments = arguments
        self.location = location
    }

    /// Keys a layer mapping reserves; every other key is an argument of the op or block.
    public static let reservedKeys = ["op", "from", "repeat", "index", "when", "forward", "doc"]

    public enum Forward: Sendable {
        /// Every enclosing argument the callee takes that the layer does not set.
        case all(SourceLocation)
        /// These, each of which the callee must take.
        case names([SpecScalar])
    }
}

/// A user-defined block: a named subnetwork called like an op.
public struct BlockSpec: Sendable {
    public var name: SpecScalar
    public var doc: String?
    /// The PyTorch module the block reproduces, for `attend blocks` when its doc does not
    /// name it first (`module: segmentation_models_pytorch SCSEModule`).
    public var module: String?
    /// Argument names with their default-value expressions.
    public var arguments: [SpecEntry]
    public var inputs: [InputSpec]
    /// `let:` bindings, evaluated in order after arguments and input symbols.
    public var lets: [SpecEntry]
    /// `require:` conditions with their messages (`"C % num_heads == 0": dim should be
    /// divisible by num_heads`), the checks the PyTorch module makes on its arguments;
    /// evaluated after the lets, a false one is an error at the call site.
    public var requirements: [SpecEntry] = []
    public var layers: [LayerSpec]
    public var outputs: [SpecScalar]?
    /// Input shapes to try the block on when its file is checked or run by itself.
    public var example: [InputSpec]?
    public var file: String
    public var location: SourceLocation
}

/// A whole spec file: a model (inputs and layers), a block library, or both.
public struct SpecFile: Sendable {
    public var path: String
    public var version: SpecScalar?
    public var name: SpecScalar?
    public var doc: String?
    public var imports: [SpecScalar]
    public var params: [SpecEntry]
    public var inputs: [InputSpec]
    public var layers: [LayerSpec]
    public var outputs: [SpecScalar]?
    public var blocks: [BlockSpec]
    public var location: SourceLocation

    public init(path: String, imports: [SpecScalar], params: [SpecEntry], inputs: [InputSpec], layers: [LayerSpec],
                blocks: [BlockSpec], location: SourceLocation) {
        self.path = path
        self.imports = imports
        self.params = params
        self.inputs = inputs
        self.layers = layers
        self.blocks = blocks
        self.location = location
    }

    /// A file with layers is a model; one with only blocks is a library.
    public var isModel: Bool { !layers.isEmpty || !inputs.isEmpty }
}
