import CKernels

/// Direct convolution vectorised along the output row: two `FloatVector`s of output pixels (16, or
/// 32 with AVX-512) of 4 output channels at a time, 8 accumulators. Unlike the 8-output-channel
/// kernel, whose lanes are channels and so must store each result lane by lane into 8 planes, this
/// one loads and stores whole vectors of a plane: the better kernel where few multiply-adds fall on each output (1x1 layers)
/// and for strided layers.
///
/// Strides work through phases: each padded input row is split into `stride` phases (columns p,
/// p+s, p+2s, ...), so the inputs one tap needs are contiguous in one phase. The split is made per
/// band of output rows, of the input rows the band reads, into a tile of the thread's own of about
/// 1 MiB (`fillTile`); the padded input itself is the stride-1 kind, which producers can write in
/// place. A polyphase copy of the whole input (16 MiB at 512x512 for the 16->32 layer), written
/// and read back, was half of these layers' time. (The band size was measured on x86 only; the
/// boards' L2 caches are smaller.)

/// Weights repacked as [outChannels/4][in][kh][kw][4], zero past outChannels; the bias likewise.
public final class ConvWeightsX16 {
    public let geometryChannels: (inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int)
    let packed: AlignedBuffer
    let bias: AlignedBuffer

    public init(weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int) {
        geometryChannels = (inChannels, outChannels, kernelH, kernelW)
        (packed, self.bias) = packOutputBlocks(weights: weights, bias: bias, outChannels: outChannels,
                                               taps: inChannels * kernelH * kernelW, lanes: 4)
    }
}

extension ConvGeometry {
    /// Kernel widths up to 16: the per-tap offsets live in one SIMD16 register-sized table.
    public var directX16Eligible: Bool { kernelW <= 16 }

    /// Unpadded stride-1 inputs whose rows are whole vectors are read in place: no copy.
    var x16ReadsInPlace: Bool {
        padH == 0 && padW == 0 && strideW == 1 && kernelW == 1 && outWidth % (2 * vectorLanes) == 0
    }
    /// Each phase row: the output row rounded up to a step (two vectors), plus the reach of the widest tap.
    var x16RowLength: Int {
        let step = 2 * vectorLanes
        return x16ReadsInPlace ? inWidth : (outWidth + step - 1) / step * step + (kernelW - 1) * dilationW / strideW + 1
    }
    /// The padded layout the kernel reads (nil for the 1x1 kernel and where it reads in place):
    /// rows of `strideW` phase rows' length, so that they split into phases.
    public var directX16InputLayout: PaddedLayout? {
        isPointwise || x16ReadsInPlace ? nil
            : PaddedLayout(rows: paddedHeight, rowLength: strideW * x16RowLength, top: padH, left: padW)
    }
    /// Output rows per tile fill in a strided layer: as many as fit about 1 MiB of tile, at most 16.
    /// Rows of a band share input rows (16 read 33 at stride 2, not 48), and each channel's rows are
    /// one long run in memory, which the prefetchers follow. Measured at 512x512 on the 16->32
    /// layer: 4.97 ms a row at a time, 4.64 with bands of 4, 4.10 with 16 (5.56 with the polyphase
    /// copy of the whole input); the other strided layers are within noise of each other.
    var x16BandRows: Int {
        max(1, min(16, (1 << 20) / (4 * inChannels * strideH * strideW * x16RowLength)))
    }
    /// Input rows a band of output rows reads, per channel.
    var x16BandInputRows: Int { (x16BandRows - 1) * strideH + (kernelH - 1) * dilationH + 1 }
    /// Floats of one thread's tile in a strided layer: every channel's input rows of a band of
    /// output rows, split into phases, then one padded row (for inputs not in the padded layout).
    var x16TileCount: Int { strideW > 1 ? (inChannels * x16BandInputRows + 1) * strideW * x16RowLength : 0 }
    /// Floats of scratch `conv2DDirectX16` needs on `threads` threads: the padded input at stride 1
    /// (none where the producer wrote it in place), strided layers' tiles, or for 1x1 layers the
    /// channel-contiguous copies of `conv2DPointwiseX16`.
    public func directX16ScratchCount(threads: Int, inputIsPadded: Bool = false) -> Int {
        if isPointwise { return pointwiseScratchCount(threads: threads) }
        guard let layout = directX16InputLayout else { return 0 }
        return strideW > 1 ? max(threads, 1) * x16TileCount : inputIsPadded ? 0 : layout.floats(channels: inChannels)
    }
}

