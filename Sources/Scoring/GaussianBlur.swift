import CPlatform

/// Separable Gaussian smoothing of a single-channel map: normalised kernel of radius ceil(4 sigma),
/// borders replicated (docs/model-format.md, Scoring step 5). Smoothing turns isolated noisy pixels
/// into low scores while a defect, a coherent region of high error, keeps its peak.
public struct GaussianBlur {
    public let sigma: Float
    public let weights: [Float]          // 2 * radius + 1 taps, summing to 1
    public var radius: Int { weights.count / 2 }

    public init(sigma: Float) {
        self.sigma = sigma
        guard sigma > 0 else { weights = [1]; return }
        let radius = Int((4 * sigma).rounded(.up))
        var w = (-radius...radius).map { Double(expf(-Float($0 * $0) / (2 * sigma * sigma))) }
        let total = w.reduce(0, +)
        for i in w.indices { w[i] /= total }
        weights = w.map { Float($0) }
    }

    /// Smooths `map` (height x width) into `out`; `temp` needs height x width floats.
    public func apply(_ map: UnsafePointer<Float>, height: Int, width: Int,
                      into out: UnsafeMutablePointer<Float>, temp: UnsafeMutablePointer<Float>) {
        let r = radius
        weights.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress! + r        // w[-r...r]
            // Horizontal pass into temp.
            // Interior pixels 8 at a time: the same sums in the same order per pixel, so the result
            // is bit-identical to the scalar loop, which left this pass 8x slower than the vertical one.
            for y in 0..<height {
                let src = map + y * width, dst = temp + y * width
                var x = 0
                while x < width {
                    if x >= r && x + 8 + r <= width {
                        var sum = SIMD8<Float>()
                        for k in -r...r {
                            sum += SIMD8(repeating: w[k]) * UnsafeRawPointer(src + x + k).loadUnaligned(as: SIMD8<Float>.self)
                        }
                        UnsafeMutableRawPointer(dst + x).storeBytes(of: sum, as: SIMD8<Float>.self)
                        x += 8
                        continue
                    }
                    var sum: Float = 0
                    for k in -r...r { sum += w[k] * src[min(max(x + k, 0), width - 1)] }
                    dst[x] = sum
                    x += 1
                }
            }
            // Vertical pass, row-oriented so the inner loop runs along contiguous memory.
            for y in 0..<height {
                let dst = out + y * width
                dst.update(repeating: 0, count: width)
                for k in -r...r {
                    let src = temp + min(max(y + k, 0), height - 1) * width
                    let wk = w[k]
                    for x in 0..<width { dst[x] += wk * src[x] }
                }
            }
        }
    }
}
