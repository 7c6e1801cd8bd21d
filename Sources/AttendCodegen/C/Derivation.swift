/// One derived parameter as `create` computes it: the load-time kernel `function` applied to
/// the parameters `operands` (indices in `m->params`), writing `m->derived + offset`, which
/// then is `m->params[parameter]`.
///
/// `create` runs them from a table in one loop rather than as one call each: a ResNet-50
/// has hundreds (folded batchnorms, packed weights, Winograd filters), and as straight-line
/// calls they were most of the C compiler's time on the model's own file.
struct Derivation {
    var function: String
    var operands: [Int]
    var parameter: Int
    var offset: Int

    /// The table `<stem>_derivations`, in the order they run (each may read earlier results).
    static func table(stem: String, _ derivations: [Derivation]) -> [String] {
        let width = max(1, derivations.map(\.operands.count).max() ?? 1)
        var lines = [
            "/* Derived parameters in the order create computes them: the load-time kernel (called through",
            "   its own type, chosen by its operand count), its operands' and its result's indices in",
            "   params, and the result's offset in derived. */",
            "typedef void (*\(stem)_derive_fn)(void);",
            "static const struct { \(stem)_derive_fn fn; int arity; int operands[\(width)]; int param; int64_t offset; } \(stem)_derivations[\(derivations.count)] = {",
        ]
        for derivation in derivations {
            let operands = derivation.operands.isEmpty ? "0" : derivation.operands.map(String.init).joined(separator: ", ")
            lines.append("    {(\(stem)_derive_fn)\(derivation.function), \(derivation.operands.count), {\(operands)}, \(derivation.parameter), \(derivation.offset)},")
        }
        return lines + ["};"]
    }

    /// The loop in `create` that runs the table, with one call per operand count present.
    static func loop(stem: String, _ derivations: [Derivation]) -> [String] {
        var lines = [
            "    for (int k = 0; k < \(derivations.count); k++) {",
            "        const int *in = \(stem)_derivations[k].operands;",
            "        float *out = m->derived + \(stem)_derivations[k].offset;",
            "        (void)in;",
            "        m->params[\(stem)_derivations[k].param] = out;",
            "        switch (\(stem)_derivations[k].arity) {",
        ]
        for arity in Set(derivations.map(\.operands.count)).sorted() {
            let types = Array(repeating: "const float *", count: arity) + ["float *", "attend_pool *"]
            let arguments = (0..<arity).map { "m->params[in[\($0)]]" } + ["out", "m->pool"]
            lines.append("        case \(arity): ((void (*)(\(types.joined(separator: ", "))))\(stem)_derivations[k].fn)(\(arguments.joined(separator: ", "))); break;")
        }
        return lines + ["        }", "    }"]
    }
}
