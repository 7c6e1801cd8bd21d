import AttendBasic

/// Reads a located YAML tree into the spec syntax tree, checking the file's structure
/// (known keys, right node kinds). Values stay raw; the frontend types them.
public enum SpecParser {
    public static let supportedVersion = 1
    static let fileKeys = ["attend", "name", "doc", "import", "params", "inputs", "layers", "outputs", "blocks"]
    static let blockKeys = ["doc", "module", "args", "inputs", "let", "require", "layers", "outputs", "example"]

    public static func parse(path: String) throws(Diagnostic) -> SpecFile {
        try parse(YAMLReader.read(path: path), path: path)
    }

    public static func parse(text: String, path: String) throws(Diagnostic) -> SpecFile {
        try parse(YAMLReader.parse(text, file: path), path: path)
    }

    public static func parse(_ root: SpecNode, path: String) throws(Diagnostic) -> SpecFile {
        let entries = try mapping(root, "a spec file")
        try checkKeys(entries, allowed: fileKeys, what: "top-level key")
        var file = SpecFile(path: path, imports: [], params: [], inputs: [], layers: [], blocks: [], location: root.location)
        for entry in entries {
            switch entry.key.text {
            case "attend":
                let version = try scalar(entry.value, "the format version")
                guard version.text == String(supportedVersion) else {
                    throw .error("unsupported format version '\(version.text)' (this attend reads version \(supportedVersion))", at: version.location)
                }
                file.version = version
            case "name": file.name = try scalar(entry.value, "the model name")
            case "doc": file.doc = try scalar(entry.value, "a doc string").text
            case "import": file.imports = try scalarList(entry.value, "import")
            case "params": file.params = try mapping(entry.value, "params")
            case "inputs": file.inputs = try inputs(entry.value)
            case "layers": file.layers = try layers(entry.value)
            case "outputs": file.outputs = try scalarList(entry.value, "outputs")
            case "blocks":
                for block in try mapping(entry.value, "blocks") { file.blocks.append(try self.block(block, file: path)) }
            default: break
            }
        }
        if !file.inputs.isEmpty, file.layers.isEmpty {
            throw .error("the model has inputs but no layers", at: file.location)
        }
        if !file.layers.isEmpty, file.inputs.isEmpty, !file.layers.contains(where: { $0.kind.text == "parameter" }) {
            throw .error("the model has layers but no inputs", at: file.location)
        }
        return file
    }

    static func block(_ entry: SpecEntry, file: String) throws(Diagnostic) -> BlockSpec {
        let body = try mapping(entry.value, "block '\(entry.key.text)'")
        try checkKeys(body, allowed: blockKeys, what: "block key")
        var block = BlockSpec(name: entry.key, arguments: [], inputs: [], lets: [], layers: [], file: file, location: entry.key.location)
        for item in body {
            switch item.key.text {
            case "doc": block.doc = try scalar(item.value, "a doc string").text
            case "module": block.module = try scalar(item.value, "the PyTorch module the block reproduces").text
            case "args": block.arguments = try mapping(item.value, "args")
            case "inputs": block.inputs = try inputs(item.value)
            case "let": block.lets = try mapping(item.value, "let")
            case "require":
                block.requirements = try mapping(item.value, "require")
                for requirement in block.requirements { _ = try scalar(requirement.value, "a message for the requirement '\(requirement.key.text)'") }
            case "layers": block.layers = try layers(item.value)
            case "outputs": block.outputs = try scalarList(item.value, "outputs")
            case "example": block.example = try inputs(item.value)
            default: break
            }
        }
        guard !block.layers.isEmpty else { throw .error("block '\(entry.key.text)' has no layers", at: entry.key.location) }
        return block
    }

    static func inputs(_ node: SpecNode) throws(Diagnostic) -> [InputSpec] {
        var result: [InputSpec] = []
        for entry in try mapping(node, "inputs") {
            guard case .sequence(let items, let location) = entry.value else {
                throw .error("input '\(entry.key.text)' needs a shape list like [1, 3, 224, 224], got \(entry.value.kindName)", at: entry.value.location)
            }
            var dims: [SpecScalar] = []
            for item in items { dims.append(try scalar(item, "a dimension")) }
            result.append(InputSpec(name: entry.key, dims: dims, location: location))
        }
        return result
    }

    static func layers(_ node: SpecNode) throws(Diagnostic) -> [LayerSpec] {
        guard case .sequence(let items, _) = node else {
            throw .error("'layers' must be a list, got \(node.kindName)", at: node.location)
        }
        var result: [LayerSpec] = []
        for item in items { result.append(try layer(item)) }
        return result
    }

