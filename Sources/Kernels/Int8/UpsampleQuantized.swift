import CKernels

/// Bilinear upsampling that stores its result already quantised for the int8 convolution reading
/// it: the padded HWC bytes `quantizeForInt8` would make of `upsampleBilinear`'s output, bit for
/// bit (the same float operations, then the same quantiser), without writing the float map in
/// between (four bytes a value, the largest activation of a decoder) or reading it back.
///
/// Threads split the padded rows. A thread keeps the horizontally interpolated source rows it needs
/// in two slots, each computed once as it moves down (consecutive output rows share one), and the
/// quantiser blends two slots as it loads them: on the x86 paths no float of the output is stored.
/// The other paths blend into a one-row tile first.

/// Floats of scratch on `threads` threads: the column table, then per thread two source-row slots
/// and the tile, each one row of every channel.
public func upsampleBilinearQuantizedScratchCount(channels: Int, width: Int, scale: Int, threads: Int = 1) -> Int {
    let ow = width * scale
    return 3 * ow + max(threads, 1) * 3 * channels * quantizerTileStride(ow)
}

/// Floats between channels in the one-row float tiles a producer hands to the quantiser: past the
/// row and off a multiple of 1 KiB, since the quantiser reads 16 channels at once, and rows a power
/// of two apart share cache sets.
func quantizerTileStride(_ width: Int) -> Int { (width + 15) / 16 * 16 + 16 }

/// input: planar float [channels, height, width]; reader: the int8 convolution's geometry (input
/// channels `channels`, input size height·scale x width·scale); out: `Int8ConvWeights.scratchBytes(reader)`
/// bytes. inputScale, path: the reader's, as `quantizeForInt8` takes them.
public func upsampleBilinearQuantized(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, scale: Int,
                                      reader g: ConvGeometry, inputScale: Float, path: Int8KernelPath,
                                      into out: UnsafeMutablePointer<Int8>, scratch: UnsafeMutablePointer<Float>,
                                      pool: ThreadPool? = nil) {
    precondition(g.inChannels == channels && g.inHeight == height * scale && g.inWidth == width * scale,
                 "the reader's input is not this upsampling's output")
    fillBilinearColumns(width: width, scale: scale, into: scratch)
    let threads = pool?.size ?? 1
    var job = QuantizedBilinearJob(input: input, channels: channels, height: height, width: width, scale: scale, g: g,
                                   inverseScale: 1 / inputScale, path: path.rawValue, out: out, scratch: scratch,
                                   threads: threads)
    if let pool, threads > 1 {
        pool.parallelFor(threads, context: &job) { context, first, end in
            let job = context!.assumingMemoryBound(to: QuantizedBilinearJob.self)
            for thread in first..<end { job.pointee.run(thread: thread) }
        }
    } else {
        job.run(thread: 0)
    }
}

private struct QuantizedBilinearJob {
    let input: UnsafePointer<Float>
    let channels: Int, height: Int, width: Int, scale: Int
    let g: ConvGeometry
    let inverseScale: Float
    let path: Int32
    let out: UnsafeMutablePointer<Int8>
    let scratch: UnsafeMutablePointer<Float>
    let threads: Int

    func run(thread: Int) {
        let ow = width * scale
        let stride = quantizerTileStride(ow)
        let own = scratch + 3 * ow + thread * 3 * channels * stride
        let slot0 = own, slot1 = own + channels * stride, tile = own + 2 * channels * stride
        var held = (-1, -1)                    // the source row slot0 and slot1 hold
        func fill(_ slot: UnsafeMutablePointer<Float>, _ y: Int) {
            for c in 0..<channels {
                bilinearRow(input + (c * height + y) * width, width: width, scale: scale, columns: scratch,
                            into: slot + c * stride)
            }
        }
        let (first, end) = (g.paddedHeight * thread / threads, g.paddedHeight * (thread + 1) / threads)
        for py in first..<end {
            guard let row = ei_i8_quantize_padding(out, Int32(py), Int32(g.inHeight), Int32(ow), Int32(channels),
                                                   Int32(g.paddedWidth), Int32(g.padH), Int32(g.padW), path)
            else { continue }
            let (y0, y1, ly) = bilinearSource(py - g.padH, scale: scale, count: height)
            // Each needed row a slot lacks goes into the slot not holding the other needed row.
            if held.0 != y0 && held.1 != y0 {
                if held.0 == y1 { fill(slot1, y0); held.1 = y0 } else { fill(slot0, y0); held.0 = y0 }
            }
            if held.0 != y1 && held.1 != y1 {
                if held.0 == y0 { fill(slot1, y1); held.1 = y1 } else { fill(slot0, y1); held.0 = y1 }
            }
            let (a, b) = (held.0 == y0 ? slot0 : slot1, held.0 == y1 ? slot0 : slot1)
            ei_i8_quantize_blend_row(a, b, stride, 1 - ly, ly, Int32(channels), Int32(ow), inverseScale, path, tile, row)
        }
    }
}