/// scratch: `g.directX16ScratchCount(threads: pool?.size ?? 1)` floats. output: [outChannels,
/// outHeight, outWidth], or rows and planes at `outputStrides` (not for 1x1 layers, whose kernel stores runs of whole planes).
/// gate: only for 1x1 layers (the gate convolutions), whose kernel mixes as it stores.
/// inputIsPadded: `input` is the origin of `g.directX16InputLayout`, its data written there by the
/// producer (PaddedPlanes.swift); the kernel writes the padding around it instead of copying.
public func conv2DDirectX16(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: ConvWeightsX16,
                            activation: ActivationFunction, gate: GateMix? = nil, output: UnsafeMutablePointer<Float>,
                            outputStrides: PlaneStrides? = nil, inputIsPadded: Bool = false,
                            scratch: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil) {
    precondition(weights.geometryChannels == (g.inChannels, g.outChannels, g.kernelH, g.kernelW) && g.directX16Eligible,
                 "packed weights do not match the convolution")
    precondition(gate == nil || g.isPointwise, "only the 1x1 kernel mixes a gate as it stores")
    precondition(!g.isPointwise || outputStrides == nil, "the 1x1 kernel stores dense planes")
    precondition(!inputIsPadded || g.directX16InputLayout != nil, "this convolution reads no padded layout")
    if g.isPointwise {
        conv2DPointwiseX16(input: input, geometry: g, weights: weights, activation: activation, gate: gate,
                           output: output, scratch: scratch, pool: pool)
        return
    }
    var job = directX16Job(input: input, geometry: g, weights: weights, activation: activation, output: output,
                           outputStrides: outputStrides, inputIsPadded: inputIsPadded, scratch: scratch, pool: pool)
    if job.tiled {                          // whole output rows per thread, each thread its tile
        job.threads = pool?.size ?? 1
        if let pool, job.threads > 1 {
            pool.parallelFor(job.threads, context: &job) { context, first, end in
                let job = context!.assumingMemoryBound(to: DirectConvX16.self)
                for thread in first..<end { job.pointee.rows(thread: thread) }
            }
        } else {
            job.rows(thread: 0)
        }
        return
    }
    // Items are (output row, 4-channel block, or two for `octo`), row-major: the input rows one
    // output row reads stay in cache for all its blocks (block-major order re-reads the whole input
    // once per block), and the weights, at most a few hundred KiB, stay in L2.
#if EDGEINSPECT_AVX512
    if job.pairsRows {
        let items = (g.outHeight + 1) / 2
        if let pool, pool.size > 1 {
            pool.parallelFor(items, context: &job) { context, first, end in
                let job = context!.assumingMemoryBound(to: DirectConvX16.self)
                for item in first..<end { job.pointee.rowPair(2 * item) }
            }
        } else {
            for item in 0..<items { job.rowPair(2 * item) }
        }
        return
    }
#endif
    let items = job.blockGroups * g.outHeight
    if let pool, pool.size > 1 {
        pool.parallelFor(items, context: &job) { context, first, end in
            let job = context!.assumingMemoryBound(to: DirectConvX16.self)
            for item in first..<end { job.pointee.item(item) }
        }
    } else {
        for item in 0..<items { job.item(item) }
    }
}

/// The job of a 3x3-style (not 1x1) direct-x16 convolution. `scratch` (the first
/// `g.directX16ScratchCount(threads:inputIsPadded:)` floats) holds the padded copy of a stride-1
/// input not laid out in place, or a strided layer's tiles.
func directX16Job(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: ConvWeightsX16,
                  activation: ActivationFunction, output: UnsafeMutablePointer<Float>, outputStrides: PlaneStrides?,
                  inputIsPadded: Bool, scratch: UnsafeMutablePointer<Float>, pool: ThreadPool?) -> DirectConvX16 {
    var source = input
    var tiles: UnsafeMutablePointer<Float>? = nil
    if let layout = g.directX16InputLayout {
        // Strided: the tiles are split from the padded layout where the producer wrote it (its
        // padding written here), else from the dense input rows; no copy of the whole input.
        if g.strideW == 1 || inputIsPadded {
            source = fillPaddedPlanes(input, channels: g.inChannels, height: g.inHeight, width: g.inWidth, layout: layout,
                                      inputIsPadded: inputIsPadded, scratch: scratch, pool: pool)
        }
        if g.strideW > 1 { tiles = scratch }
    }
    var offsets = SIMD16<Int32>()
    for kx in 0..<g.kernelW {
        let column = kx * g.dilationW
        offsets[kx] = Int32((column % g.strideW) * g.x16RowLength + column / g.strideW)
    }
    return DirectConvX16(g: g, padded: source, dense: tiles != nil && !inputIsPadded, tiles: tiles,
                         weights: UnsafePointer(weights.packed.pointer), bias: UnsafePointer(weights.bias.pointer),
                         activation: activation, output: output,
                         strides: outputStrides ?? .dense(height: g.outHeight, width: g.outWidth), tapOffsets: offsets)
}

