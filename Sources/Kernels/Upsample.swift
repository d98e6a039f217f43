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

/// Floats of scratch `upsampleBilinear` needs: a weight and two source columns per output column
/// (the columns stored as exact small integers), then one channel's horizontally-interpolated rows.
public func upsampleBilinearScratchCount(height: Int, width: Int, scale: Int) -> Int {
    let ow = width * scale
    return 3 * ow + height * ow
}

/// Bilinear, half-pixel centres (PyTorch align_corners=False). Separable: each input row of a channel
/// is interpolated horizontally once, then each output row blends two of those rows.
/// scratch: `upsampleBilinearScratchCount` floats, owned by the caller so a frame allocates nothing.
public func upsampleBilinear(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                             scale: Int, into out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let (oh, ow) = (height * scale, width * scale)
    func source(_ d: Int, _ n: Int) -> (Int, Int, Float) {
        let s = max(0, (Float(d) + 0.5) / Float(scale) - 0.5)
        let i0 = min(Int(s), n - 1)
        return (i0, min(i0 + 1, n - 1), s - Float(i0))
    }
    // Column indices < 2^24 are exact in Float; storing them there keeps the scratch one typed buffer.
    let weight = scratch, column0 = scratch + ow, column1 = scratch + 2 * ow
    let rows = scratch + 3 * ow            // height horizontally-interpolated rows of one channel
    for x in 0..<ow {
        let (x0, x1, lx) = source(x, width)
        column0[x] = Float(x0); column1[x] = Float(x1); weight[x] = lx
    }
    for c in 0..<channels {
        let plane = input + c * height * width
        for y in 0..<height {
            let row = plane + y * width, dst = rows + y * ow
            if scale == 2 {
                doubleRow(row, width: width, into: dst)
                continue
            }
            for x in 0..<ow {
                let (a, b, l) = (row[Int(column0[x])], row[Int(column1[x])], weight[x])
                dst[x] = a * (1 - l) + b * l
            }
        }
        for y in 0..<oh {
            let (y0, y1, ly) = source(y, height)
            let (rowA, rowB) = (rows + y0 * ow, rows + y1 * ow)
            let dst = out + (c * oh + y) * ow
            let (wa, wb) = (1 - ly, ly)
            for x in 0..<ow { dst[x] = rowA[x] * wa + rowB[x] * wb }
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
