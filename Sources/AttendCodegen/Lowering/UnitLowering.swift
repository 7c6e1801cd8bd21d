import AttendBasic
import AttendIR

/// Lowers one kernel unit (a node, or a fused group) to a kernel and the locations of the
/// buffers its call passes. The anchor is lowered as its op declares; then its loads are
/// redirected through views (index maps) and each store of its output becomes the epilogue:
/// the group's elementwise formulas evaluated on the stored value, storing only values read
/// outside.
struct UnitLowering {
    let graph: Graph
    let schedule: KernelSchedule
    let storage: Storage

    /// Kernel parameters by location, so one buffer is one parameter (in-place outputs and
    /// several views of one value included).
    struct Buffers {
        var parameters: [Kernel.Parameter] = []
        var arguments: [BufferLocation] = []
        var byLocation: [BufferLocation: Int] = [:]

        mutating func ref(_ location: BufferLocation, role: Kernel.Role, count: Int, name: String? = nil) -> BufferRef {
            if let index = byLocation[location] {
                if role == .output { parameters[index].role = .output }
                parameters[index].count = max(parameters[index].count, count)
                return parameters[index].buffer
            }
            let buffer = BufferRef(name ?? "x\(parameters.count)")
            byLocation[location] = parameters.count
            parameters.append(Kernel.Parameter(buffer, role, count: count))
            arguments.append(location)
            return buffer
        }
    }