/// Phase p of a padded row: count values from row[p], stride apart, at dst + p * count. Stride 2
/// is a C shuffle (two-source permutes on AVX-512, vld2q on NEON): the scalar loop ran at a float
/// a cycle, and Swift's `evenHalf` / `oddHalf` compiled to lane-by-lane broadcasts and inserts,
/// which perf put at most of `fillTile`.
@inline(__always)
private func splitPhases(_ row: UnsafePointer<Float>, stride s: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
    if s == 2 {
        ei_stride2_phases(row, dst, dst + count, Int32(count), Int32(vectorLanes))
        return
    }
    for p in 0..<s {
        for i in 0..<count { dst[p * count + i] = row[s * i + p] }
    }
}

struct DirectConvX16 {
    let g: ConvGeometry
    let padded: UnsafePointer<Float>       // [in][paddedHeight][strideW * x16RowLength], or dense [in][inHeight][inWidth]
    let dense: Bool                        // strided layers: `padded` is the dense input
    let tiles: UnsafeMutablePointer<Float>?   // strided layers: one tile per thread (`forThread`)
    /// What the kernels read: [in][channelRows][strideW phases][x16RowLength], the padded input
    /// itself at stride 1 (one phase), a thread's tile of a band of output rows' input rows when strided.
    var source: UnsafePointer<Float>
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let activation: ActivationFunction
    var output: UnsafeMutablePointer<Float>   // var: conv2DDirectX16Quantized points it at each thread's tile
    let strides: PlaneStrides
    let tapOffsets: SIMD16<Int32>          // kx -> phase * rowLength + column / stride
    let channelRows: Int                   // source rows between channels
    /// Floats of one source row, all its phases. Stored: `x16RowLength` is computed, with
    /// divisions, and once it sat in a channel loop it cost the 8-lane build up to 20 %.
    let rowStride: Int
    var threads = 1                        // strided layers: the threads `rows(thread:)` splits the rows for
    var band = 0..<0                       // strided layers: the output rows the tile holds the input of

    init(g: ConvGeometry, padded: UnsafePointer<Float>, dense: Bool, tiles: UnsafeMutablePointer<Float>?,
         weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: ActivationFunction,
         output: UnsafeMutablePointer<Float>, strides: PlaneStrides, tapOffsets: SIMD16<Int32>) {
        (self.g, self.padded, self.dense, self.tiles, self.source) = (g, padded, dense, tiles, padded)
        (self.weights, self.bias, self.activation, self.output) = (weights, bias, activation, output)
        (self.strides, self.tapOffsets) = (strides, tapOffsets)
        channelRows = tiles == nil ? g.paddedHeight : g.x16BandInputRows
        rowStride = g.strideW * g.x16RowLength
    }

    var tiled: Bool { tiles != nil }
    /// From `source` to the first input row of output row y.
    @inline(__always) func rowOffset(_ y: Int) -> Int { (y - band.lowerBound) * g.strideH * rowStride }

    /// This job for thread t: reading its own tile when strided.
    func forThread(_ t: Int) -> DirectConvX16 {
        var job = self
        if let tiles { job.source = UnsafePointer(tiles + t * g.x16TileCount) }
        return job
    }

    /// Output row y, every channel (on a `forThread` job). A strided job splits the input of the
    /// band of rows from y (up to `end`, the caller's last row) into its tile first, unless the
    /// tile holds it.
    mutating func outputRow(_ y: Int, end: Int) {
        if tiled && !band.contains(y) { fillTile(band: y..<min(y + g.x16BandRows, end)) }
        for group in 0..<blockGroups { item(y * blockGroups + group) }
    }

