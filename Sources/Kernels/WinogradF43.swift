import CKernels

/// Winograd F(4x4, 3x3) convolution for 3x3, stride-1, non-dilated layers (any padding): each 4x4
/// block of outputs comes from a 6x6 input tile with 36 multiplies per channel pair instead of the
/// direct method's 144, a 4x cut of the arithmetic that dominates these layers.
///
/// Per tile: V = Bt d B (input transform), M = sum over input channels of U * V (U = G g Gt, the
/// weight transform, done once at load), Y = At M A (output transform) + bias, then the activation.
/// The 36 products are 36 small matrix multiplies [out x in] x [in x tiles], run as a register-blocked
/// kernel with one tile per lane of a `FloatVector` (4 output channels x 2 vectors = 8 accumulators),
/// so the same code is right for AVX2 and AVX-512 (one register per vector) and NEON (two).
///
/// Work is split over (tile row, chunk of two vectors of tiles) items; each thread owns a slice of
/// the scratch for its transformed inputs and products, and the split is static.

/// Tiles per chunk: two vectors (16, or 32 with AVX-512).
@inline(__always) var winogradChunk: Int { 2 * vectorLanes }

/// The transformed weights: [36][outChannels][inChannels] (plus the bias), built once per layer.
public final class WinogradF43Weights {
    public let inChannels: Int, outChannels: Int
    let u: AlignedBuffer
    let bias: AlignedBuffer

    /// weights: [out, in, 3, 3] as in PyTorch; bias: [out] or nil.
    public init(weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int, inChannels: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        u = AlignedBuffer(count: 36 * outChannels * inChannels)
        self.bias = AlignedBuffer(count: outChannels)
        for o in 0..<outChannels {
            self.bias.pointer[o] = bias?[o] ?? 0
            for c in 0..<inChannels {
                let g = weights + (o * inChannels + c) * 9
                // U = G g Gt, separably and in Double so U rounds once: first t = G g (6x3), then t Gt.
                var t = (SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>())      // column s of t, rows in lanes
                for s in 0..<3 {
                    let col = transformG(Double(g[s]), Double(g[3 + s]), Double(g[6 + s]))
                    if s == 0 { t.0 = col } else if s == 1 { t.1 = col } else { t.2 = col }
                }
                for k in 0..<6 {
                    let row = transformG(t.0[k], t.1[k], t.2[k])
                    for j in 0..<6 { u.pointer[((k * 6 + j) * outChannels + o) * inChannels + c] = Float(row[j]) }
                }
            }
        }
    }
}

/// G for F(4,3) with points 0, +-1, +-2 (and infinity), applied to three values; lanes 0-5 hold the result.
private func transformG(_ g0: Double, _ g1: Double, _ g2: Double) -> SIMD8<Double> {
    SIMD8(g0 / 4, -(g0 + g1 + g2) / 6, -(g0 - g1 + g2) / 6,
          g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6, g2, 0, 0)
}

extension ConvGeometry {
    /// Whether Winograd F(4,3) computes this convolution.
    public var winogradF43Eligible: Bool {
        kernelH == 3 && kernelW == 3 && strideH == 1 && strideW == 1 && dilationH == 1 && dilationW == 1
    }

    var winogradTilesY: Int { (outHeight + 3) / 4 }
    var winogradChunksX: Int { ((outWidth + 3) / 4 + winogradChunk - 1) / winogradChunk }
    /// The zero-padded input copy covers every tile of every chunk, so no load needs a bounds check.
    var winogradInputHeight: Int { 4 * winogradTilesY + 2 }
    var winogradInputWidth: Int { 4 * winogradChunk * winogradChunksX + 2 }
    /// The padded layout Winograd reads: its copy of the input, or the producer's output planned there.
    public var winogradInputLayout: PaddedLayout {
        PaddedLayout(rows: winogradInputHeight, rowLength: winogradInputWidth, top: padH, left: padW)
    }
    /// Per thread: transformed inputs [36][in][chunk], products [36][4][chunk], and the row transforms
    /// of one vector of tiles and one row's phases.
    var winogradThreadScratch: Int { 36 * inChannels * winogradChunk + 36 * 4 * winogradChunk + 42 * vectorLanes }

