import CKernels

/// int8 convolution: quantises the float input once into a zero-padded HWC int8 copy, then runs the
/// chosen micro-kernel per (16-channel block, output row) with int32 accumulation, and the fused
/// epilogue writes act(sum · scale[o] + bias[o]) as planar float, which the next op reads directly,
/// or, for an int8 reader, requantises it into that reader's input (`Int8Requantization`).

/// Growable 64-byte aligned byte buffer, shared by every int8 layer of an engine (they run one
/// after another); it reaches its final size on the first frame and is not reallocated after.
public final class Int8Scratch {
    public private(set) var capacity = 0
    public private(set) var pointer = UnsafeMutablePointer<Int8>.allocate(capacity: 1)

    public init() {}

    public func reserve(_ bytes: Int) -> UnsafeMutablePointer<Int8> {
        if bytes > capacity {
            pointer.deallocate()
            pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Int8.self, capacity: bytes)
            capacity = bytes
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}

extension ActivationFunction {
    var int8Code: (Int32, Float) {
        switch self {
        case .none: return (Int32(EI_ACT_NONE), 0)
        case .relu: return (Int32(EI_ACT_RELU), 0)
        case .leakyRelu(let alpha): return (Int32(EI_ACT_LEAKY_RELU), alpha)
        case .silu: return (Int32(EI_ACT_SILU), 0)
        case .sigmoid: return (Int32(EI_ACT_SIGMOID), 0)
        }
    }
}

/// input: planar float [in, h, w]; output: planar float [out, oh, ow], or rows and planes at
/// `outputStrides` (a float convolution's padded input layout, PaddedPlanes.swift). `path` must be
/// supported.
public func conv2DInt8(input: UnsafePointer<Float>, geometry g: ConvGeometry, weights: Int8ConvWeights,
                       activation: ActivationFunction, output: UnsafeMutablePointer<Float>,
                       outputStrides: PlaneStrides? = nil, scratch: Int8Scratch, path: Int8KernelPath,
                       pool: ThreadPool? = nil) {
    let quantized = quantizeForInt8(input, geometry: g, inputScale: weights.inputScale, path: path, scratch: scratch,
                                    pool: pool)
    conv2DInt8(quantized: quantized, geometry: g, weights: weights, activation: activation, output: output,
               outputStrides: outputStrides, path: path, pool: pool)
}

/// Where an int8 convolution stores its output for an int8 reader (fused requantisation): `bytes`
/// (`Int8ConvWeights.scratchBytes(reader)`) get what `quantizeForInt8` would make of the float
/// output for `reader` at `readerScale`, padding included. The output may be a slice of the
/// reader's input, a concat's, starting at input channel `channel`; a slice that is not the last
/// needs a multiple of 4 channels (the producer writes its channels rounded up to 4).
public struct Int8Requantization {
    public let reader: ConvGeometry
    public let readerScale: Float
    public let bytes: UnsafeMutablePointer<Int8>
    public let channel: Int
    public init(reader: ConvGeometry, readerScale: Float, bytes: UnsafeMutablePointer<Int8>, channel: Int = 0) {
        (self.reader, self.readerScale, self.bytes, self.channel) = (reader, readerScale, bytes, channel)
    }

    /// Traps unless the reader's input channels from `channel` on are the output of `producer`.
    func checkReads(_ producer: ConvGeometry) {
        let end = channel + producer.outChannels
        precondition(channel >= 0 && channel % 4 == 0 && end <= reader.inChannels
                     && (end == reader.inChannels || producer.outChannels % 4 == 0)
                     && reader.inHeight == producer.outHeight && reader.inWidth == producer.outWidth,
                     "the reader's input is not this convolution's output")
    }

    /// Writes the reader's padding (q = 0, all its channels): a few bytes a row, not worth threads.
    func writePadding(path: Int8KernelPath) {
        for py in 0..<reader.paddedHeight {
            _ = ei_i8_quantize_padding(bytes, Int32(py), Int32(reader.inHeight), Int32(reader.inWidth),
                                       Int32(reader.inChannels), Int32(reader.paddedWidth), Int32(reader.padH),
                                       Int32(reader.padW), path.rawValue)
        }
    }