    /// Thread t's share of the output rows.
    func rows(thread t: Int) {
        var mine = forThread(t)
        let end = g.outHeight * (t + 1) / threads
        for y in (g.outHeight * t / threads)..<end { mine.outputRow(y, end: end) }
    }

    /// Splits the input rows that the output rows `rows` read, every channel, into this thread's
    /// tile: each channel's rows are one run of its plane, read in order. A dense input's row is
    /// first padded in the tile's last row.
    mutating func fillTile(band rows: Range<Int>) {
        let rw = g.x16RowLength
        let tile = UnsafeMutablePointer(mutating: source)
        let count = (rows.count - 1) * g.strideH + (g.kernelH - 1) * g.dilationH + 1
        let buffer = tile + g.inChannels * channelRows * rowStride
        let width = min(g.inWidth, rowStride - g.padW)
        if dense { buffer.update(repeating: 0, count: rowStride) }   // its padding, never overwritten
        for c in 0..<g.inChannels {
            for r in 0..<count {
                let (py, dst) = (rows.lowerBound * g.strideH + r, tile + (c * channelRows + r) * rowStride)
                var row = padded + (c * g.paddedHeight + py) * rowStride
                if dense {
                    let y = py - g.padH
                    guard y >= 0 && y < g.inHeight else { dst.update(repeating: 0, count: rowStride); continue }
                    copyFloats(to: buffer + g.padW, from: padded + (c * g.inHeight + y) * g.inWidth, count: width)
                    row = UnsafePointer(buffer)
                }
                splitPhases(row, stride: g.strideW, count: rw, into: dst)
            }
        }
        band = rows
    }

    var blocks: Int { (g.outChannels + 3) / 4 }
#if EDGEINSPECT_AVX512
    /// Rows narrower than `quad`'s 64 pixels take 8 channels at a time instead (`octo`).
    var blocksPerItem: Int { g.kernelW == 3 && g.outWidth < 4 * vectorLanes && blocks > 1 ? 2 : 1 }
#else
    var blocksPerItem: Int { 1 }
#endif
    var blockGroups: Int { (blocks + blocksPerItem - 1) / blocksPerItem }

    func item(_ i: Int) {
        let per = blocksPerItem
        let (y, block) = (i / blockGroups, i % blockGroups * per)
        var x = 0
#if EDGEINSPECT_AVX512
        if per == 2 && block + 1 < blocks { x = octo(y, block) }
#endif
        for b in block..<min(block + per, blocks) { row(y, b, from: x) }
    }