    /// Floats of scratch `conv2DWinogradF43` needs when run on `threads` threads: the padded copy of
    /// the input (none where the producer wrote it in place), then each thread's own part.
    public func winogradF43ScratchCount(threads: Int, inputIsPadded: Bool = false) -> Int {
        (inputIsPadded ? 0 : winogradInputLayout.floats(channels: inChannels)) + max(threads, 1) * winogradThreadScratch
    }
}

/// scratch: `g.winogradF43ScratchCount(threads: pool?.size ?? 1)` floats.
/// output: [outChannels, outHeight, outWidth], or rows and planes at `outputStrides`.
/// inputIsPadded: `input` is the origin of `g.winogradInputLayout`, its data written there by the
/// producer (PaddedPlanes.swift); the kernel writes the padding around it instead of copying.
public func conv2DWinogradF43(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: WinogradF43Weights,
                              activation: ActivationFunction, output: UnsafeMutablePointer<Float>,
                              outputStrides: PlaneStrides? = nil, inputIsPadded: Bool = false,
                              scratch: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil) {
    precondition(g.winogradF43Eligible && weights.inChannels == g.inChannels && weights.outChannels == g.outChannels,
                 "Winograd weights do not match the convolution")
    let layout = g.winogradInputLayout
    let threads = pool?.size ?? 1
    let source = fillPaddedPlanes(input, channels: g.inChannels, height: g.inHeight, width: g.inWidth, layout: layout,
                                  inputIsPadded: inputIsPadded, scratch: scratch, pool: pool)
    var job = WinogradJob(g: g, source: source, u: UnsafePointer(weights.u.pointer),
                          bias: UnsafePointer(weights.bias.pointer), activation: activation, output: output,
                          strides: outputStrides ?? .dense(height: g.outHeight, width: g.outWidth),
                          threadScratch: scratch + (inputIsPadded ? 0 : layout.floats(channels: g.inChannels)),
                          threads: threads)
    if let pool, threads > 1 {
        // One item per thread: each takes its static share of the chunks and its own scratch.
        pool.parallelFor(threads, context: &job) { context, first, end in
            let job = context!.assumingMemoryBound(to: WinogradJob.self)
            for thread in first..<end { job.pointee.run(thread: thread) }
        }
    } else {
        job.run(thread: 0)
    }
}

private struct WinogradJob {
    let g: ConvGeometry
    let source: UnsafePointer<Float>       // [in][winogradInputHeight][winogradInputWidth]
    let u: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let activation: ActivationFunction
    let output: UnsafeMutablePointer<Float>
    let strides: PlaneStrides
    let threadScratch: UnsafeMutablePointer<Float>
    let threads: Int

    func run(thread: Int) {
        let items = g.winogradTilesY * g.winogradChunksX
        let (first, end) = (items * thread / threads, items * (thread + 1) / threads)
        let mine = threadScratch + thread * g.winogradThreadScratch
        let v = mine, m = mine + 36 * g.inChannels * winogradChunk
        let rowTransforms = m + 36 * 4 * winogradChunk
        for item in first..<end {
            let (ty, chunk) = (item / g.winogradChunksX, item % g.winogradChunksX)
            transformInput(tileRow: ty, chunk: chunk, into: v, temp: rowTransforms)
            var o = 0
            if liveHalves(chunk: chunk) == 1 {
                // Half a chunk of live tiles: 8 channels x 1 vector (`multiply8Half`) instead of
                // 4 x 2, whose second vector's products no output reads.
                while o + 8 <= g.outChannels {
                    multiply8Half(v: v, firstOut: o, into: m)
                    for k in 0..<8 { transformOutput(m + k * vectorLanes, out: o + k, tileRow: ty, chunk: chunk, temp: rowTransforms) }
                    o += 8
                }
            }
            while o < g.outChannels {
                let block = min(4, g.outChannels - o)
                if block == 4 { multiply4(v: v, firstOut: o, into: m) } else { multiply1(v: v, out: o, count: block, into: m) }
                for k in 0..<block { transformOutput(m + k * winogradChunk, out: o + k, tileRow: ty, chunk: chunk, temp: rowTransforms) }
                o += block
            }
        }
    }