    func c(path: Int8KernelPath) -> ei_i8_requant {
        ei_i8_requant(dst: bytes, padded_w: Int32(reader.paddedWidth), pad_top: Int32(reader.padH),
                      pad_left: Int32(reader.padW), cin4: Int32((reader.inChannels + 3) / 4 * 4),
                      channel: Int32(channel), inv_scale: 1 / readerScale, offset: ei_i8_input_offset(path.rawValue))
    }
}

/// The same on input its producer already quantised (`upsampleBilinearQuantized`, or an int8
/// convolution's `requantized`): the padded HWC bytes `quantizeForInt8` would write for this
/// geometry, scale and path. The output goes to `output` (planar float, or rows and planes at
/// `outputStrides`) and/or, requantised, to the inputs of the int8 readers in `requantized` (in
/// their path: an engine has one); at least one of the two.
public func conv2DInt8(quantized: UnsafePointer<Int8>, geometry g: ConvGeometry, weights: Int8ConvWeights,
                       activation: ActivationFunction, output: UnsafeMutablePointer<Float>? = nil,
                       outputStrides: PlaneStrides? = nil, requantized: [Int8Requantization] = [],
                       path: Int8KernelPath, pool: ThreadPool? = nil) {
    precondition(output != nil || !requantized.isEmpty, "an int8 convolution with nowhere to store")
    for r in requantized {
        r.checkReads(g)
        // A concat's reader gets its padding (every channel) from the producer of its first part.
        if r.channel == 0 { r.writePadding(path: path) }
    }
    withUnsafeTemporaryAllocation(of: ei_i8_requant.self, capacity: requantized.count) { targets in
        for (k, r) in requantized.enumerated() { (targets.baseAddress! + k).initialize(to: r.c(path: path)) }
        runInt8(quantized: quantized, geometry: g, weights: weights, activation: activation, output: output,
                strides: outputStrides, sums: nil, requant: UnsafeBufferPointer(targets), path: path, pool: pool)
    }
}

/// The raw int32 sums of already-quantised input (padded HWC, as `quantizeForInt8` writes it for
/// the same path); for the exactness tests of every path.
public func conv2DInt8Sums(quantized: UnsafePointer<Int8>, geometry g: ConvGeometry, weights: Int8ConvWeights,
                           sums: UnsafeMutablePointer<Int32>, path: Int8KernelPath, pool: ThreadPool? = nil) {
    runInt8(quantized: quantized, geometry: g, weights: weights, activation: .none,
            output: nil, strides: nil, sums: sums, path: path, pool: pool)
}

/// q = clamp(round_half_even(x / inputScale), −127, 127) into the padded HWC layout of CKernels,
/// in the byte encoding `path` reads. The result points into `scratch`: keep it alive while using it.
/// Threads split the rows: on one thread this transposition took most of a full-resolution int8
/// layer's time, and the layers did not get faster with a second thread.
public func quantizeForInt8(_ input: UnsafePointer<Float>, geometry g: ConvGeometry, inputScale: Float,
                            path: Int8KernelPath, scratch: Int8Scratch, pool: ThreadPool? = nil) -> UnsafePointer<Int8> {
    var job = QuantizeJob(input: input, g: g, inverseScale: 1 / inputScale, path: path.rawValue,
                          output: scratch.reserve(Int8ConvWeights.scratchBytes(g)))
    if let pool, pool.size > 1 {
        pool.parallelFor(g.paddedHeight, context: &job) { context, first, end in
            context!.assumingMemoryBound(to: QuantizeJob.self).pointee.rows(first, end)
        }
    } else {
        job.rows(0, g.paddedHeight)
    }
    return UnsafePointer(job.output)
}

private struct QuantizeJob {
    let input: UnsafePointer<Float>
    let g: ConvGeometry
    let inverseScale: Float
    let path: Int32
    let output: UnsafeMutablePointer<Int8>