    func lower(_ unit: KernelSchedule.Unit, position: Int) throws(Diagnostic) -> (kernel: Kernel, arguments: [BufferLocation]) {
        if let layout = schedule.attention[position] { return try lowerAttention(unit, layout: layout, position: position) }
        let anchor = graph.nodes[unit.anchor]
        guard let lowering = schedule.lowering(unit.anchor) else {
            throw .error("the C backend cannot lower op '\(anchor.op.name)' yet", at: anchor.location)
        }
        var buffers = Buffers()
        // Placeholders the op's lowering writes against; replaced below.
        let inputs = anchor.inputs.indices.map(Placeholder.input)
        let outputs = anchor.outputs.indices.map(Placeholder.output)
        // Kernel parameters in the order inputs, weights, outputs (then epilogue operands).
        for (k, input) in anchor.inputs.enumerated() {
            let root = schedule.root(of: input)
            let count = schedule.parameterView[root].flatMap { graph.parameter(named: $0) }.map { ShapeRules.elementCount($0.shape) }
                ?? graph.storageCount(of: root)
            _ = buffers.ref(storage.buffer(root), role: .input, count: count, name: "in\(k)")
        }
        var weights: [String: BufferRef] = [:], weightShapes: [String: [Int]] = [:]
        for (k, (slot, name)) in (anchor.parameters + (schedule.strategies?.derivedSlots(of: unit.anchor) ?? [])).enumerated() {
            let shape = graph.parameter(named: name)?.shape ?? []
            weights[slot] = buffers.ref(storage.parameter(name), role: .weight, count: ShapeRules.elementCount(shape), name: "w\(k)")
            weightShapes[slot] = shape
        }
        for (k, output) in anchor.outputs.enumerated() where schedule.materialized.contains(output) {
            _ = buffers.ref(storage.buffer(output), role: .output, count: graph.storageCount(of: output), name: "out\(k)")
        }
        var context = LoweringContext(op: anchor.op, attributes: anchor.attributes, inputs: inputs,
                                      inputShapes: anchor.inputs.map(graph.shape(of:)), outputs: outputs,
                                      outputShapes: anchor.outputs.map(graph.shape(of:)), weights: weights, weightShapes: weightShapes)
        for (k, input) in anchor.inputs.enumerated() where graph.layout(of: input) != .rowMajor { context.inputLayouts[k] = graph.layout(of: input) }
        for (k, output) in anchor.outputs.enumerated() where graph.layout(of: output) != .rowMajor { context.outputLayouts[k] = graph.layout(of: output) }
        if let location = storage.scratch[position], let size = schedule.strategies?.plans[unit.anchor]?.scratch {
            context.scratch = buffers.ref(location, role: .output, count: size, name: "scratch")
        }
        var body: [Stmt]
        do { body = try lowering(context) } catch { throw error.located(at: anchor.location) }
        let accumulating = schedule.accumulating.contains(position)
        let members = Array(unit.nodes.dropFirst())
        // Regions whose values a lowering still holds elsewhere are copied into the output
        // where no epilogue runs on them (the copy's stores then take any scalar epilogue);
        // an accumulating unit's epilogue takes those of its first output below.
        body = body.flatMap { $0.expandingFinalizedValues(except: accumulating ? outputs.first : nil) }
        if !accumulating && !members.isEmpty && body.contains(where: { $0.accessesVectors(of: Set(outputs)) }) {
            // Epilogues rewrite scalar stores; a lowering that stores vectors must finalize regions instead.
            throw .error("internal: the kernel of '\(anchor.op.name)' stores vectors but does not finalize regions for its epilogue",
                         at: anchor.location)
        }

        var readers: [BufferRef: ValueID] = [:]
        for (k, value) in anchor.inputs.enumerated() { readers[inputs[k]] = value }
        var site = 0
        var emitted: [Stmt] = []
        let count = anchor.outputs.first.map { graph.storageCount(of: $0) } ?? 0
        // Vector loads and stores of the anchor's output go to its buffer; of its inputs, to the
        // buffer they view (readers other than elementwise kernels only see views that are
        // contiguous runs, so consecutive elements stay consecutive).
        let vectorBuffer = { (buffer: BufferRef, index: IndexExpr, buffers: inout Buffers) -> (BufferRef, IndexExpr) in
            if let k = outputs.firstIndex(of: buffer) {
                let output = anchor.outputs[k]
                return (buffers.ref(storage.buffer(output), role: .output, count: graph.storageCount(of: output)), index)
            }
            if let value = readers[buffer], case .load(let source, let position) = load(value, at: index, buffers: &buffers) {
                return (source, position)
            }
            return (buffer, index)
        }
        for stmt in body {
            emitted += stmt.rewritten(load: { buffer, index in
                if let k = outputs.firstIndex(of: buffer) {
                    // Only lowerings that accumulate read their output; it is then always stored.
                    let output = anchor.outputs[k]
                    return .load(buffers.ref(storage.buffer(output), role: .output, count: graph.storageCount(of: output)), index)
                }
                guard let value = readers[buffer] else { return .load(buffer, index) }
                return load(value, at: index, buffers: &buffers)
            }, store: { buffer, index, value in
                guard let k = outputs.firstIndex(of: buffer) else { return [.store(buffer, index, value)] }
                if accumulating {
                    return [.store(buffers.ref(storage.buffer(anchor.outputs[0]), role: .output, count: count), index, value)]
                }
                var scalars: [ValueID: ValueExpr] = [:]
                return epilogue(members: members, output: anchor.outputs[k], index: index, value: value, site: &site,
                                buffers: &buffers, storeAnchor: true, scalars: &scalars)
            }, vectorBuffer: { buffer, index in vectorBuffer(buffer, index, &buffers) })
        }
        if accumulating {
            // The epilogue runs on each region the anchor finalizes, reading the accumulated values.
            let accumulator = buffers.ref(storage.buffer(anchor.outputs[0]), role: .output, count: count)
            let reductions = unit.nodes.dropFirst().filter { schedule.reductionWindow(graph.nodes[$0]) != nil }
            emitted = emitted.flatMap { stmt in
                stmt.expandingFinalized(outputs[0]) { start, regionCount, stride, values in
                    // Values held elsewhere are read from there, and the anchor's output is
                    // stored only if something outside the kernel reads it.
                    let value = { (offset: IndexExpr, element: IndexExpr) -> ValueExpr in values?.value(at: offset) ?? .load(accumulator, element) }
                    let storeAnchor = values != nil && !schedule.accumulatorsOnly.contains(anchor.outputs[0])
                    let variable = "f\(site)"
                    if reductions.isEmpty {
                        let element = start + .v(variable) * .constant(stride)
                        var scalars: [ValueID: ValueExpr] = [:]
                        let body = epilogue(members: members, output: anchor.outputs[0], index: element, value: value(.v(variable), element),
                                            site: &site, buffers: &buffers, storeAnchor: storeAnchor, scalars: &scalars)
                        return [.loop(variable: variable, lower: 0, upper: regionCount, schedule: stride == 1 ? .vectorized : .serial, body: body)]
                    }
                    return windowedEpilogue(unit, reductions: reductions, start: start, count: regionCount, value: value,
                                            storeAnchor: storeAnchor, site: &site, buffers: &buffers)
                }
            }
        }
        let names = unit.nodes.map { graph.nodes[$0] }.map { $0.layer.isEmpty ? $0.op.name : $0.layer }
        let ops = unit.nodes.map { graph.nodes[$0].op.name }
        let shapes = "\(anchor.inputs.map { formatShape(graph.shape(of: $0)) }.joined(separator: ", ")) -> \(anchor.outputs.map { formatShape(graph.shape(of: $0)) }.joined(separator: ", "))"
        let kernel = Kernel(name: "k\(position)_" + Naming.readable(names[0]),
                            comment: "\(ops.joined(separator: " + ")) '\(names.joined(separator: "', '"))': \(shapes)",
                            parameters: buffers.parameters, body: emitted)
        return (kernel, buffers.arguments)
    }

