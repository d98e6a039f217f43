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
    /// Floats of scratch `conv2DPointwiseX16` needs on `threads` threads: a tile each, its group of
    /// pixel blocks channel-contiguous.
    func pointwiseScratchCount(threads: Int) -> Int { max(threads, 1) * PointwiseX16.tileCount(inChannels: inChannels) }
}

func conv2DPointwiseX16(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: ConvWeightsX16,
                        activation: ActivationFunction, gate: GateMix? = nil, output: UnsafeMutablePointer<Float>,
                        scratch: UnsafeMutablePointer<Float>, pool: ThreadPool?) {
    let threads = pool?.size ?? 1
    var job = PointwiseX16(pixels: g.inHeight * g.inWidth, inChannels: g.inChannels, outChannels: g.outChannels,
                           input: input, tiles: scratch, weights: UnsafePointer(weights.packed.pointer),
                           bias: UnsafePointer(weights.bias.pointer), activation: activation, gate: gate,
                           output: output, threads: threads)
    if let pool, threads > 1 {
        pool.parallelFor(threads, context: &job) { context, first, end in
            let job = context!.assumingMemoryBound(to: PointwiseX16.self)
            for thread in first..<end { job.pointee.run(thread: thread) }
        }
    } else {
        job.run(thread: 0)
    }
}

private struct PointwiseX16 {
    let pixels: Int, inChannels: Int, outChannels: Int
    let input: UnsafePointer<Float>                 // [in][pixels]
    let tiles: UnsafeMutablePointer<Float>          // per thread: [block of its group][in][2 * vectorLanes]
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>   // [out/4][in][4], [out/4 * 4]
    let activation: ActivationFunction
    let gate: GateMix?
    let output: UnsafeMutablePointer<Float>         // [out][pixels]
    let threads: Int

    /// Pixel blocks copied together: each input plane is then read in runs of 8 blocks (1-2 KiB),
    /// and the output planes (and a gate's mixed ones) are written in such runs. One block at a
    /// time, every one of those planes was touched 128 bytes at a time, and the copies of the whole
    /// input (16 MiB at 512x512) were fresh memory: a 1x1 layer at 512x512 ran at a quarter of the
    /// 3x3 layers' rate. A thread's tile is reused by each of its groups and stays in L2.
    static let group = 8
    static func tileCount(inChannels: Int) -> Int { group * 2 * vectorLanes * inChannels }
    var blocks: Int { (pixels + 2 * vectorLanes - 1) / (2 * vectorLanes) }

    /// This thread's share of the groups (static partitioning).
    func run(thread: Int) {
        let groups = (blocks + PointwiseX16.group - 1) / PointwiseX16.group
        let tile = tiles + thread * PointwiseX16.tileCount(inChannels: inChannels)
        for index in (groups * thread / threads)..<(groups * (thread + 1) / threads) { group(index, tile: tile) }
    }

    func group(_ index: Int, tile: UnsafeMutablePointer<Float>) {
        let (l, step) = (vectorLanes, 2 * vectorLanes)
        let range = (index * PointwiseX16.group)..<min((index + 1) * PointwiseX16.group, blocks)
        let groupFloats = PointwiseX16.group * step
        for c in 0..<inChannels {
            // The next group's run of this plane: one run per input channel (64-128 of them) is
            // more streams than the prefetchers follow, and the copy waited on its loads.
            prefetch(input + c * pixels + range.upperBound * step, floats: groupFloats)
            for b in range {
                let x = b * step, count = min(step, pixels - x)
                let src = input + c * pixels + x, dst = tile + ((b - range.lowerBound) * inChannels + c) * step
                if count == step {
                    storeVector(loadVector(src), dst)
                    storeVector(loadVector(src + l), dst + l)
                } else {
                    for i in 0..<step { dst[i] = i < count ? src[i] : 0 }
                }
            }
        }
        // Output block outer: each output plane is written in runs of the group's blocks.
        for outBlock in 0..<(outChannels + 3) / 4 {
            for b in range { block(b, outBlock, copy: tile + (b - range.lowerBound) * inChannels * step) }
        }
    }

    /// Output channels 4 outBlock ..< 4 outBlock + 4 of one block of pixels, from its input's copy.
    @inline(__always)
    func block(_ index: Int, _ outBlock: Int, copy: UnsafeMutablePointer<Float>) {
        let (l, step) = (vectorLanes, 2 * vectorLanes)
        let x = index * step, count = min(step, pixels - x)
        var acc = Block4x2(bias: bias + outBlock * 4)
        var w = weights + outBlock * inChannels * 4
        var p = UnsafePointer(copy)
        for _ in 0..<inChannels {
            acc.add(loadVector(p), loadVector(p + l), weights: w)
            w += 4
            p += step
        }
        let out = output + outBlock * 4 * pixels + x, lanes = min(4, outChannels - outBlock * 4)
        storePair(acc.a0, acc.b0, out, count)
        if lanes > 1 { storePair(acc.a1, acc.b1, out + pixels, count) }
        if lanes > 2 { storePair(acc.a2, acc.b2, out + 2 * pixels, count) }
        if lanes > 3 { storePair(acc.a3, acc.b3, out + 3 * pixels, count) }
    }

    @_transparent
    func storePair(_ lo: FloatVector, _ hi: FloatVector, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        storeActivatedPair(lo, hi, activation, dst, count, gate: gate, output: output)
    }
}
