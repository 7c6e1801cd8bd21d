import AttendIR

/// Sizes of one 2-D convolution as the GEMM strategy sees it, and the loops that move its
/// operands: the zero-padded input copy, per-tile patch packing, and storing a register tile
/// into the NCHW output.
///
/// Output pixels are walked on a grid: for packed patches the output map itself
/// (`gridWidth == outWidth`); for shifted rows the padded input's width, so that row `k` of
/// B is one contiguous run of the padded plane (grid columns past `outWidth` are dropped).
struct ConvGeometry {
    var batch, channels, height, width: Int
    var outChannels, outHeight, outWidth: Int
    var kernel, stride, pad, dilation: [Int]
    var groups: Int
    /// `[1, 1]`, or for the geometry `overDilationPhases` returns, the dilation it undid: each
    /// of its images is then one phase of an image of the tensors the kernel reads and
    /// writes (`inputOffset`, `outputOffset`).
    var phases = [1, 1]

    init(input: [Int], output: [Int], attributes a: Attributes) {
        (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
        (outChannels, outHeight, outWidth) = (output[1], output[2], output[3])
        (kernel, stride, pad, dilation) = (a.ints("kernel"), a.ints("stride"), a.ints("pad"), a.ints("dilation"))
        groups = a.int("groups")
    }

    /// The geometry of a node the convolution strategies can take: a 2-D convolution with one
    /// input, one output and a weight parameter (else nil).
    init?(strategyNode node: Node, in graph: Graph) {
        guard let conv = node.op as? ConvOp, conv.spatialRank == 2, node.inputs.count == 1, node.outputs.count == 1,
              node.parameterName("weight") != nil else { return nil }
        self.init(input: graph.shape(of: node.inputs[0]), output: graph.shape(of: node.outputs[0]), attributes: node.attributes)
    }

    var inPerGroup: Int { channels / groups }
    var outPerGroup: Int { outChannels / groups }
    /// Terms of each output: (input channel of its group, kernel row, kernel column).
    var reduction: Int { inPerGroup * kernel[0] * kernel[1] }
    var outPixels: Int { outHeight * outWidth }
    /// Stride 1: B's rows are shifted runs of the padded planes.
    var isShifted: Bool { stride == [1, 1] }
    var paddedHeight: Int { height + 2 * pad[0] }
    var paddedWidth: Int { width + 2 * pad[1] }
    var paddedPlane: Int { paddedHeight * paddedWidth }
    var gridWidth: Int { isShifted ? paddedWidth : outWidth }
    /// Grid positions up to the last output pixel.
    var gridPixels: Int { (outHeight - 1) * gridWidth + outWidth }

    /// A 1x1 convolution without padding at a stride above 1 (ResNet's downsampling
    /// shortcut) reads every `stride`-th pixel and nothing else: it is the stride-1
    /// convolution `overSubsampledInput` of a compact copy of those pixels (`subsampledCopy`).
    var subsamplesInput: Bool { kernel == [1, 1] && pad == [0, 0] && stride != [1, 1] }

    /// The same convolution at stride 1 over the `outHeight x outWidth` pixels it reads.
    var overSubsampledInput: ConvGeometry {
        var g = self
        (g.height, g.width, g.stride) = (outHeight, outWidth, [1, 1])
        return g
    }

    /// A stride-1 convolution dilated by `d` reads, for output pixels whose row is `a` modulo
    /// `d[0]` and column `b` modulo `d[1]`, only input pixels of the same phase `(a, b)`: on
    /// each phase it is the undilated convolution of that phase's pixels (padding `pad / d`).
    /// Where the sizes and padding split evenly into phases, that is this geometry over
    /// `d[0] * d[1]` times the images, each one phase of an image (`phases`): kernels for
    /// undilated convolutions (Winograd) then run dilated ones, reading and writing the
    /// tensors through `inputOffset` and `outputOffset`.
    var overDilationPhases: ConvGeometry? {
        let d = dilation
        guard d != [1, 1], phases == [1, 1], stride == [1, 1], d.allSatisfy({ $0 >= 1 }), height % d[0] == 0, width % d[1] == 0,
              pad[0] % d[0] == 0, pad[1] % d[1] == 0, outHeight % d[0] == 0, outWidth % d[1] == 0 else { return nil }
        var g = self
        g.batch = batch * d[0] * d[1]
        (g.height, g.width, g.outHeight, g.outWidth) = (height / d[0], width / d[1], outHeight / d[0], outWidth / d[1])
        (g.pad, g.dilation, g.phases) = ([pad[0] / d[0], pad[1] / d[1]], [1, 1], d)
        return g
    }

    /// Where image `image`'s (of this geometry: a phase of an image where `phases` says so)
    /// `row`, `column` of `plane` lies in a tensor of `planes` channels of `rows x columns`.
    private func offset(image: IndexExpr, plane: IndexExpr, planes: Int, row: IndexExpr, column: IndexExpr, rows: Int, columns: Int) -> IndexExpr {
        guard phases != [1, 1] else { return ((image * c(planes) + plane) * c(rows) + row) * c(columns) + column }
        let perImage = phases[0] * phases[1]
        let phaseRow = (image % c(perImage)) / c(phases[1]), phaseColumn = image % c(phases[1])
        return ((image / c(perImage) * c(planes) + plane) * c(rows * phases[0]) + row * c(phases[0]) + phaseRow) * c(columns * phases[1])
            + column * c(phases[1]) + phaseColumn
    }

    /// The input element at `row`, `column` of channel plane `plane` (image times channels
    /// plus channel), in the input tensor.
    func inputOffset(plane: IndexExpr, row: IndexExpr, column: IndexExpr) -> IndexExpr {
        guard phases != [1, 1] else { return (plane * c(height) + row) * c(width) + column }
        return offset(image: plane / c(channels), plane: plane % c(channels), planes: channels, row: row, column: column, rows: height, columns: width)
    }

    /// The output element at `row`, `column` of output channel `channel` of image `image`, in
    /// the output tensor.
    func outputOffset(image: IndexExpr, channel: IndexExpr, row: IndexExpr, column: IndexExpr) -> IndexExpr {
        offset(image: image, plane: channel, planes: outChannels, row: row, column: column, rows: outHeight, columns: outWidth)
    }

    private func c(_ v: Int) -> IndexExpr { .constant(v) }

    /// `buffer[start + j] = 0` for `j` in `low..<high` (nothing when that is empty).
    private func zeros(_ buffer: BufferRef, _ start: IndexExpr, _ low: IndexExpr, _ high: IndexExpr, variable: String = "j") -> [Stmt] {
        if case .constant(let l) = low, case .constant(let h) = high, l >= h { return [] }
        return [.loop(variable: variable, lower: low, upper: high, schedule: .vectorized, body: [.store(buffer, start + .v(variable), .constant(0))])]
    }

    /// The input copied into `scratch` with `pad` zeros around each plane, then `tail` zeros
    /// (a tile of the last plane may read that far past its end). Planes are
    /// `planeHeight x planeWidth` (by default just the padded input's); rows and columns past
    /// the bottom and right padding are zeros too.
    func paddedCopy(from x: BufferRef, to scratch: BufferRef, tail: Int, planeHeight: Int? = nil, planeWidth: Int? = nil) -> [Stmt] {
        let rows = planeHeight ?? paddedHeight, columns = planeWidth ?? paddedWidth
        let row = IndexExpr.v("plane") * c(rows * columns) + .v("r") * c(columns)
        let copy: [Stmt] = [.letIndex("ih", .v("r") - c(pad[0])),
            .when(.inRange(.v("ih"), 0, c(height)), then:
                zeros(scratch, row, 0, c(pad[1])) + [
                    .loop(variable: "j", lower: 0, upper: c(width), schedule: .vectorized, body: [
                        .store(scratch, row + c(pad[1]) + .v("j"), .load(x, (.v("plane") * c(height) + .v("ih")) * c(width) + .v("j"))),
                    ]),
                ] + zeros(scratch, row, c(pad[1] + width), c(columns)),
                otherwise: zeros(scratch, row, 0, c(columns))),
        ]
        return [
            .loop(variable: "plane", lower: 0, upper: c(batch * channels), schedule: .parallel, body: [
                .loop(variable: "r", lower: 0, upper: c(rows), schedule: .serial, body: copy),
            ]),
        ] + zeros(scratch, c(batch * channels * rows * columns), 0, c(tail))
    }

    /// The pixels a 1x1 convolution at `stride` reads (`subsamplesInput`), copied into
    /// `scratch` as planes of `outHeight x outWidth`, then `tail` zeros (a tile of the last
    /// plane may read that far past its end).
    func subsampledCopy(from x: BufferRef, to scratch: BufferRef, tail: Int) -> [Stmt] {
        [
            .loop(variable: "plane", lower: 0, upper: c(batch * channels), schedule: .parallel, body: [
                .loop(variable: "r", lower: 0, upper: c(outHeight), schedule: .serial, body: [
                    .loop(variable: "j", lower: 0, upper: c(outWidth), schedule: .vectorized, body: [
                        .store(scratch, (.v("plane") * c(outHeight) + .v("r")) * c(outWidth) + .v("j"),
                               .load(x, (.v("plane") * c(height) + .v("r") * c(stride[0])) * c(width) + .v("j") * c(stride[1]))),
                    ]),
                ]),
            ]),
        ] + zeros(scratch, c(batch * channels * outPixels), 0, c(tail))
    }

    /// Row `kk` of a B panel for stride 1: reduction index `k = k0 + kk` is (ci, kh, kw) of
    /// the group whose first input channel is `cbase`, and its row is the padded plane
    /// `cbase + ci` of `source` from grid pixel `p0` shifted by `(kh, kw)`: whole vectors,
    /// copied. With `lastPlaneFrom` (1x1 convolutions reading a graph input in place), the
    /// last plane of the last image past the input's end is copied element by element from
    /// it, zeros beyond.
    func copyShiftedRows(from source: BufferRef, into panel: BufferRef, tile: RegisterTile, lastPlaneFrom input: BufferRef?) -> [Stmt] {
        let taps = kernel[0] * kernel[1]
        let start = (IndexExpr.v("n") * c(channels) + .v("cbase") + .v("ci")) * c(paddedPlane) + .v("kh") * c(dilation[0] * paddedWidth)
            + .v("kw") * c(dilation[1]) + .v("p0")
        var copy: [Stmt] = (0..<tile.vectors).map { v in
            .storeVector(panel, .v("kk") * c(tile.columns) + c(v * tile.width),
                         .load(source, start + c(v * tile.width), width: tile.width, aligned: false), width: tile.width, aligned: true)
        }
        if let input {
            let last = IndexExpr.constant(batch * channels - 1)
            copy = [.when(.and(.equal(.v("n") * c(channels) + .v("cbase") + .v("ci"), last), .less(.v("pcount"), c(tile.columns))), then: [
                .loop(variable: "j", lower: 0, upper: c(tile.columns), schedule: .vectorized, body: [
                    .store(panel, .v("kk") * c(tile.columns) + .v("j"),
                           .select(.less(.v("j"), .v("pcount")), .load(input, last * c(paddedPlane) + .v("p0") + .v("j")), .constant(0))),
                ]),
            ], otherwise: copy)]
        }
        return [
            .letIndex("k", .v("k0") + .v("kk")),
            .letIndex("ci", .v("k") / c(taps)),
            .letIndex("kh", (.v("k") % c(taps)) / c(kernel[1])),
            .letIndex("kw", .v("k") % c(kernel[1])),
        ] + copy
    }

    /// Row `kk` of a packed B panel: `panel[kk][j]` = the input under output pixel `p0 + j`
    /// for reduction index `k0 + kk` of the group whose first input channel is `cbase` (zero
    /// in the padding and past the last pixel). Copies run per output row, between bounds
    /// computed so the copy loop needs no check.
    /// `rowBase` offsets every row in `panel`; `zeroTail` (default: when the grid does not
    /// split into whole tiles) zero-fills each row past `pcount`.
    func packPatches(from x: BufferRef, into panel: BufferRef, columns: Int, rowBase: IndexExpr = 0, zeroTail: Bool? = nil) -> [Stmt] {
        let taps = kernel[0] * kernel[1]
        let shiftW = IndexExpr.v("kw") * c(dilation[1]) - c(pad[1])           // iw = ow * stride + shiftW
        // Output columns whose input column is inside the image: [owLow, owHigh).
        let owLow = IndexExpr.max(0, (c(stride[1] - 1) - shiftW) / c(stride[1]))
        let owHigh = IndexExpr.min(c(outWidth), (c(width + stride[1] - 1) - shiftW) / c(stride[1]))
        let destination = rowBase + IndexExpr.v("kk") * c(columns)
        let source = ((IndexExpr.v("n") * c(channels) + .v("cbase") + .v("ci")) * c(height) + .v("ih")) * c(width)
            + (.v("j") - .v("jrow")) * c(stride[1]) + shiftW
        let segment: [Stmt] = [
            .letIndex("js", .max(.v("oh") * c(outWidth), .v("p0")) - .v("p0")),
            .letIndex("je", .min((.v("oh") + 1) * c(outWidth), .v("p0") + .v("pcount")) - .v("p0")),
            .letIndex("jrow", .v("oh") * c(outWidth) - .v("p0")),                  // j = ow + jrow
            .letIndex("ih", .v("oh") * c(stride[0]) - c(pad[0]) + .v("kh") * c(dilation[0])),
            .when(.inRange(.v("ih"), 0, c(height)), then: [
                .letIndex("jl", .min(.max(owLow + .v("jrow"), .v("js")), .v("je"))),
                .letIndex("jh", .min(.max(owHigh + .v("jrow"), .v("jl")), .v("je"))),
            ] + zeros(panel, destination, .v("js"), .v("jl")) + [
                .loop(variable: "j", lower: .v("jl"), upper: .v("jh"), schedule: .vectorized, body: [
                    .store(panel, destination + .v("j"), .load(x, source)),
                ]),
            ] + zeros(panel, destination, .v("jh"), .v("je")), otherwise: zeros(panel, destination, .v("js"), .v("je"))),
        ]
        var packing: [Stmt] = [
            .letIndex("k", .v("k0") + .v("kk")),
            .letIndex("ci", .v("k") / c(taps)),
            .letIndex("kh", (.v("k") % c(taps)) / c(kernel[1])),
            .letIndex("kw", .v("k") % c(kernel[1])),
            .loop(variable: "oh", lower: .v("p0") / c(outWidth), upper: (.v("p0") + .v("pcount") - 1) / c(outWidth) + 1,
                  schedule: .serial, body: segment),
        ]
        // Lanes past the last pixel multiply zeros (and are never stored).
        if zeroTail ?? (gridPixels % columns != 0) { packing += zeros(panel, destination, .v("pcount"), c(columns)) }
        return packing
    }

    /// Whether `storeTile` goes through the partial-sum buffer for some tiles.
    func storesThroughBuffer(columns: Int, finalizing: Bool) -> Bool { finalizing || gridWidth != outWidth || gridPixels % columns != 0 }

    /// Stores the finished register tile of output channels `oc...` over grid pixels
    /// `[p0, p0 + pcount)` into `y`: straight from the registers when the tile is whole
    /// output pixels, else through `partial` (`keep` puts it there) and per output row.
    /// With `finalizing`, every tile goes through `partial` and each output row segment is
    /// finalized with its values there (`FinalizedValues`), so a fused epilogue reads them
    /// from L1 and the convolution's own output is stored only if read elsewhere (measured
    /// on a 1x1 1024x784x1024 convolution + relu: storing the output, then reading it back
    /// for the relu, took about a tenth of the kernel's time). The per-row work runs in a
    /// loop over the tile's valid rows (`i < rowCount`), so a fused epilogue is generated
    /// once, not once per row. With `throughBuffer`, every tile is stored from `partial`
    /// (which the caller has filled).
    func storeTile(_ tile: RegisterTile, to y: BufferRef, through partial: BufferRef, slot: (Int, Int) -> IndexExpr,
                   keep: [Stmt], guarded: (Int, [Stmt]) -> [Stmt], finalizing: Bool, throughBuffer: Bool = false) -> [Stmt] {
        let rowBase = IndexExpr.v("n") * c(outChannels * outPixels) + (.v("oc") + .v("i")) * c(outPixels)
        let rowCount: IndexExpr = outChannels % tile.rows == 0 ? c(tile.rows) : .min(c(tile.rows), c(outChannels) - .v("oc"))
        let rows = { (body: [Stmt]) -> Stmt in .loop(variable: "i", lower: 0, upper: rowCount, schedule: .serial, body: body) }
        let partialRow = IndexExpr.v("i") * c(tile.columns) + slot(0, 0)
        // `count` elements of the row from output pixel `start`, held in `partial` from `from`.
        let segment = { (start: IndexExpr, count: IndexExpr, from: IndexExpr) -> Stmt in
            finalizing
                ? .finalized(y, start: rowBase + start, count: count, stride: 1, alignment: 1, values: FinalizedValues(buffer: partial, start: from))
                : .loop(variable: "j", lower: 0, upper: count, schedule: .vectorized, body: [
                    .store(y, rowBase + start + .v("j"), .load(partial, from + .v("j"))),
                ])
        }
        guard gridWidth == outWidth else {
            // Grid row oh holds output row oh in its first outWidth columns.
            return keep + [.loop(variable: "oh", lower: .v("p0") / c(gridWidth), upper: (.v("p0") + .v("pcount") - 1) / c(gridWidth) + 1,
                                 schedule: .serial, body: [
                .letIndex("s", .max(.v("oh") * c(gridWidth), .v("p0"))),
                .letIndex("e", .min(.v("oh") * c(gridWidth) + c(outWidth), .v("p0") + .v("pcount"))),
                .when(.less(.v("s"), .v("e")), then: [
                    rows([segment(.v("oh") * c(outWidth - gridWidth) + .v("s"), .v("e") - .v("s"), partialRow + .v("s") - .v("p0"))]),
                ], otherwise: []),
            ])]
        }
        let part: [Stmt] = keep + [rows([segment(.v("p0"), .v("pcount"), partialRow)])]
        if throughBuffer || finalizing { return part }
        let direct = IndexExpr.v("n") * c(outChannels * outPixels) + .v("oc") * c(outPixels) + .v("p0")
        let whole: [Stmt] = (0..<tile.rows).flatMap { i in guarded(i, (0..<tile.vectors).map { v in
            Stmt.storeVector(y, direct + c(i * outPixels + v * tile.width), .register(tile.accumulator(i, v)), width: tile.width, aligned: false)
        }) }
        guard gridPixels % tile.columns != 0 else { return whole }
        return [.when(.equal(.v("pcount"), c(tile.columns)), then: whole, otherwise: part)]
    }
}

extension Loops {
    /// A loop of `variable` over `0..<extent` around `body`, or `body` with the variable
    /// bound to 0 when the extent is 1.
    static func counted(_ variable: String, _ extent: Int, _ body: [Stmt]) -> [Stmt] {
        extent == 1 ? [.letIndex(variable, 0)] + body
            : [.loop(variable: variable, lower: 0, upper: .constant(extent), schedule: .serial, body: body)]
    }
}