    /// Vectors of the chunk that hold tiles: 1 when the row ends in its first half (a 64-wide layer
    /// has 16 tiles, half a chunk of 16-lane vectors). The other half is neither transformed nor
    /// stored; its lanes of the products are garbage that no output reads.
    func liveHalves(chunk: Int) -> Int {
        (g.outWidth + 3) / 4 - chunk * winogradChunk > vectorLanes ? 2 : 1
    }

    /// V[xi][c][tile] = Bt d B for the chunk's tiles of every input channel.
    func transformInput(tileRow ty: Int, chunk: Int, into v: UnsafeMutablePointer<Float>, temp: UnsafeMutablePointer<Float>) {
        let (ph, pw) = (g.winogradInputHeight, g.winogradInputWidth)
        let cin = g.inChannels
        let l = vectorLanes, band = 6 * vectorLanes        // band: the six row transforms of one vector
        let phases = temp + 6 * band                       // one row's six phases
        let halves = liveHalves(chunk: chunk)
        for c in 0..<cin {
            for half in 0..<halves {
                let x0 = 4 * (chunk * winogradChunk + half * l)
                // Along x first: six rows of the tile band, each split into its stride-4 phases (one
                // tile per lane) by the C shuffles.
                for r in 0..<6 {
                    ei_stride4_phases6(source + (c * ph + 4 * ty + r) * pw + x0, phases, Int32(l))
                    bt(loadVector(phases), loadVector(phases + l), loadVector(phases + 2 * l),
                       loadVector(phases + 3 * l), loadVector(phases + 4 * l), loadVector(phases + 5 * l),
                       into: temp + r * band, stride: l)
                }
                // Then along y, column by column.
                for j in 0..<6 {
                    let col = temp + j * l
                    bt(loadVector(col), loadVector(col + band), loadVector(col + 2 * band), loadVector(col + 3 * band),
                       loadVector(col + 4 * band), loadVector(col + 5 * band),
                       into: v + (j * cin + c) * winogradChunk + half * l, stride: 6 * cin * winogradChunk)
                }
            }
        }
    }

