/// One derived parameter as `create` computes it: the load-time kernel `function` applied to
/// the parameters `operands` (indices in `m->params`) and, for a function several derivations
/// share (`Kernel.sharingFunctions`), its `scalars`, writing `m->derived + offset`, which then
/// is `m->params[parameter]`.
///
/// `create` runs them from a table in one loop rather than as one call each: a ResNet-50
/// has hundreds (folded batchnorms, packed weights, Winograd filters), and as straight-line
/// calls they were most of the C compiler's time on the model's own file.
struct Derivation {
    var function: String
    var operands: [Int]
    var parameter: Int
    var offset: Int
    var scalars: [ScalarArgument] = []

    /// The C type a function is called through: its operand count and its scalars' kinds.
    struct Form: Hashable {
        var arity: Int
        var kinds: [ScalarParameter.Kind]
    }

    var form: Form { Form(arity: operands.count, kinds: scalars.map(\.kind)) }

    private var sizes: [String] {
        scalars.compactMap { if case .index(let value) = $0 { CPrinter().indexConstant(value) } else { nil } }
    }

    private var values: [String] {
        scalars.compactMap { if case .float(let value) = $0 { CPrinter.floatLiteral(value) } else { nil } }
    }

    /// The forms present, in order of first use (a form's number in the table).
    private static func forms(_ derivations: [Derivation]) -> [Form] {
        var seen: [Form] = []
        for derivation in derivations where !seen.contains(derivation.form) { seen.append(derivation.form) }
        return seen
    }

    /// The table `<stem>_derivations`, in the order they run (each may read earlier results).
    /// Index and float scalars have columns only when some derivation has them.
    static func table(stem: String, _ derivations: [Derivation]) -> [String] {
        let width = max(1, derivations.map(\.operands.count).max() ?? 1)
        let sizeWidth = derivations.map(\.sizes.count).max() ?? 0, valueWidth = derivations.map(\.values.count).max() ?? 0
        let forms = forms(derivations)
        var fields = "\(stem)_derive_fn fn; int form; int operands[\(width)]; int param; int64_t offset;"
        if sizeWidth > 0 { fields += " int64_t sizes[\(sizeWidth)];" }
        if valueWidth > 0 { fields += " float values[\(valueWidth)];" }
        var lines = [
            "/* Derived parameters in the order create computes them: the load-time kernel (called through",
            "   its own type, chosen by its form: its operand count and scalars), its operands' and its",
            "   result's indices in params, the result's offset in derived, and the sizes and values a",
            "   kernel shared by several derivations takes. */",
            "typedef void (*\(stem)_derive_fn)(void);",
            "static const struct { \(fields) } \(stem)_derivations[\(derivations.count)] = {",
        ]
        func list(_ items: [String]) -> String { "{\(items.isEmpty ? "0" : items.joined(separator: ", "))}" }
        for derivation in derivations {
            var row = "(\(stem)_derive_fn)\(derivation.function), \(forms.firstIndex(of: derivation.form) ?? 0), \(list(derivation.operands.map(String.init))), \(derivation.parameter), \(derivation.offset)"
            if sizeWidth > 0 { row += ", \(list(derivation.sizes))" }
            if valueWidth > 0 { row += ", \(list(derivation.values))" }
            lines.append("    {\(row)},")
        }
        return lines + ["};"]
    }

    /// The loop in `create` that runs the table, with one call per form present.
    static func loop(stem: String, _ derivations: [Derivation]) -> [String] {
        let entry = "\(stem)_derivations[k]"
        var lines = [
            "    for (int k = 0; k < \(derivations.count); k++) {",
            "        const int *in = \(entry).operands;",
            "        float *out = m->derived + \(entry).offset;",
            "        (void)in;",
            "        m->params[\(entry).param] = out;",
            "        switch (\(entry).form) {",
        ]
        for (number, form) in forms(derivations).enumerated() {
            var types = Array(repeating: "const float *", count: form.arity) + ["float *"]
            var arguments = (0..<form.arity).map { "m->params[in[\($0)]]" } + ["out"]
            var sizes = 0, values = 0
            for kind in form.kinds {
                switch kind {
                case .index:
                    types.append("int64_t")
                    arguments.append("\(entry).sizes[\(sizes)]")
                    sizes += 1
                case .float:
                    types.append("float")
                    arguments.append("\(entry).values[\(values)]")
                    values += 1
                }
            }
            types.append("attend_pool *")
            arguments.append("m->pool")
            lines.append("        case \(number): ((void (*)(\(types.joined(separator: ", "))))\(entry).fn)(\(arguments.joined(separator: ", "))); break;")
        }
        return lines + ["        }", "    }"]
    }
}

extension ScalarArgument {
    var kind: ScalarParameter.Kind {
        switch self {
        case .index: .index
        case .float: .float
        }
    }
}
