/// Integer-factor upsampling of planar CHW maps.

public func upsampleNearest(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                            scale: Int, into out: UnsafeMutablePointer<Float>) {
    let ow = width * scale
    for c in 0..<channels {
        for y in 0..<height {
            let src = input + (c * height + y) * width
            let first = out + (c * height * scale + y * scale) * ow
            for x in 0..<width {
                (first + x * scale).update(repeating: src[x], count: scale)
            }
            for r in 1..<scale { copyFloats(to: first + r * ow, from: first, count: ow) }
        }
    }
}

/// Floats of scratch `upsampleBilinear` needs on `threads` threads: a weight and two source columns
/// per output column (the columns stored as exact small integers), then per thread one channel's
/// horizontally-interpolated rows.
public func upsampleBilinearScratchCount(height: Int, width: Int, scale: Int, threads: Int = 1) -> Int {
    let ow = width * scale
    return 3 * ow + max(threads, 1) * height * ow
}

/// Bilinear, half-pixel centres (PyTorch align_corners=False). Separable: each input row of a channel
/// is interpolated horizontally once, then each output row blends two of those rows. Threads split
/// the channels.
/// scratch: `upsampleBilinearScratchCount(threads: pool?.size ?? 1)` floats, owned by the caller so
/// a frame allocates nothing. outStrides: where the output rows go (dense planes by default; a
/// convolution's padded layout when it reads them in place, PaddedPlanes.swift).
public func upsampleBilinear(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                             scale: Int, into out: UnsafeMutablePointer<Float>, outStrides: PlaneStrides? = nil,
                             scratch: UnsafeMutablePointer<Float>, pool: ThreadPool? = nil) {
    let ow = width * scale
    fillBilinearColumns(width: width, scale: scale, into: scratch)
    let threads = pool?.size ?? 1
    var job = BilinearJob(input: input, channels: channels, height: height, width: width, scale: scale, out: out,
                          strides: outStrides ?? .dense(height: height * scale, width: ow), scratch: scratch, threads: threads)
    if let pool, threads > 1 {
        pool.parallelFor(threads, context: &job) { context, first, end in
            let job = context!.assumingMemoryBound(to: BilinearJob.self)
            for thread in first..<end { job.pointee.run(thread: thread) }
        }
    } else {
        job.run(thread: 0)
    }
}

/// The horizontal pass's table in scratch[0 ..< 3 * width * scale]: per output column its weight,
/// then its two source columns. Column indices < 2^24 are exact in Float; storing them there keeps
/// the scratch one typed buffer.
func fillBilinearColumns(width: Int, scale: Int, into scratch: UnsafeMutablePointer<Float>) {
    let ow = width * scale
    for x in 0..<ow {
        let (x0, x1, lx) = bilinearSource(x, scale: scale, count: width)
        scratch[ow + x] = Float(x0); scratch[2 * ow + x] = Float(x1); scratch[x] = lx
    }
}

/// One input row interpolated horizontally into width * scale floats (`columns`: fillBilinearColumns).
@inline(__always)
func bilinearRow(_ row: UnsafePointer<Float>, width: Int, scale: Int, columns: UnsafePointer<Float>,
                 into dst: UnsafeMutablePointer<Float>) {
    if scale == 2 { return doubleRow(row, width: width, into: dst) }
    let ow = width * scale
    let weight = columns, column0 = columns + ow, column1 = columns + 2 * ow
    for x in 0..<ow {
        let (a, b, l) = (row[Int(column0[x])], row[Int(column1[x])], weight[x])
        dst[x] = a * (1 - l) + b * l
    }
}

/// One output row from two horizontally interpolated rows (the vertical pass).
@inline(__always)
func bilinearBlend(_ rowA: UnsafePointer<Float>, _ rowB: UnsafePointer<Float>, weightB ly: Float, count: Int,
                   into dst: UnsafeMutablePointer<Float>) {
    let (wa, wb) = (1 - ly, ly)
    for x in 0..<count { dst[x] = rowA[x] * wa + rowB[x] * wb }
}

/// Source index pair and weight of output coordinate d (clamped at 0 and at the last input).
@inline(__always)
func bilinearSource(_ d: Int, scale: Int, count n: Int) -> (Int, Int, Float) {
    let s = max(0, (Float(d) + 0.5) / Float(scale) - 0.5)
    let i0 = min(Int(s), n - 1)
    return (i0, min(i0 + 1, n - 1), s - Float(i0))
}

private struct BilinearJob {
    let input: UnsafePointer<Float>
    let channels: Int, height: Int, width: Int, scale: Int
    let out: UnsafeMutablePointer<Float>
    let strides: PlaneStrides
    let scratch: UnsafeMutablePointer<Float>
    let threads: Int

    func run(thread: Int) {
        let (oh, ow) = (height * scale, width * scale)
        let rows = scratch + 3 * ow + thread * height * ow    // this thread's interpolated rows
        for c in (channels * thread / threads)..<(channels * (thread + 1) / threads) {
            let plane = input + c * height * width
            for y in 0..<height {
                bilinearRow(plane + y * width, width: width, scale: scale, columns: scratch, into: rows + y * ow)
            }
            for y in 0..<oh {
                let (y0, y1, ly) = bilinearSource(y, scale: scale, count: height)
                bilinearBlend(rows + y0 * ow, rows + y1 * ow, weightB: ly, count: ow,
                              into: out + c * strides.plane + y * strides.row)
            }
        }
    }
}

/// The horizontal pass for scale 2, where every weight is 0.25 or 0.75 and the source columns are
/// x-1, x, x+1: the same products as the general loop, without its per-pixel index lookups, in a
/// loop the compiler vectorises (the general one ran at a quarter of this speed).
@inline(__always)
private func doubleRow(_ row: UnsafePointer<Float>, width: Int, into dst: UnsafeMutablePointer<Float>) {
    let (near, far): (Float, Float) = (0.75, 0.25)
    dst[0] = row[0]
    dst[2 * width - 1] = row[width - 1] * near + row[width - 1] * far
    var x = 1
    while x < width {
        dst[2 * x] = row[x - 1] * far + row[x] * near
        dst[2 * x - 1] = row[x - 1] * near + row[x] * far
        x += 1
    }
}
