/// Direct convolution vectorised over 8 output channels (one SIMD8<Float> = one AVX2 register or two
/// NEON registers), register-blocked over 4 output pixels along x. It handles every stride, padding
/// and dilation with one code path: the input is copied once into a zero-padded scratch so the inner
/// loop has no bounds checks, and each input pixel is broadcast against a contiguous 8-channel weight
/// vector. A simple, general kernel; layer-specialised ones (Winograd, NCHWc) come later.

/// Weights repacked for the kernel: [outChannels/8][in][kh][kw][8], zero-filled past outChannels,
/// and the bias padded the same way.
public final class ConvWeightsOC8 {
    public let geometryChannels: (inChannels: Int, outChannels: Int, kernelH: Int, kernelW: Int)
    let packed: AlignedBuffer
    let bias: AlignedBuffer

    /// weights: [out, in, kh, kw] as in PyTorch; bias: [out] or nil.
    public init(weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                outChannels: Int, inChannels: Int, kernelH: Int, kernelW: Int) {
        geometryChannels = (inChannels, outChannels, kernelH, kernelW)
        (packed, self.bias) = packOutputBlocks(weights: weights, bias: bias, outChannels: outChannels,
                                               taps: inChannels * kernelH * kernelW, lanes: 8)
    }
}

/// [out][taps] weights as [outChannels/lanes][taps][lanes], zero past outChannels, and the bias
/// padded the same way: one vector of `lanes` output channels per tap, for the direct kernels.
func packOutputBlocks(weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outChannels: Int,
                      taps: Int, lanes: Int) -> (weights: AlignedBuffer, bias: AlignedBuffer) {
    let blocks = (outChannels + lanes - 1) / lanes
    let packed = AlignedBuffer(count: blocks * taps * lanes)
    let paddedBias = AlignedBuffer(count: blocks * lanes)
    for o in 0..<outChannels {
        let (block, lane) = (o / lanes, o % lanes)
        for t in 0..<taps { packed.pointer[(block * taps + t) * lanes + lane] = weights[o * taps + t] }
        paddedBias.pointer[o] = bias?[o] ?? 0
    }
    return (packed, paddedBias)
}

@inline(__always)
func applyActivation(_ v: FloatVector, _ activation: ActivationFunction) -> FloatVector {
    switch activation {
    case .none: return v
    case .relu: return v.replacing(with: 0, where: v .< 0)
    case .leakyRelu(let alpha): return v.replacing(with: v * alpha, where: v .< 0)
    case .silu: return v * sigmoid(v)
    case .sigmoid: return sigmoid(v)
    }
}

#if EDGEINSPECT_AVX512
/// The 8-lane kernels' activation where `FloatVector` is wider: one padded vector (lanes are
/// independent, so the values are the same bits as an 8-lane computation).
@inline(__always)
func applyActivation(_ v: SIMD8<Float>, _ activation: ActivationFunction) -> SIMD8<Float> {
    applyActivation(FloatVector(lowHalf: v, highHalf: v), activation).lowHalf
}
#endif

/// Writes lane j of `v` to channel block*8+j at one output position, for the live lanes only.
@inline(__always)
func store(_ v: SIMD8<Float>, _ out: UnsafeMutablePointer<Float>, planeSize: Int, lanes: Int) {
    for j in 0..<lanes { out[j * planeSize] = v[j] }
}

/// scratch: at least `g.scratchCount` floats. output: [outChannels, outHeight, outWidth].
/// With a pool, the (8-channel block, output row) items are split statically across its threads.
public func conv2DDirectOC8(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: ConvWeightsOC8,
                            activation: ActivationFunction, output: UnsafeMutablePointer<Float>,
                            scratch: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil) {
    precondition(weights.geometryChannels == (g.inChannels, g.outChannels, g.kernelH, g.kernelW),
                 "packed weights do not match the convolution")
    let layout = PaddedLayout(rows: g.paddedHeight, rowLength: g.paddedWidth, top: g.padH, left: g.padW)
    let source = g.scratchCount == 0 ? input
        : fillPaddedPlanes(input, channels: g.inChannels, height: g.inHeight, width: g.inWidth, layout: layout,
                           inputIsPadded: false, scratch: scratch, pool: pool)
    var job = DirectConvOC8(g: g, source: source, weights: UnsafePointer(weights.packed.pointer),
                            bias: UnsafePointer(weights.bias.pointer), activation: activation, output: output)
    // Items are (block, row) pairs, block-major, so a thread's contiguous share reuses one
    // block's weights across many rows.
    let items = (g.outChannels + 7) / 8 * g.outHeight
    if let pool, pool.size > 1 {
        pool.parallelFor(items, context: &job) { context, first, end in
            let job = context!.assumingMemoryBound(to: DirectConvOC8.self)
            for item in first..<end { job.pointee.row(item) }
        }
    } else {
        for item in 0..<items { job.row(item) }
    }
}

