import AttendBasic

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
        let loaded = graph.loadedParameters
        let expected = Dictionary(uniqueKeysWithValues: loaded.map { ($0.name, $0) })
        let ignored = Set(loaded.flatMap(\.ignoredKeys))
        let present = Set(file.entries.map(\.name))
        let missing = loaded.map(\.name).filter { !present.contains($0) }
        // Orders as the C runtime lists them (attend_weights_check): missing and mismatched in
        // parameter order, unexpected by name (bytewise).
        let unexpected = file.entries.map(\.name).filter { expected[$0] == nil && !ignored.contains($0) }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let entries = Dictionary(file.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var mismatched: [String] = []
        for parameter in loaded {
            guard let entry = entries[parameter.name], parameter.shape != entry.shape else { continue }
            mismatched.append("\(Limits.clipped(entry.name)): checkpoint has \(Limits.clipped(formatShape(entry.shape))), model needs \(formatShape(parameter.shape))")
        }
        // Names are clipped and lists shortened (Limits): a hostile file's megabyte key or
        // million tensors must not become a megabyte error line.
        var problems: [String] = []
        if !missing.isEmpty { problems.append((missing.count == 1 ? "missing key: " : "missing keys: ") + Limits.listed(missing)) }
        if !unexpected.isEmpty { problems.append((unexpected.count == 1 ? "unexpected key: " : "unexpected keys: ") + Limits.listed(unexpected)) }
        if !mismatched.isEmpty {
            let rest = mismatched.count - min(mismatched.count, Limits.namesInMessage)
            problems.append("size mismatch for " + mismatched.prefix(Limits.namesInMessage).joined(separator: "; ") + (rest > 0 ? "; and \(rest) more" : ""))
        }
        if !problems.isEmpty {
            throw .error("weights do not match model '\(graph.name)': " + problems.joined(separator: "; "), at: .unknown(source))
        }
        var result: [String: Tensor] = [:]
        for parameter in loaded {
            result[parameter.name] = try file.tensor(named: parameter.name)
        }
        return result
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