    func rows(_ first: Int, _ end: Int) {
        ei_i8_quantize_rows(input, Int32(g.inChannels), Int32(g.inHeight), Int32(g.inWidth), inverseScale, path,
                            output, Int32(g.paddedHeight), Int32(g.paddedWidth), Int32(g.padH), Int32(g.padW),
                            Int32(first), Int32(end))
    }
}

private func runInt8(quantized: UnsafePointer<Int8>, geometry g: ConvGeometry, weights: Int8ConvWeights,
                     activation: ActivationFunction, output: UnsafeMutablePointer<Float>?, strides: PlaneStrides?,
                     sums: UnsafeMutablePointer<Int32>?,
                     requant: UnsafeBufferPointer<ei_i8_requant> = UnsafeBufferPointer(start: nil, count: 0),
                     path: Int8KernelPath, pool: ThreadPool?) {
    precondition(weights.outChannels == g.outChannels && weights.inChannels == g.inChannels
                 && weights.kernelH == g.kernelH && weights.kernelW == g.kernelW,
                 "int8 weights do not match the convolution")
    precondition(path.isSupported, "int8 kernel path not supported by this CPU")
    let (code, alpha) = activation.int8Code
    let strides = strides ?? .dense(height: g.outHeight, width: g.outWidth)
    var conv = ei_i8_conv(
        input: quantized, padded_w: Int32(g.paddedWidth), cin4: Int32((g.inChannels + 3) / 4 * 4),
        kernel_h: Int32(g.kernelH), kernel_w: Int32(g.kernelW), stride_h: Int32(g.strideH), stride_w: Int32(g.strideW),
        dilation_h: Int32(g.dilationH), dilation_w: Int32(g.dilationW),
        out_h: Int32(g.outHeight), out_w: Int32(g.outWidth), out_channels: Int32(g.outChannels),
        out_row: Int32(strides.row), out_plane: Int32(strides.plane),
        weights: UnsafePointer(weights.packed), weight_sums: UnsafePointer(weights.sums),
        scale: UnsafePointer(weights.scale.pointer), bias: UnsafePointer(weights.bias.pointer),
        activation: code, alpha: alpha, output: output, requant: requant.baseAddress,
        requant_count: Int32(requant.count), output_i32: sums)
    let raw = path.rawValue
    let perItem = Int(ei_i8_blocks_per_item(raw))
    let groups = (g.outChannels + perItem * Int(EI_I8_BLOCK) - 1) / (perItem * Int(EI_I8_BLOCK))
    let rows = g.outHeight
    // Items are (block group, row) pairs. On one thread group-major, as in the float kernel: each
    // group's weights stay in cache across all rows. On several, row-major, so that each thread
    // takes a band of rows of every group: group-major gave each thread whole groups, so both read
    // the entire input, and where the output is the next layer's int8 input (HWC, 64 channels a
    // cache line) both wrote every line. 512x512, 2 threads: inference 13.07 -> 12.07 ms (calling
    // thread's clock, medians of 4); on one thread row-major was 0.17 ms slower.
    let rowMajor = (pool?.size ?? 1) > 1
    withUnsafePointer(to: &conv) { c in
        var job = Int8RowsJob(conv: c, path: raw, rows: rows, groups: groups, perItem: perItem, rowMajor: rowMajor)
        if let pool, pool.size > 1 {
            // The context form: the closure form boxed its captures, two allocations per layer.
            pool.parallelFor(groups * rows, context: &job) { context, first, end in
                let job = context!.assumingMemoryBound(to: Int8RowsJob.self)
                for item in first..<end { job.pointee.run(item) }
            }
        } else {
            for item in 0..<(groups * rows) { job.run(item) }
        }
    }
}

private struct Int8RowsJob {
    let conv: UnsafePointer<ei_i8_conv>
    let path: Int32
    let rows: Int
    let groups: Int
    let perItem: Int
    let rowMajor: Bool

    func run(_ item: Int) {
        let (group, row) = rowMajor ? (item % groups, item / groups) : (item / rows, item % rows)
        ei_i8_conv_item(conv, path, Int32(group * perItem), Int32(row))
    }
}