    /// Output row y of 4-channel block `block`, from pixel x0 on.
    func row(_ y: Int, _ block: Int, from x0: Int) {
        let ow = g.outWidth
        let taps = g.inChannels * g.kernelH * g.kernelW
        let first = source + rowOffset(y)
        let w0 = weights + block * taps * 4
        let b = bias + block * 4
        let (l, step) = (vectorLanes, 2 * vectorLanes)
        let lanes = min(4, g.outChannels - block * 4)
        let plane = strides.plane
        let out = output + block * 4 * plane + y * strides.row
        var x = x0
        if g.outChannels == 1 {
            // A single output channel leaves three of the four lanes idle; spend the registers on
            // 8 vectors of pixels instead, 8 independent accumulators as in the loop below.
            while x + 8 * l <= ow {
                single8Vectors(out + x, source: first + x, bias: b[0])
                x += 8 * l
            }
        }
        let (t0, t1, t2) = (Int(tapOffsets[0]), Int(tapOffsets[1]), Int(tapOffsets[2]))
#if EDGEINSPECT_AVX512
        if g.kernelW == 3 && g.outChannels > 1 {
            while x + 4 * l <= ow {
                quad(out + x, w0: w0, bias: b, first: first + x,
                     lanes: lanes, plane: plane)
                x += 4 * l
            }
        }
#endif
        while x < ow {
            var acc = Block4x2(bias: b)
            var w = w0
            @inline(__always) func tap(_ p: UnsafePointer<Float>, _ w: UnsafePointer<Float>) {
                acc.add(loadVector(p), loadVector(p + l), weights: w)
            }
            for c in 0..<g.inChannels {
                for ky in 0..<g.kernelH {
                    let row = first + (c * channelRows + ky * g.dilationH) * rowStride + x
                    if g.kernelW == 3 {
                        // Unrolled: the loop over a table of tap offsets spent a fifth of these
                        // layers' time on loop counters and loading the offsets (masked indices).
                        tap(row + t0, w); tap(row + t1, w + 4); tap(row + t2, w + 8)
                        w += 12
                    } else {
                        for kx in 0..<g.kernelW {
                            tap(row + Int(tapOffsets[kx]), w)
                            w += 4
                        }
                    }
                }
            }
            let count = min(step, ow - x)
            put(acc.a0, acc.b0, out + x, count)
            if lanes > 1 { put(acc.a1, acc.b1, out + plane + x, count) }
            if lanes > 2 { put(acc.a2, acc.b2, out + 2 * plane + x, count) }
            if lanes > 3 { put(acc.a3, acc.b3, out + 3 * plane + x, count) }
            x += step
        }
    }

#if EDGEINSPECT_AVX512
    /// Output row y of blocks `block` and `block + 1` in steps of 2 vectors of pixels x 8 channels,
    /// 16 accumulators, for rows narrower than `quad`'s steps; returns the pixel where it stopped
    /// (the partial step is left to `row`).
    func octo(_ y: Int, _ block: Int) -> Int {
        let (l, ow) = (vectorLanes, g.outWidth)
        let taps = g.inChannels * g.kernelH * g.kernelW
        let (wa, wb) = (weights + block * taps * 4, weights + (block + 1) * taps * 4)
        let b = bias + block * 4
        let lanes = min(8, g.outChannels - block * 4)
        let plane = strides.plane
        let out = output + block * 4 * plane + y * strides.row
        let first = source + rowOffset(y)
        let (t0, t1, t2) = (Int(tapOffsets[0]), Int(tapOffsets[1]), Int(tapOffsets[2]))
        var x = 0
        while x + 2 * l <= ow {
            func pair(_ v: Float) -> (FloatVector, FloatVector) { (FloatVector(repeating: v), FloatVector(repeating: v)) }
            var c0 = pair(b[0]), c1 = pair(b[1]), c2 = pair(b[2]), c3 = pair(b[3])
            var c4 = pair(b[4]), c5 = pair(b[5]), c6 = pair(b[6]), c7 = pair(b[7])
            @inline(__always) func tap(_ p: UnsafePointer<Float>, _ wa: UnsafePointer<Float>, _ wb: UnsafePointer<Float>) {
                let lo = loadVector(p), hi = loadVector(p + l)
                @inline(__always) func fma(_ c: inout (FloatVector, FloatVector), _ w: Float) {
                    let s = FloatVector(repeating: w)
                    c.0 = c.0.addingProduct(s, lo); c.1 = c.1.addingProduct(s, hi)
                }
                fma(&c0, wa[0]); fma(&c1, wa[1]); fma(&c2, wa[2]); fma(&c3, wa[3])
                fma(&c4, wb[0]); fma(&c5, wb[1]); fma(&c6, wb[2]); fma(&c7, wb[3])
            }
            var (pa, pb) = (wa, wb)
            for c in 0..<g.inChannels {
                for ky in 0..<g.kernelH {
                    let row = first + (c * channelRows + ky * g.dilationH) * rowStride + x
                    tap(row + t0, pa, pb); tap(row + t1, pa + 4, pb + 4); tap(row + t2, pa + 8, pb + 8)
                    pa += 12; pb += 12
                }
            }
            let o = out + x
            put(c0.0, c0.1, o, 2 * l); put(c1.0, c1.1, o + plane, 2 * l)
            put(c2.0, c2.1, o + 2 * plane, 2 * l); put(c3.0, c3.1, o + 3 * plane, 2 * l)
            put(c4.0, c4.1, o + 4 * plane, 2 * l)
            if lanes > 5 { put(c5.0, c5.1, o + 5 * plane, 2 * l) }
            if lanes > 6 { put(c6.0, c6.1, o + 6 * plane, 2 * l) }
            if lanes > 7 { put(c7.0, c7.1, o + 7 * plane, 2 * l) }
            x += 2 * l
        }
        return x
    }