    /// A load of `value` at flat `index`, through any views to the buffer that holds it.
    func load(_ value: ValueID, at index: IndexExpr, buffers: inout Buffers) -> ValueExpr {
        load(value, flat: index, coordinates: nil, buffers: &buffers)
    }

    /// A load of `value` at `coordinates` (of its shape): through permutes, slices and
    /// selections without any division, so a kernel that knows its coordinates (attention)
    /// reads views at affine indices.
    func load(_ value: ValueID, coordinates: [IndexExpr], buffers: inout Buffers) -> ValueExpr {
        load(value, flat: 0, coordinates: coordinates, buffers: &buffers)
    }

    private func load(_ value: ValueID, flat index: IndexExpr, coordinates known: [IndexExpr]?, buffers: inout Buffers) -> ValueExpr {
        // Coordinates are carried through permutes, slices and selections; only row-major
        // reshapes go through a flat index (so a chain costs one division per axis, once).
        var current = value, flat = index
        var coordinates: [IndexExpr]? = known
        while let (source, map) = schedule.viewSource[current] {
            let view = graph.shape(of: current)
            if map == .rowMajor {
                if let known = coordinates { flat = Loops.offset(known, Loops.strides(view)) }
                coordinates = nil
            } else if coordinates == nil, let offset = Loops.contiguousOffset(map, source: graph.shape(of: source)) {
                // A contiguous run read by flat index: an offset, no division.
                flat = flat + .constant(offset)
            } else {
                coordinates = Loops.sourceCoordinates(coordinates ?? Loops.coordinates(flat, view), map: map)
            }
            current = source
        }
        if let known = coordinates { flat = Loops.offset(known, Loops.strides(graph.shape(of: current))) }
        let count = schedule.parameterView[current].flatMap { graph.parameter(named: $0) }.map { ShapeRules.elementCount($0.shape) }
            ?? graph.storageCount(of: current)
        return .load(buffers.ref(storage.buffer(current), role: .input, count: count), flat)
    }