    /// M[xi][0..<4][tile] = sum_c U[xi][o+k][c] * V[xi][c][tile]: 4 output channels x one chunk.
    func multiply4(v: UnsafeMutablePointer<Float>, firstOut o: Int, into m: UnsafeMutablePointer<Float>) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        for xi in 0..<36 {
            let w0 = u + (xi * cout + o) * cin, w1 = w0 + cin, w2 = w1 + cin, w3 = w2 + cin
            var vp = UnsafePointer(v + xi * cin * winogradChunk)
            var a0 = FloatVector(), b0 = FloatVector(), a1 = FloatVector(), b1 = FloatVector()
            var a2 = FloatVector(), b2 = FloatVector(), a3 = FloatVector(), b3 = FloatVector()
            for c in 0..<cin {
                let lo = loadVector(vp), hi = loadVector(vp + vectorLanes)
                let s0 = FloatVector(repeating: w0[c]), s1 = FloatVector(repeating: w1[c])
                let s2 = FloatVector(repeating: w2[c]), s3 = FloatVector(repeating: w3[c])
                a0 = a0.addingProduct(s0, lo); b0 = b0.addingProduct(s0, hi)
                a1 = a1.addingProduct(s1, lo); b1 = b1.addingProduct(s1, hi)
                a2 = a2.addingProduct(s2, lo); b2 = b2.addingProduct(s2, hi)
                a3 = a3.addingProduct(s3, lo); b3 = b3.addingProduct(s3, hi)
                vp += winogradChunk
            }
            let (dst, l) = (m + xi * 4 * winogradChunk, vectorLanes)
            storeVector(a0, dst); storeVector(b0, dst + l)
            storeVector(a1, dst + 2 * l); storeVector(b1, dst + 3 * l)
            storeVector(a2, dst + 4 * l); storeVector(b2, dst + 5 * l)
            storeVector(a3, dst + 6 * l); storeVector(b3, dst + 7 * l)
        }
    }

    /// M for 8 output channels of a chunk whose tiles fill only its first vector (`liveHalves` 1):
    /// channel o + k's M[xi] at m + xi * 4 * winogradChunk + k * vectorLanes, which is where
    /// `transformOutput(m + k * vectorLanes, ...)` reads its one half. 8 accumulators, all live.
    func multiply8Half(v: UnsafeMutablePointer<Float>, firstOut o: Int, into m: UnsafeMutablePointer<Float>) {
        let (cin, cout, l) = (g.inChannels, g.outChannels, vectorLanes)
        for xi in 0..<36 {
            let w = u + (xi * cout + o) * cin
            var vp = UnsafePointer(v + xi * cin * winogradChunk)
            var acc = (FloatVector(), FloatVector(), FloatVector(), FloatVector(),
                       FloatVector(), FloatVector(), FloatVector(), FloatVector())
            for c in 0..<cin {
                let x = loadVector(vp)
                acc.0 = acc.0.addingProduct(FloatVector(repeating: w[c]), x)
                acc.1 = acc.1.addingProduct(FloatVector(repeating: w[cin + c]), x)
                acc.2 = acc.2.addingProduct(FloatVector(repeating: w[2 * cin + c]), x)
                acc.3 = acc.3.addingProduct(FloatVector(repeating: w[3 * cin + c]), x)
                acc.4 = acc.4.addingProduct(FloatVector(repeating: w[4 * cin + c]), x)
                acc.5 = acc.5.addingProduct(FloatVector(repeating: w[5 * cin + c]), x)
                acc.6 = acc.6.addingProduct(FloatVector(repeating: w[6 * cin + c]), x)
                acc.7 = acc.7.addingProduct(FloatVector(repeating: w[7 * cin + c]), x)
                vp += winogradChunk
            }
            let dst = m + xi * 4 * winogradChunk
            storeVector(acc.0, dst); storeVector(acc.1, dst + l); storeVector(acc.2, dst + 2 * l)
            storeVector(acc.3, dst + 3 * l); storeVector(acc.4, dst + 4 * l); storeVector(acc.5, dst + 5 * l)
            storeVector(acc.6, dst + 6 * l); storeVector(acc.7, dst + 7 * l)
        }
    }

    /// The same for the last 1-3 output channels, one at a time.
    func multiply1(v: UnsafeMutablePointer<Float>, out o: Int, count: Int, into m: UnsafeMutablePointer<Float>) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        for k in 0..<count {
            for xi in 0..<36 {
                let w = u + (xi * cout + o + k) * cin
                var vp = UnsafePointer(v + xi * cin * winogradChunk)
                var a = FloatVector(), b = FloatVector()
                for c in 0..<cin {
                    let s = FloatVector(repeating: w[c])
                    a = a.addingProduct(s, loadVector(vp)); b = b.addingProduct(s, loadVector(vp + vectorLanes))
                    vp += winogradChunk
                }
                let dst = m + (xi * 4 + k) * winogradChunk
                storeVector(a, dst); storeVector(b, dst + vectorLanes)
            }
        }
    }

    /// Y = At M A + bias, activation, stored into the output plane of channel `o` (clipped at its edges).
    /// m: this channel's products, M[xi] at m + xi * 4 * winogradChunk.
    func transformOutput(_ m: UnsafeMutablePointer<Float>, out o: Int, tileRow ty: Int, chunk: Int,
                         temp: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        let plane = output + o * strides.plane
        let bias = FloatVector(repeating: self.bias[o])
        let l = vectorLanes
        for half in 0..<liveHalves(chunk: chunk) {
            let mh = m + half * l
            func at(_ xi: Int) -> FloatVector { loadVector(mh + xi * 4 * winogradChunk) }
            // Along y first: sp[r * 6 + j] = At[r] . M[.][j].
            let sp = temp
            for j in 0..<6 {
                let y = at4(at(j), at(6 + j), at(12 + j), at(18 + j), at(24 + j), at(30 + j))
                storeVector(y.0, sp + j * l); storeVector(y.1, sp + (6 + j) * l)
                storeVector(y.2, sp + (12 + j) * l); storeVector(y.3, sp + (18 + j) * l)
            }
            let firstTile = chunk * winogradChunk + half * l
            for r in 0..<4 {
                let y = 4 * ty + r
                if y >= oh { break }
                let row = sp + 6 * l * r
                let q = at4(loadVector(row), loadVector(row + l), loadVector(row + 2 * l), loadVector(row + 3 * l),
                            loadVector(row + 4 * l), loadVector(row + 5 * l))
                let cols = (applyActivation(q.0 + bias, activation), applyActivation(q.1 + bias, activation),
                            applyActivation(q.2 + bias, activation), applyActivation(q.3 + bias, activation))
                let dst = plane + y * strides.row
                let x0 = 4 * firstTile
                if x0 + 4 * l <= ow {
                    // Interleaved by the C shuffles, from four vectors after the row transforms.
                    let phases = temp + 24 * l
                    storeVector(cols.0, phases); storeVector(cols.1, phases + l)
                    storeVector(cols.2, phases + 2 * l); storeVector(cols.3, phases + 3 * l)
                    ei_stride4_interleave4(phases, dst + x0, Int32(l))
                } else {
                    for lane in 0..<l {
                        let x = x0 + 4 * lane
                        if x < ow { dst[x] = cols.0[lane] }
                        if x + 1 < ow { dst[x + 1] = cols.1[lane] }
                        if x + 2 < ow { dst[x + 2] = cols.2[lane] }
                        if x + 3 < ow { dst[x + 3] = cols.3[lane] }
                    }
                }
            }
        }
    }
}