    /// 4 vectors of pixels x 4 channels: 16 accumulators of the 32 zmm registers.
    @inline(__always)
    func quad(_ out: UnsafeMutablePointer<Float>, w0: UnsafePointer<Float>, bias b: UnsafePointer<Float>,
              first: UnsafePointer<Float>, lanes: Int, plane: Int) {
        let l = vectorLanes
        var c0 = (FloatVector(repeating: b[0]), FloatVector(repeating: b[0]), FloatVector(repeating: b[0]), FloatVector(repeating: b[0]))
        var c1 = (FloatVector(repeating: b[1]), FloatVector(repeating: b[1]), FloatVector(repeating: b[1]), FloatVector(repeating: b[1]))
        var c2 = (FloatVector(repeating: b[2]), FloatVector(repeating: b[2]), FloatVector(repeating: b[2]), FloatVector(repeating: b[2]))
        var c3 = (FloatVector(repeating: b[3]), FloatVector(repeating: b[3]), FloatVector(repeating: b[3]), FloatVector(repeating: b[3]))
        @inline(__always) func tap(_ p: UnsafePointer<Float>, _ w: UnsafePointer<Float>) {
            let v0 = loadVector(p), v1 = loadVector(p + l), v2 = loadVector(p + 2 * l), v3 = loadVector(p + 3 * l)
            var s = FloatVector(repeating: w[0])
            c0.0 = c0.0.addingProduct(s, v0); c0.1 = c0.1.addingProduct(s, v1); c0.2 = c0.2.addingProduct(s, v2); c0.3 = c0.3.addingProduct(s, v3)
            s = FloatVector(repeating: w[1])
            c1.0 = c1.0.addingProduct(s, v0); c1.1 = c1.1.addingProduct(s, v1); c1.2 = c1.2.addingProduct(s, v2); c1.3 = c1.3.addingProduct(s, v3)
            s = FloatVector(repeating: w[2])
            c2.0 = c2.0.addingProduct(s, v0); c2.1 = c2.1.addingProduct(s, v1); c2.2 = c2.2.addingProduct(s, v2); c2.3 = c2.3.addingProduct(s, v3)
            s = FloatVector(repeating: w[3])
            c3.0 = c3.0.addingProduct(s, v0); c3.1 = c3.1.addingProduct(s, v1); c3.2 = c3.2.addingProduct(s, v2); c3.3 = c3.3.addingProduct(s, v3)
        }
        let (t0, t1, t2) = (Int(tapOffsets[0]), Int(tapOffsets[1]), Int(tapOffsets[2]))
        var w = w0
        for c in 0..<g.inChannels {
            for ky in 0..<g.kernelH {
                let row = first + (c * channelRows + ky * g.dilationH) * rowStride
                tap(row + t0, w); tap(row + t1, w + 4); tap(row + t2, w + 8)
                w += 12
            }
        }
        put(c0.0, c0.1, out, 2 * l); put(c0.2, c0.3, out + 2 * l, 2 * l)
        if lanes > 1 { put(c1.0, c1.1, out + plane, 2 * l); put(c1.2, c1.3, out + plane + 2 * l, 2 * l) }
        if lanes > 2 { put(c2.0, c2.1, out + 2 * plane, 2 * l); put(c2.2, c2.3, out + 2 * plane + 2 * l, 2 * l) }
        if lanes > 3 { put(c3.0, c3.1, out + 3 * plane, 2 * l); put(c3.2, c3.3, out + 3 * plane + 2 * l, 2 * l) }
    }
#endif

#if EDGEINSPECT_AVX512
    /// A 3x3 layer with one output channel, stride and dilation 1 (the networks' last layer) runs
    /// two output rows at a time (`rowPair`) on AVX-512: rows y and y + 1 read input rows y .. y + 3,
    /// so each loaded vector of the middle two feeds both, 24 loads per 36 FMAs a channel instead
    /// of 27 per 27 (`single8Vectors` was bound by its loads).
    var pairsRows: Bool {
        g.outChannels == 1 && g.kernelH == 3 && g.kernelW == 3 && g.strideH == 1 && g.dilationH == 1
            && !tiled
    }

    /// Output rows y and y + 1 (the second only where it exists) of a `pairsRows` layer.
    func rowPair(_ y: Int) {
        let l = vectorLanes, ow = g.outWidth
        var x = 0
        if y + 1 < g.outHeight {
            while x + 8 * l <= ow {
                single8VectorsTwoRows(output + y * strides.row + x, source: source + y * rowStride + x)
                x += 8 * l
            }
        }
        row(y, 0, from: x)
        if y + 1 < g.outHeight { row(y + 1, 0, from: x) }
    }