    /// The statements replacing one store of the anchor's output: the value, then each
    /// epilogue node's formula, each stored if something outside the kernel reads it.
    /// The epilogue over whole reduction windows of a finalized region: per window, each
    /// element's epilogue, with every fused reduction accumulating the value it reduces,
    /// then each reduction's result stored (the region starts on a window boundary).
    /// `value(offset, element)` is the anchor's value at the region's element `offset`, at
    /// `element` of its output; with `storeAnchor`, that output is stored where read outside.
    private func windowedEpilogue(_ unit: KernelSchedule.Unit, reductions: [Int], start: IndexExpr, count: IndexExpr,
                                  value: (IndexExpr, IndexExpr) -> ValueExpr, storeAnchor: Bool, site: inout Int,
                                  buffers: inout Buffers) -> [Stmt] {
        let anchor = graph.nodes[unit.anchor]
        guard let window = schedule.reductionWindow(graph.nodes[reductions[0]]) else { return [] }
        let outer = "fw\(site)", inner = "fj\(site)"
        let offset = IndexExpr.v(outer) * .constant(window) + .v(inner)
        let element = start + offset
        var scalars: [ValueID: ValueExpr] = [:]
        var body = epilogue(members: Array(unit.nodes.dropFirst()), output: anchor.outputs[0], index: element, value: value(offset, element),
                            site: &site, buffers: &buffers, storeAnchor: storeAnchor, scalars: &scalars)
        var before: [Stmt] = [], after: [Stmt] = []
        var sums: [String] = [], maxima: [String] = []
        for (k, index) in reductions.enumerated() {
            let node = graph.nodes[index]
            guard let op = node.op as? ReductionOp, let value = scalars[node.inputs[0]] else { continue }
            let total = "r\(site)_\(k)"
            before.append(.declare(total, ReductionLowering.initial(op.kind)))
            body.append(.assign(total, ReductionLowering.combine(op.kind, .scalar(total), value)))
            if op.kind == .max { maxima.append(total) } else { sums.append(total) }
            let result: ValueExpr = op.kind == .mean ? .scalar(total) / .constant(Double(window)) : .scalar(total)
            let output = node.outputs[0]
            let target = buffers.ref(storage.buffer(output), role: .output, count: graph.storageCount(of: output))
            after.append(.store(target, start / .constant(window) + .v(outer), result))
        }
        // Sums reassociate (an OpenMP SIMD reduction, as the direct mean lowering's); maxima
        // are exact in any order (their lanes combine with the NaN-propagating max). CBAM's
        // squeeze (mean and max of a map) took longer in order than its 1x1 convolution.
        let schedule: LoopSchedule = .vectorizedReduction(sums: sums, maxima: maxima)
        site += 1
        return [.loop(variable: outer, lower: 0, upper: count / .constant(window), schedule: .serial, body:
            before + [.loop(variable: inner, lower: 0, upper: .constant(window), schedule: schedule, body: body)] + after)]
    }

    /// The statements for one element of `output`'s grid: `value`, then each elementwise
    /// member's formula (reductions among `members` are skipped), each stored if something
    /// outside the kernel reads it; `scalars` receives each member value's expression.
    func epilogue(members: [Int], output: ValueID, index: IndexExpr, value: ValueExpr,
                  site: inout Int, buffers: inout Buffers, storeAnchor: Bool, scalars: inout [ValueID: ValueExpr]) -> [Stmt] {
        let shape = graph.shape(of: output)
        let count = ShapeRules.elementCount(shape)
        func store(_ id: ValueID, _ at: IndexExpr, _ v: ValueExpr, _ stmts: inout [Stmt]) {
            guard schedule.materialized.contains(id) else { return }
            stmts.append(.store(buffers.ref(storage.buffer(id), role: .output, count: count), at, v))
        }
        if members.isEmpty {
            var stmts: [Stmt] = []
            if storeAnchor { store(output, index, value, &stmts) }
            scalars[output] = value
            return stmts
        }
        // The index is repeated rather than named: the C compiler shares it, and an unused
        // name would be a warning when nothing in the epilogue stores.
        let flat = index
        var stmts: [Stmt] = []
        let first = "v\(site)_0"
        stmts.append(.declare(first, value))
        scalars[output] = .scalar(first)
        if storeAnchor { store(output, flat, .scalar(first), &stmts) }
        for (k, member) in members.enumerated() {
            let node = graph.nodes[member]
            guard let op = node.op as? ElementwiseOp else { continue }
            let operands = node.inputs.map { input in
                scalars[input] ?? load(input, at: Loops.broadcastIndex(flat, from: shape, to: graph.shape(of: input)), buffers: &buffers)
            }
            let name = "v\(site)_\(k + 1)"
            stmts.append(.declare(name, ElementwiseLowering.value(op, attributes: node.attributes, operands: operands)))
            scalars[node.outputs[0]] = .scalar(name)
            store(node.outputs[0], flat, .scalar(name), &stmts)
        }
        site += 1
        return stmts
    }
}
