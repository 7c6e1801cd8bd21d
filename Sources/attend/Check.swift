import ArgumentParser
import AttendBasic
import AttendCodegen
import AttendIR
import Foundation

/// `attend check`: validates a spec and prints its layers, shapes, parameters and FLOPs.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate a model; print layers, shapes, params and FLOPs.")

    @OptionGroup var options: ModelOptions

    @OptionGroup var optimizer: OptimizerOptions

    @OptionGroup var targetOptions: TargetOptions

    @Flag(help: "List every kernel with the strategy chosen for it.")
    var kernels = false

    func run() throws {
        try Attend.reporting { () throws(Diagnostic) in
            for graph in try ModelLoading.graphs(options) {
                try Verifier.verify(graph)
                var optimized = graph
                try optimizer.optimize(&optimized)
                Attend.show(Report.summary(of: graph))
                Attend.show(try Report.compiled(optimized, primitiveOps: graph.nodes.count, target: targetOptions.resolved(), listKernels: kernels))
            }
        }
    }
}

/// The human-readable summary `check` prints.
enum Report {
    static func summary(of graph: AttendIR.Graph) -> String {
        var rows: [[String]] = [["layer", "op", "output", "params", "FLOPs"]]
        let sizes = Dictionary(uniqueKeysWithValues: graph.parameters.map { ($0.name, ShapeRules.elementCount($0.shape)) })
        var totalFlops = 0
        for node in graph.nodes {
            let inputs = node.inputs.map(graph.shape(of:))
            let outputs = node.outputs.map(graph.shape(of:))
            let flops = node.op.flops(inputs: inputs, outputs: outputs, attributes: node.attributes)
            totalFlops += flops
            let params = node.parameters.reduce(0) { $0 + (sizes[$1.name] ?? 0) }
            rows.append([node.layer.isEmpty ? "-" : node.layer, node.op.name,
                         outputs.map(formatShape).joined(separator: " "),
                         params == 0 ? "" : grouped(params), flops == 0 ? "" : grouped(flops)])
        }
        var lines = ["model \(graph.name)"]
        for (name, id) in graph.inputs { lines.append("  input  \(name): \(formatShape(graph.shape(of: id)))") }
        for (name, id) in graph.outputs { lines.append("  output \(name): \(formatShape(graph.shape(of: id)))") }
        lines.append("")
        lines += table(rows)
        lines.append("")
        // Derived parameters (a spectral-normalized weight) are not state_dict tensors.
        let buffers = graph.loadedParameters.filter(\.isBuffer).count
        lines.append("parameters: \(grouped(graph.parameterCount)) in \(graph.loadedParameters.count - buffers) tensors"
                     + (buffers > 0 ? " (plus \(grouped(graph.bufferCount)) buffer elements in \(buffers) tensors)" : ""))
        lines.append("FLOPs: \(grouped(totalFlops)) (\(String(format: "%.3f", Double(totalFlops) / 1e9)) GFLOPs; a multiply-add counts 2)")
        lines.append("ops: \(graph.nodes.count)")
        return lines.joined(separator: "\n")
    }

    /// Kernels and memory of the optimized graph as the C backend would build it.
    static func compiled(_ graph: AttendIR.Graph, primitiveOps: Int, target: Target, listKernels: Bool) throws(Diagnostic) -> String {
        let (kernels, plan, strategies) = try CGenerator.layout(graph, target: target)
        var counts: [String: Int] = [:]
        for kernel in strategies { counts[kernel.strategy, default: 0] += 1 }
        var lines = listKernels ? ["", "kernels for \(target):"] + strategies.enumerated().map { "  k\($0): \($1)" } + [""] : []
        lines += ["kernels: \(kernels) (from \(primitiveOps) primitive ops)",
                  "strategies (\(target.isa.rawValue)): " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                  "arena: \(grouped(plan.size * 4)) bytes (peak live \(grouped(plan.peakLive * 4)) bytes; naive sum of intermediates \(grouped(plan.naiveSize * 4)) bytes)"]
        return lines.joined(separator: "\n")
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0, i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + String(out.reversed())
    }

    static func table(_ rows: [[String]]) -> [String] {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column >= 3 ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
