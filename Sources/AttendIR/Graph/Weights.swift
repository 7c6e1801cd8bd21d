import AttendBasic

/// How a checkpoint's keys meet the model's parameter names: prefix rules (`module.` from
/// DataParallel stripped, `model.` from Lightning, or one prefix replaced by another) and
/// strictness.
public struct WeightMapping: Sendable {
    /// Rules tried in order; the first whose `from` begins a key replaces it by `to`.
    public var prefixes: [(from: String, to: String)]
    public var strict: Bool

    public init(prefixes: [(from: String, to: String)] = [], strict: Bool = true) {
        self.prefixes = prefixes
        self.strict = strict
    }

    /// No renaming and strict: the checkpoint file can be read as it is.
    public var isIdentity: Bool { prefixes.isEmpty && strict }

    public func rename(_ key: String) -> String {
        for rule in prefixes where key.hasPrefix(rule.from) { return rule.to + key.dropFirst(rule.from.count) }
        return key
    }
}

/// What a non-strict load left out, as `load_state_dict(strict=False)` returns it.
public struct WeightReport: Sendable {
    /// Checkpoint keys (after renaming) that name no parameter; skipped.
    public var unexpected: [String]
    /// Parameters the checkpoint lacks; they keep their seeded initial values.
    public var missing: [String]
}

/// Parameter values for a graph, keyed by state_dict name: loaded strictly from safetensors
/// (like `load_state_dict(strict=True)`) or drawn from seeded PyTorch-style initializers.
public enum Weights {
    /// Loads and checks a safetensors file against the graph's parameters. Missing keys,
    /// unexpected keys and shape mismatches are all named in one error, as PyTorch does.
    public static func load(path: String, for graph: Graph) throws(Diagnostic) -> [String: Tensor] {
        let file = try SafetensorsFile.read(path: path)
        return try bind(file, source: path, for: graph)
    }

    public static func bind(_ file: SafetensorsFile, source: String, for graph: Graph) throws(Diagnostic) -> [String: Tensor] {
        try bind(file, source: source, for: graph, mapping: WeightMapping(), seed: 0).parameters
    }

    /// Loads a checkpoint through `mapping`: its keys renamed by the prefix rules, then
    /// bound strictly, or (non-strict, as `load_state_dict(strict=False)`) with unexpected
    /// keys skipped and missing parameters left at their seeded initial values, both listed
    /// in the report. Shape mismatches are errors either way, as in PyTorch.
    public static func load(path: String, for graph: Graph, mapping: WeightMapping, seed: UInt64) throws(Diagnostic) -> (parameters: [String: Tensor], report: WeightReport) {
        try bind(SafetensorsFile.read(path: path), source: path, for: graph, mapping: mapping, seed: seed)
    }

    public static func bind(_ file: SafetensorsFile, source: String, for graph: Graph, mapping: WeightMapping,
                            seed: UInt64) throws(Diagnostic) -> (parameters: [String: Tensor], report: WeightReport) {
        let loaded = graph.loadedParameters
        let expected = Dictionary(uniqueKeysWithValues: loaded.map { ($0.name, $0) })
        let ignored = Set(loaded.flatMap(\.ignoredKeys))
        // Checkpoint entries under the model's names; two keys renamed onto one is an error.
        var entries: [String: SafetensorsFile.Entry] = [:]
        var renamedFrom: [String: String] = [:]
        for entry in file.entries {
            let name = mapping.rename(entry.name)
            if let earlier = renamedFrom[name], earlier != entry.name {
                throw .error("weights: keys '\(Limits.clipped(earlier))' and '\(Limits.clipped(entry.name))' both become '\(Limits.clipped(name))' under --weights-prefix", at: .unknown(source))
            }
            if entries[name] == nil {
                entries[name] = entry
                renamedFrom[name] = entry.name
            }
        }
        let missing = loaded.map(\.name).filter { entries[$0] == nil }
        // Orders as the C runtime lists them (attend_weights_check): missing and mismatched in
        // parameter order, unexpected by name (bytewise).
        let unexpected = entries.keys.filter { expected[$0] == nil && !ignored.contains($0) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var mismatched: [String] = []
        for parameter in loaded {
            guard let entry = entries[parameter.name], parameter.shape != entry.shape else { continue }
            mismatched.append("\(Limits.clipped(entry.name)): checkpoint has \(Limits.clipped(formatShape(entry.shape))), model needs \(formatShape(parameter.shape))")
        }
        // Names are clipped and lists shortened (Limits): a hostile file's megabyte key or
        // million tensors must not become a megabyte error line.
        var problems: [String] = []
        if mapping.strict, !missing.isEmpty { problems.append((missing.count == 1 ? "missing key: " : "missing keys: ") + Limits.listed(missing)) }
        if mapping.strict, !unexpected.isEmpty { problems.append((unexpected.count == 1 ? "unexpected key: " : "unexpected keys: ") + Limits.listed(unexpected)) }
        if !mismatched.isEmpty {
            let rest = mismatched.count - min(mismatched.count, Limits.namesInMessage)
            problems.append("size mismatch for " + mismatched.prefix(Limits.namesInMessage).joined(separator: "; ") + (rest > 0 ? "; and \(rest) more" : ""))
        }
        if !problems.isEmpty {
            throw .error("weights do not match model '\(graph.name)': " + problems.joined(separator: "; "), at: .unknown(source))
        }
        let left = Set(missing)
        var result: [String: Tensor] = missing.isEmpty ? [:] : try initialize(graph, seed: seed).filter { left.contains($0.key) }
        for parameter in loaded {
            guard let original = renamedFrom[parameter.name] else { continue }
            result[parameter.name] = try file.tensor(named: original)
        }
        return (result, WeightReport(unexpected: mapping.strict ? [] : unexpected, missing: mapping.strict ? [] : missing))
    }

    /// Deterministic weights: each loaded (not derived) parameter from its declared initializer, with a generator
    /// seeded by `seed` and the parameter's name (so adding a layer changes no other weight).
    public static func initialize(_ graph: Graph, seed: UInt64 = 0) throws(Diagnostic) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for parameter in graph.loadedParameters {
            try Tensor.checkAllocatable(ShapeRules.elementCount(parameter.shape), "parameter '\(Limits.clipped(parameter.name))'")
            var random = SeededRandom(seed: seed, name: parameter.name)
            let count = ShapeRules.elementCount(parameter.shape)
            let data: [Float]
            switch parameter.initializer {
            case .uniformFanIn(let fanIn):
                let bound = Float(1 / Double(max(fanIn, 1)).squareRoot())
                data = (0..<count).map { _ in random.uniform(-bound, bound) }
            case .constant(let value):
                data = [Float](repeating: Float(value), count: count)
            case .normal(let std):
                data = (0..<count).map { _ in random.normal() * Float(std) }
            }
            result[parameter.name] = Tensor(shape: parameter.shape, data: data)
        }
        return result
    }

    /// Seeded standard-normal inputs for a graph, for runs without `--input`.
    public static func randomInputs(_ graph: Graph, seed: UInt64 = 0) throws(Diagnostic) -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, id) in graph.inputs {
            try Tensor.checkAllocatable(ShapeRules.elementCount(graph.shape(of: id)), "input '\(Limits.clipped(name))'")
            var random = SeededRandom(seed: seed, name: "input:" + name)
            let shape = graph.shape(of: id)
            result[name] = Tensor(shape: shape, data: (0..<ShapeRules.elementCount(shape)).map { _ in random.normal() })
        }
        return result
    }
}
