/// Scalar definitions of the non-convolution ops, beside which the SIMD versions are tested.

public func referenceActivation(_ data: UnsafeMutablePointer<Float>, count: Int, _ activation: ActivationFunction) {
    for i in 0..<count { data[i] = activate(data[i], activation) }
}

public func referenceAdd(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                         into out: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { out[i] = a[i] + b[i] }
}

/// gate * a + (1 - gate) * b, the gated skip connection.
public func referenceMix(gate: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                         into out: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { out[i] = gate[i] * a[i] + (1 - gate[i]) * b[i] }
}

public func referenceUpsampleNearest(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                     scale: Int, into out: UnsafeMutablePointer<Float>) {
    let (oh, ow) = (height * scale, width * scale)
    for c in 0..<channels {
        for y in 0..<oh {
            for x in 0..<ow {
                out[(c * oh + y) * ow + x] = input[(c * height + y / scale) * width + x / scale]
            }
        }
    }
}

/// Bilinear with half-pixel centres (PyTorch align_corners=False): src = (dst + 0.5) / scale - 0.5,
/// clamped below at 0; the upper neighbour is clamped to the last pixel.
public func referenceUpsampleBilinear(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                      scale: Int, into out: UnsafeMutablePointer<Float>) {
    let (oh, ow) = (height * scale, width * scale)
    func source(_ d: Int, _ n: Int) -> (Int, Int, Double) {
        let s = max(0, (Double(d) + 0.5) / Double(scale) - 0.5)
        let i0 = min(Int(s), n - 1)
        return (i0, min(i0 + 1, n - 1), s - Double(i0))
    }
    for c in 0..<channels {
        for y in 0..<oh {
            let (y0, y1, ly) = source(y, height)
            for x in 0..<ow {
                let (x0, x1, lx) = source(x, width)
                func at(_ yy: Int, _ xx: Int) -> Double { Double(input[(c * height + yy) * width + xx]) }
                let top = at(y0, x0) * (1 - lx) + at(y0, x1) * lx
                let bottom = at(y1, x0) * (1 - lx) + at(y1, x1) * lx
                out[(c * oh + y) * ow + x] = Float(top * (1 - ly) + bottom * ly)
            }
        }
    }
}
