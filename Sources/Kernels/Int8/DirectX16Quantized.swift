import CKernels

/// A float direct-x16 convolution that stores its output quantised for the int8 convolution reading
/// it (the int8 files' float first layer): each thread computes whole output rows, every channel,
/// into a one-row tile and quantises the tile with the reader's quantiser, so the float output
/// (four bytes a value, 4 MiB at 256x256 for 16 channels) is never stored nor read back. The same
/// floats as `conv2DDirectX16`, the same quantiser, so the bytes `quantizeForInt8` makes of its output.

/// Floats of scratch on `threads` threads: the kernel's own, then one row tile per thread.
public func conv2DDirectX16QuantizedScratchCount(_ g: ConvGeometry, threads: Int = 1) -> Int {
    g.directX16ScratchCount(threads: threads) + max(threads, 1) * g.outChannels * quantizerTileStride(g.outWidth)
}

/// `conv2DDirectX16` (not for 1x1 layers) with its output requantised for `r.reader` in `path`'s
/// encoding. scratch: `conv2DDirectX16QuantizedScratchCount(g, threads: pool?.size ?? 1)` floats.
public func conv2DDirectX16Quantized(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: ConvWeightsX16,
                                     activation: ActivationFunction, requantized r: Int8Requantization,
                                     path: Int8KernelPath, inputIsPadded: Bool = false,
                                     scratch: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil) {
    precondition(weights.geometryChannels == (g.inChannels, g.outChannels, g.kernelH, g.kernelW) && g.directX16Eligible
                 && !g.isPointwise, "packed weights do not match the convolution, or it is 1x1")
    precondition(!inputIsPadded || g.directX16InputLayout != nil, "this convolution reads no padded layout")
    r.checkReads(g)
    precondition(r.channel == 0 && r.reader.inChannels == g.outChannels, "the reader's input is more than this output")
    let stride = quantizerTileStride(g.outWidth)
    let conv = directX16Job(input: input, geometry: g, weights: weights, activation: activation, output: scratch,
                            outputStrides: PlaneStrides(row: 0, plane: stride), inputIsPadded: inputIsPadded,
                            scratch: scratch, pool: pool)
    let threads = pool?.size ?? 1
    var job = QuantizedRowsJob(conv: conv, reader: r.reader, bytes: r.bytes, inverseScale: 1 / r.readerScale,
                               path: path.rawValue, tiles: scratch + g.directX16ScratchCount(threads: threads),
                               tileStride: stride, threads: threads)
    if let pool, threads > 1 {
        pool.parallelFor(threads, context: &job) { context, first, end in
            let job = context!.assumingMemoryBound(to: QuantizedRowsJob.self)
            for thread in first..<end { job.pointee.run(thread: thread) }
        }
    } else {
        job.run(thread: 0)
    }
}

private struct QuantizedRowsJob {
    let conv: DirectConvX16
    let reader: ConvGeometry
    let bytes: UnsafeMutablePointer<Int8>
    let inverseScale: Float
    let path: Int32
    let tiles: UnsafeMutablePointer<Float>
    let tileStride: Int
    let threads: Int

    /// This thread's share of the reader's padded rows: padding written, image rows computed into
    /// the thread's tile (row stride 0, so every output row lands on the tile) and quantised.
    func run(thread: Int) {
        var mine = conv.forThread(thread)
        mine.output = tiles + thread * conv.g.outChannels * tileStride
        let (first, end) = (reader.paddedHeight * thread / threads, reader.paddedHeight * (thread + 1) / threads)
        for py in first..<end {
            guard let row = ei_i8_quantize_padding(bytes, Int32(py), Int32(reader.inHeight), Int32(reader.inWidth),
                                                   Int32(reader.inChannels), Int32(reader.paddedWidth),
                                                   Int32(reader.padH), Int32(reader.padW), path)
            else { continue }
            mine.outputRow(py - reader.padH, end: min(end - reader.padH, conv.g.outHeight))
            ei_i8_quantize_image_row(mine.output, tileStride, Int32(reader.inChannels), Int32(reader.inWidth),
                                     inverseScale, path, row)
        }
    }
}