/// Everything one output row needs, in one struct so the thread pool can pass it by pointer
/// (a capturing closure would cost a heap allocation per call).
private struct DirectConvOC8 {
    let g: ConvGeometry
    let source: UnsafePointer<Float>     // padded input planes
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let activation: ActivationFunction
    let output: UnsafeMutablePointer<Float>

    /// One output row of one 8-channel block; item = block * outHeight + y.
    func row(_ item: Int) {
        let (oh, ow) = (g.outHeight, g.outWidth)
        let (block, y) = (item / oh, item % oh)
        let plane = oh * ow
        let (ph, pw) = (g.paddedHeight, g.paddedWidth)
        let taps = g.inChannels * g.kernelH * g.kernelW
        let (sw, dw, sh, dh) = (g.strideW, g.dilationW, g.strideH, g.dilationH)
        let wideEnd = ow - ow % 4
        let lanes = min(8, g.outChannels - block * 8)
        let w0 = weights + block * taps * 8
        let bias = UnsafeRawPointer(self.bias + block * 8).loadUnaligned(as: SIMD8<Float>.self)
        let out = output + block * 8 * plane + y * ow
        // Four output pixels at a time: four accumulators hide the FMA latency.
        var x = 0
        while x < wideEnd {
            #if arch(arm)
            let (a0, a1, a2, a3) = convBlockOC8x4Armv7(origin: source + y * sh * pw + x * sw, weights: w0,
                                                       bias: self.bias + block * 8, geometry: g)
            #else
            var a0 = bias, a1 = bias, a2 = bias, a3 = bias
            var w = w0
            for c in 0..<g.inChannels {
                for ky in 0..<g.kernelH {
                    let row = source + (c * ph + y * sh + ky * dh) * pw + x * sw
                    for kx in 0..<g.kernelW {
                        let wv = UnsafeRawPointer(w).loadUnaligned(as: SIMD8<Float>.self)
                        let p = row + kx * dw
                        a0 = a0.addingProduct(SIMD8(repeating: p[0]), wv)
                        a1 = a1.addingProduct(SIMD8(repeating: p[sw]), wv)
                        a2 = a2.addingProduct(SIMD8(repeating: p[2 * sw]), wv)
                        a3 = a3.addingProduct(SIMD8(repeating: p[3 * sw]), wv)
                        w += 8
                    }
                }
            }
            #endif
            store(applyActivation(a0, activation), out + x, planeSize: plane, lanes: lanes)
            store(applyActivation(a1, activation), out + x + 1, planeSize: plane, lanes: lanes)
            store(applyActivation(a2, activation), out + x + 2, planeSize: plane, lanes: lanes)
            store(applyActivation(a3, activation), out + x + 3, planeSize: plane, lanes: lanes)
            x += 4
        }
        // The tail pixels one by one, so no load strays past the padded row.
        while x < ow {
            var a = bias
            var w = w0
            for c in 0..<g.inChannels {
                for ky in 0..<g.kernelH {
                    let row = source + (c * ph + y * sh + ky * dh) * pw + x * sw
                    for kx in 0..<g.kernelW {
                        a = a.addingProduct(SIMD8(repeating: row[kx * dw]),
                                            UnsafeRawPointer(w).loadUnaligned(as: SIMD8<Float>.self))
                        w += 8
                    }
                }
            }
            store(applyActivation(a, activation), out + x, planeSize: plane, lanes: lanes)
            x += 1
        }
    }
}