    /// `KIND`, `NAME: KIND`, `NAME: {op: KIND, ...}` or `{op: KIND, ...}`.
    static func layer(_ node: SpecNode) throws(Diagnostic) -> LayerSpec {
        switch node {
        case .scalar(let kind):
            return LayerSpec(name: nil, kind: kind, arguments: [], location: kind.location)
        case .sequence(_, let location):
            throw .error("a layer is a name, `NAME: KIND` or a mapping with `op:`, got a list", at: location)
        case .mapping(let entries, let location):
            if entries.contains(where: { $0.key.text == "op" }) {
                return try layerBody(entries, name: nil, at: location)
            }
            guard entries.count == 1, let only = entries.first else {
                throw .error("a layer mapping needs an 'op:' key (or is a single `NAME: KIND`)", at: location)
            }
            switch only.value {
            case .scalar(let kind):
                return LayerSpec(name: only.key, kind: kind, arguments: [], location: only.key.location)
            case .mapping(let body, let bodyLocation):
                guard body.contains(where: { $0.key.text == "op" }) else {
                    throw .error("layer '\(only.key.text)' needs 'op:'", at: bodyLocation)
                }
                return try layerBody(body, name: only.key, at: only.key.location)
            case .sequence(_, let l):
                throw .error("layer '\(only.key.text)' must be an op name or a mapping, got a list", at: l)
            }
        }
    }

    static func layerBody(_ entries: [SpecEntry], name: SpecScalar?, at location: SourceLocation) throws(Diagnostic) -> LayerSpec {
        var kind: SpecScalar?
        var layer = LayerSpec(name: name, kind: SpecScalar(text: "", location: location), arguments: [], location: location)
        for entry in entries {
            switch entry.key.text {
            case "op": kind = try scalar(entry.value, "an op or block name")
            case "from": layer.from = try scalarList(entry.value, "from")
            case "repeat": layer.repeatCount = try scalar(entry.value, "a repeat count")
            case "index": layer.repeatIndex = try scalar(entry.value, "the name of the repeat index")
            case "when": layer.condition = try scalar(entry.value, "a condition")
            case "forward":
                if let word = entry.value.scalar, word.text == "all", !word.isQuoted {
                    layer.forward = .all(word.location)
                } else {
                    layer.forward = .names(try scalarList(entry.value, "forward"))
                }
            case "doc": break
            default: layer.arguments.append(entry)
            }
        }
        guard let kind else { throw .error("layer needs 'op:'", at: location) } // unreachable: callers checked
        if let index = layer.repeatIndex {
            guard layer.repeatCount != nil else {
                throw .error("'index: \(index.text)' names the copy number of a 'repeat', but the layer has no 'repeat'", at: index.location)
            }
            guard isIdentifier(index.text), !ExprLexer.keywords.contains(index.text) else {
                throw .error("'\(index.text)' is not a valid index name (a letter or '_', then letters, digits or '_')", at: index.location)
            }
        }
        layer.kind = kind
        if name == nil { layer.location = kind.location }
        return layer
    }

    // MARK: node accessors with located errors

    static func mapping(_ node: SpecNode, _ what: String) throws(Diagnostic) -> [SpecEntry] {
        switch node {
        case .mapping(let entries, _): return entries
        case .scalar(let s) where s.text.isEmpty || s.text == "{}": return []
        default: throw .error("\(what) must be a mapping, got \(node.kindName)", at: node.location)
        }
    }

    static func scalar(_ node: SpecNode, _ what: String) throws(Diagnostic) -> SpecScalar {
        guard case .scalar(let s) = node else {
            throw .error("expected \(what), got \(node.kindName)", at: node.location)
        }
        return s
    }

    /// A scalar or a list of scalars (`from: x` and `from: [x, y]` both work).
    static func scalarList(_ node: SpecNode, _ what: String) throws(Diagnostic) -> [SpecScalar] {
        switch node {
        case .scalar(let s): return [s]
        case .sequence(let items, _):
            var result: [SpecScalar] = []
            for item in items { result.append(try scalar(item, "a name in '\(what)'")) }
            return result
        case .mapping(_, let location):
            throw .error("'\(what)' must be a name or a list of names, got a mapping", at: location)
        }
    }

    /// A name an expression can read: a letter or `_`, then letters, digits or `_` (ASCII).
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    static func checkKeys(_ entries: [SpecEntry], allowed: [String], what: String) throws(Diagnostic) {
        for entry in entries where !allowed.contains(entry.key.text) {
            throw .error("unknown \(what) '\(entry.key.text)'\(didYouMean(entry.key.text, in: allowed))", at: entry.key.location)
        }
    }
}