/// Bt applied to six values (F(4,3), points 0, +-1, +-2); output i goes to out + i * stride.
@inline(__always)
private func bt(_ d0: FloatVector, _ d1: FloatVector, _ d2: FloatVector, _ d3: FloatVector,
                _ d4: FloatVector, _ d5: FloatVector, into out: UnsafeMutablePointer<Float>, stride: Int) {
    let four = FloatVector(repeating: 4), five = FloatVector(repeating: 5), two = FloatVector(repeating: 2)
    let a = d4 - four * d2          // shared by rows 1, 2
    let b = d3 - four * d1
    let c = d4 - d2                 // shared by rows 3, 4
    let e = two * (d3 - d1)
    storeVector(four * d0 - five * d2 + d4, out)
    storeVector(a + b, out + stride)
    storeVector(a - b, out + 2 * stride)
    storeVector(c + e, out + 3 * stride)
    storeVector(c - e, out + 4 * stride)
    storeVector(four * d1 - five * d3 + d5, out + 5 * stride)
}

/// At applied to six values: four outputs.
@inline(__always)
private func at4(_ m0: FloatVector, _ m1: FloatVector, _ m2: FloatVector, _ m3: FloatVector,
                 _ m4: FloatVector, _ m5: FloatVector) -> (FloatVector, FloatVector, FloatVector, FloatVector) {
    let p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4
    let two = FloatVector(repeating: 2), four = FloatVector(repeating: 4), eight = FloatVector(repeating: 8)
    return (m0 + p12 + p34, d12 + two * d34, p12 + four * p34, d12 + eight * d34 + m5)
}
