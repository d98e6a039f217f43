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

/// Bilinear, half-pixel centres (PyTorch align_corners=False). Separable: each input row of a channel
/// is interpolated horizontally once, then each output row blends two of those rows.
public func upsampleBilinear(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                             scale: Int, into out: UnsafeMutablePointer<Float>) {
    let (oh, ow) = (height * scale, width * scale)
    func source(_ d: Int, _ n: Int) -> (Int, Int, Float) {
        let s = max(0, (Float(d) + 0.5) / Float(scale) - 0.5)
        let i0 = min(Int(s), n - 1)
        return (i0, min(i0 + 1, n - 1), s - Float(i0))
    }
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * ow) { index in
    withUnsafeTemporaryAllocation(of: Float.self, capacity: ow + height * ow) { buffer in
        let weight = buffer.baseAddress!
        let rows = weight + ow                 // height horizontally-interpolated rows of one channel
        for x in 0..<ow {
            let (x0, x1, lx) = source(x, width)
            index[2 * x] = Int32(x0); index[2 * x + 1] = Int32(x1); weight[x] = lx
        }
        for c in 0..<channels {
            let plane = input + c * height * width
            for y in 0..<height {
                let row = plane + y * width, dst = rows + y * ow
                for x in 0..<ow {
                    let (a, b, l) = (row[Int(index[2 * x])], row[Int(index[2 * x + 1])], weight[x])
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
    }
}
