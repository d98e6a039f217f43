/// 1x1, stride 1, unpadded convolution: a matrix product over pixels, two vectors of pixels of 4
/// output channels at a time (the accumulators of the direct-x16 kernel, whose weights it shares).
///
/// Planar input would make the inner loop over input channels stride by a whole plane, and planes
/// are multiples of 4 KiB, so every one of those loads maps to the same L1 set and most of them
/// come from L2. Each block of pixels is therefore first copied with its channels contiguous
/// ([block][in][pixels]); the inner loop then streams one cache line per input channel, and the copy
/// stays in L1 for every output block of that pixel block.

extension ConvGeometry {
    public var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }
    /// Floats of scratch `conv2DPointwiseX16` needs: the input, pixel blocks channel-contiguous.
    var pointwiseScratchCount: Int {
        let step = 2 * vectorLanes
        return (inHeight * inWidth + step - 1) / step * step * inChannels
    }
}

func conv2DPointwiseX16(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: ConvWeightsX16,
                        activation: ActivationFunction, gate: GateMix? = nil, output: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
    var job = PointwiseX16(pixels: g.inHeight * g.inWidth, inChannels: g.inChannels, outChannels: g.outChannels,
                           input: input, packed: scratch, weights: UnsafePointer(weights.packed.pointer),
                           bias: UnsafePointer(weights.bias.pointer), activation: activation, gate: gate,
                           output: output)
    let blocks = (job.pixels + 2 * vectorLanes - 1) / (2 * vectorLanes)
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
    let packed: UnsafeMutablePointer<Float>         // [pixel block][in][2 * vectorLanes]
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>   // [out/4][in][4], [out/4 * 4]
    let activation: ActivationFunction
    let gate: GateMix?
    let output: UnsafeMutablePointer<Float>         // [out][pixels]

    func block(_ index: Int) {
        let (l, step) = (vectorLanes, 2 * vectorLanes)
        let x = index * step, count = min(step, pixels - x)
        let tile = packed + index * step * inChannels
        for c in 0..<inChannels {
            let src = input + c * pixels + x, dst = tile + c * step
            if count == step {
                storeVector(loadVector(src), dst)
                storeVector(loadVector(src + l), dst + l)
            } else {
                for i in 0..<step { dst[i] = i < count ? src[i] : 0 }
            }
        }
        for block in 0..<(outChannels + 3) / 4 {
            var acc = Block4x2(bias: bias + block * 4)
            var w = weights + block * inChannels * 4
            var p = UnsafePointer(tile)
            for _ in 0..<inChannels {
                acc.add(loadVector(p), loadVector(p + l), weights: w)
                w += 4
                p += step
            }
            let out = output + block * 4 * pixels + x, lanes = min(4, outChannels - block * 4)
            storePair(acc.a0, acc.b0, out, count)
            if lanes > 1 { storePair(acc.a1, acc.b1, out + pixels, count) }
            if lanes > 2 { storePair(acc.a2, acc.b2, out + 2 * pixels, count) }
            if lanes > 3 { storePair(acc.a3, acc.b3, out + 3 * pixels, count) }
        }
    }

    @inline(__always)
    func storePair(_ lo: FloatVector, _ hi: FloatVector, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        storeActivatedPair(lo, hi, activation, dst, count, gate: gate, output: output)
    }
}