    /// `single8Vectors` for output rows y and y + 1 at once (16 accumulators). Each accumulator
    /// still adds the bias and then the taps in direct-oc8's order (channel, ky, kx), so the same bits.
    @inline(__always)
    func single8VectorsTwoRows(_ out: UnsafeMutablePointer<Float>, source: UnsafePointer<Float>) {
        var upper = Block1x8(repeating: bias[0]), lower = upper
        let t = (Int(tapOffsets[0]), Int(tapOffsets[1]), Int(tapOffsets[2]))
        for c in 0..<g.inChannels {
            let w = weights + c * 36                 // [ky][kx][4 lanes], lane 0 the one channel
            // The two input rows of the row pair after next (see `single8Vectors`).
            let ahead = source + (c * g.paddedHeight + 6) * rowStride
            prefetch(ahead, floats: 8 * vectorLanes)
            prefetch(ahead + rowStride, floats: 8 * vectorLanes)
            for r in 0..<4 {                         // input row y + r: ky = r for y, r - 1 for y + 1
                let row = source + (c * g.paddedHeight + r) * rowStride
                for kx in 0..<3 {
                    let x = Block1x8(loading: row + (kx == 0 ? t.0 : kx == 1 ? t.1 : t.2))
                    if r < 3 { upper.add(w[(r * 3 + kx) * 4], x) }
                    if r > 0 { lower.add(w[((r - 1) * 3 + kx) * 4], x) }
                }
            }
        }
        upper.store(activation, out)
        lower.store(activation, out + strides.row)
    }
#endif

    /// 8 vectors of pixels of output channel 0. source: the first input row of this output row, at pixel x.
    @inline(__always)
    func single8Vectors(_ out: UnsafeMutablePointer<Float>, source: UnsafePointer<Float>, bias: Float) {
        var acc = Block1x8(repeating: bias)
        var w = weights
        let (t0, t1, t2) = (Int(tapOffsets[0]), Int(tapOffsets[1]), Int(tapOffsets[2]))
        for c in 0..<g.inChannels {
            // The last row that output row y + 2 reads: at 512x512 the last layer's 16 MiB input
            // comes from L3 or DRAM, a row per channel and output row, and the hardware
            // prefetchers alone left its loads waiting (haswell build: 1.85 -> 1.42 ms).
            let ahead = 2 * g.strideH + (g.kernelH - 1) * g.dilationH
            prefetch(source + (c * channelRows + ahead) * rowStride, floats: 8 * vectorLanes)
            for ky in 0..<g.kernelH {
                let row = source + (c * channelRows + ky * g.dilationH) * rowStride
                if g.kernelW == 3 {          // as in row(_:): the taps unrolled, no offset table lookups
                    acc.add(w[0], Block1x8(loading: row + t0))
                    acc.add(w[4], Block1x8(loading: row + t1))
                    acc.add(w[8], Block1x8(loading: row + t2))
                    w += 12
                } else {
                    for kx in 0..<g.kernelW {
                        acc.add(w[0], Block1x8(loading: row + Int(tapOffsets[kx])))
                        w += 4
                    }
                }
            }
        }
        acc.store(activation, out)
    }

    @_transparent
    func put(_ lo: FloatVector, _ hi: FloatVector, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        storeActivatedPair(lo, hi, activation, dst, count)
    }
}

/// The activation, then two vectors of pixels stored (fewer at a row's or plane's end).
@_transparent
func storeActivatedPair(_ lo: FloatVector, _ hi: FloatVector, _ activation: ActivationFunction,
                        _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    let (a, b, l) = (applyActivation(lo, activation), applyActivation(hi, activation), vectorLanes)
    if count == 2 * l {
        storeVector(a, dst)
        storeVector(b, dst + l)
    } else {
        storePartialPair(a, b, dst, count)
    }
}

/// The first `count` lanes of a, then b: a row's or plane's end. Out of line, so that the store
/// forced into every kernel stays small. (Before it was forced, `@inline(__always)` left
/// `storeActivatedPair` a call in the larger kernels, each vector passed in 128-bit pieces.)
@inline(never)
func storePartialPair(_ a: FloatVector, _ b: FloatVector, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { dst[i] = i < vectorLanes ? a[i] : b[i - vectorLanes] }
}
