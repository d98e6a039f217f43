/// 1x1, stride 1, unpadded convolution: a matrix product over pixels, 16 pixels of 4 output
/// channels at a time (the accumulators of the direct-x16 kernel, whose weights it shares).
///
/// Planar input would make the inner loop over input channels stride by a whole plane, and planes
/// are multiples of 4 KiB, so every one of those loads maps to the same L1 set and most of them
/// come from L2. Each 16-pixel block is therefore first copied with its channels contiguous
/// ([block][in][16]); the inner loop then streams one cache line per input channel, and the copy
/// stays in L1 for every output block of that pixel block.

extension ConvGeometry {
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
    /// Floats of scratch `conv2DPointwiseX16` needs: the input, 16-pixel blocks channel-contiguous.
    var pointwiseScratchCount: Int { (inHeight * inWidth + 15) / 16 * 16 * inChannels }
}

func conv2DPointwiseX16(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: ConvWeightsX16,
                        activation: ActivationFunction, output: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
    var job = PointwiseX16(pixels: g.inHeight * g.inWidth, inChannels: g.inChannels, outChannels: g.outChannels,
                           input: input, packed: scratch, weights: UnsafePointer(weights.packed.pointer),
                           bias: UnsafePointer(weights.bias.pointer), activation: activation, output: output)
    let blocks = (job.pixels + 15) / 16
    if let pool, pool.size > 1 {
        pool.parallelFor(blocks, context: &job) { context, first, end in
            let job = context!.assumingMemoryBound(to: PointwiseX16.self)
            for block in first..<end { job.pointee.block(block) }
        }
    } else {
        for block in 0..<blocks { job.block(block) }
    }
}

private struct PointwiseX16 {
    let pixels: Int, inChannels: Int, outChannels: Int
    let input: UnsafePointer<Float>                 // [in][pixels]
    let packed: UnsafeMutablePointer<Float>         // [pixel block][in][16]
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>   // [out/4][in][4], [out/4 * 4]
    let activation: ActivationFunction
    let output: UnsafeMutablePointer<Float>         // [out][pixels]

    func block(_ index: Int) {
        let x = index * 16, count = min(16, pixels - x)
        let tile = packed + index * 16 * inChannels
        for c in 0..<inChannels {
            let src = input + c * pixels + x, dst = tile + c * 16
            if count == 16 {
                UnsafeMutableRawPointer(dst).storeBytes(of: load16(src), as: SIMD16<Float>.self)
            } else {
                for i in 0..<16 { dst[i] = i < count ? src[i] : 0 }
            }
        }
        for block in 0..<(outChannels + 3) / 4 {
            let b = bias + block * 4
            var (a0, b0) = (SIMD8<Float>(repeating: b[0]), SIMD8<Float>(repeating: b[0]))
            var (a1, b1) = (SIMD8<Float>(repeating: b[1]), SIMD8<Float>(repeating: b[1]))
            var (a2, b2) = (SIMD8<Float>(repeating: b[2]), SIMD8<Float>(repeating: b[2]))
            var (a3, b3) = (SIMD8<Float>(repeating: b[3]), SIMD8<Float>(repeating: b[3]))
            var w = weights + block * inChannels * 4
            var p = UnsafePointer(tile)
            for _ in 0..<inChannels {
                let lo = load8(p), hi = load8(p + 8)
                let s0 = SIMD8(repeating: w[0]), s1 = SIMD8(repeating: w[1])
                let s2 = SIMD8(repeating: w[2]), s3 = SIMD8(repeating: w[3])
                a0 = a0.addingProduct(s0, lo); b0 = b0.addingProduct(s0, hi)
                a1 = a1.addingProduct(s1, lo); b1 = b1.addingProduct(s1, hi)
                a2 = a2.addingProduct(s2, lo); b2 = b2.addingProduct(s2, hi)
                a3 = a3.addingProduct(s3, lo); b3 = b3.addingProduct(s3, hi)
                w += 4
                p += 16
            }
            let out = output + block * 4 * pixels + x, lanes = min(4, outChannels - block * 4)
            store16(a0, b0, out, count)
            if lanes > 1 { store16(a1, b1, out + pixels, count) }
            if lanes > 2 { store16(a2, b2, out + 2 * pixels, count) }
            if lanes > 3 { store16(a3, b3, out + 3 * pixels, count) }
        }
    }

    @inline(__always)
    func store16(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        storeActivated16(lo, hi, activation, dst, count)
    }
}

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}
@inline(__always) private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}
