/// Every size limit Attend puts on untrusted input, in one place. Each is checked before the
/// memory it guards is allocated, and exceeding one is a located error naming the limit
/// (never a trap, a hang or an allocation failure). The C runtime's copies of these numbers
/// (`ATTEND_MAX_RANK`, `ST_MAX_RANK`, `NPY_MAX_RANK`, `MAX_HEADER_LENGTH`, `NPY_MAX_HEADER`,
/// `MAX_THREADS`, `ATTEND_MESSAGE_NAME_CLIP`, `LISTED_NAMES`) must agree; a test
/// (LimitsAgreementTests) reads them from the runtime's sources. Documented in
/// Grammar/README.md, "Limits".
public enum Limits {
    /// Nodes in one elaborated graph: what `repeat`, blocks and imports may expand to. A
    /// ViT-Base has about 1,500; this leaves room for anything real while keeping checking
    /// and optimizing within seconds.
    public static let graphNodes = 200_000
    /// Copies one `repeat` layer may make.
    public static let repeatCount = 10_000
    /// Nodes (scalars, lists, mappings) of one YAML spec file. YAML aliases are refused (they
    /// are how a few hundred bytes become billions of nodes), so this bounds the tree itself.
    public static let yamlNodes = 1_000_000
    /// Lists and mappings nested inside each other in one YAML spec file.
    public static let yamlDepth = 100
    /// Bytes of a spec or IR text file.
    public static let sourceFileBytes = 64 << 20
    /// Bytes of a safetensors JSON header (the reference implementation's limit).
    public static let safetensorsHeaderBytes = 100_000_000
    /// Bytes of an .npy header dictionary.
    public static let npyHeaderBytes = 1 << 20
    /// Dimensions of a tensor in a file (.npy and safetensors): NumPy's own maximum.
    public static let fileRank = 64
    /// Dimensions of a model input or output: what the C runtime's descriptor holds
    /// (`ATTEND_MAX_RANK`), so both backends accept the same models.
    public static let modelRank = 8
    /// Characters of one untrusted name (a layer, a tensor key, a dtype) quoted in a message.
    public static let nameInMessage = 60
    /// Characters of one printed diagnostic line (after escaping), then `...`.
    public static let messageCharacters = 2_000
    /// Names one message lists (missing or unexpected weights); the rest are counted.
    public static let namesInMessage = 10
    /// Worker threads (`--threads`): both backends refuse more before doing any work.
    public static let threads = 1024
}

extension Limits {
    /// `text` for a message: at most `nameInMessage` characters, then `...`. Escaping of
    /// control characters happens when the diagnostic is printed.
    public static func clipped(_ text: String, limit: Int = nameInMessage) -> String {
        var count = 0
        var end = text.startIndex
        while end < text.endIndex, count < limit { text.formIndex(after: &end); count += 1 }
        return end == text.endIndex ? text : String(text[..<end]) + "..."
    }

    /// Up to `namesInMessage` of `names`, each clipped, comma separated (PyTorch's
    /// `load_state_dict` style, which the C runtime shares), then "and N more".
    public static func listed(_ names: some Collection<String>) -> String {
        let shown = names.prefix(namesInMessage).map { clipped($0) }.joined(separator: ", ")
        let rest = names.count - min(names.count, namesInMessage)
        return rest > 0 ? shown + " and \(rest) more" : shown
    }
}
