/// Per-pixel reconstruction error, averaged over channels, in [0,1] pixel units:
/// e = mean_c ((recon_c * std_c + mean_c) - pixel_c)^2 (docs/model-format.md, Scoring step 4).
/// pixels: [channels, count] in [0,1]; reconstruction: [channels, count] in normalised units.
public func reconstructionError(pixels: UnsafePointer<Float>, reconstruction: UnsafePointer<Float>,
                                channels: Int, count: Int, mean: [Float], std: [Float],
                                into error: UnsafeMutablePointer<Float>) {
    error.update(repeating: 0, count: count)
    let inverse = 1 / Float(channels)
    for c in 0..<channels {
        let (m, s) = (mean[c], std[c])
        let p = pixels + c * count, r = reconstruction + c * count
        for i in 0..<count {
            let d = (r[i] * s + m) - p[i]
            error[i] += d * d
        }
    }
    if channels > 1 { for i in 0..<count { error[i] *= inverse } }
}

/// The smallest variance `score.error_norm = variance` divides by: an almost uniform frame (lens cap,
/// lights off) then scores high instead of infinite. 1e-4 is a standard deviation of 2.55 gray levels.
public let errorNormVarianceFloor = 1e-4

/// Population variance of `count` values (all channels of an image), in Double, two passes. Each
/// pass keeps 8 partial sums, so its additions do not wait on each other (one Double sum of 262 144
/// values was a 0.2 ms chain at 512x512); numpy's pairwise sum, the reference's, is another order
/// again, and all of them agree far below the Float the factor is rounded to.
public func pixelVariance(_ pixels: UnsafePointer<Float>, count: Int) -> Double {
    guard count > 0 else { return 0 }
    @inline(__always) func total(_ term: (Double) -> Double) -> Double {
        var partial = SIMD8<Double>(), i = 0
        while i + 8 <= count {
            for k in 0..<8 { partial[k] += term(Double(pixels[i + k])) }
            i += 8
        }
        var sum = partial.sum()
        while i < count { sum += term(Double(pixels[i])); i += 1 }
        return sum
    }
    let mean = total { $0 } / Double(count)
    return total { ($0 - mean) * ($0 - mean) } / Double(count)
}

/// Divides the error map by the image's variance (floored): `score.error_norm = variance`.
public func normaliseByVariance(_ error: UnsafeMutablePointer<Float>, count: Int, pixels: UnsafePointer<Float>,
                                pixelCount: Int) {
    let factor = Float(1 / max(pixelVariance(pixels, count: pixelCount), errorNormVarianceFloor))
    for i in 0..<count { error[i] *= factor }
}

public enum ScoreReduction: Sendable { case max, mean }

/// Reduces the smoothed [height, width] map to one number, over the pixels at least `border` from
/// every edge (docs/model-format.md, Scoring step 6). The border shrinks so that at least the
/// centre row and column remain. Mean accumulates in Double so large maps do not lose digits.
public func reduce(_ map: UnsafePointer<Float>, height: Int, width: Int, border: Int, _ reduction: ScoreReduction) -> Float {
    let b = max(0, min(border, (height - 1) / 2, (width - 1) / 2))
    switch reduction {
    case .max:
        // 16 running maxima, each lane as `max` keeps one (v >= best ? v : best, so NaN is never
        // taken): one chain of compares and selects was 0.3 ms at 512x512.
        typealias V = SIMD16<Float>
        var lanes = V(repeating: -.infinity), best = -Float.infinity
        for y in b..<(height - b) {
            let row = map + y * width
            var x = b
            while x + V.scalarCount <= width - b {
                let v = UnsafeRawPointer(row + x).loadUnaligned(as: V.self)
                lanes.replace(with: v, where: v .>= lanes)
                x += V.scalarCount
            }
            while x < width - b { best = max(best, row[x]); x += 1 }
        }
        for i in 0..<V.scalarCount { best = max(best, lanes[i]) }
        return best
    case .mean:
        var sum = 0.0
        for y in b..<(height - b) {
            let row = map + y * width
            for x in b..<(width - b) { sum += Double(row[x]) }
        }
        return Float(sum / Double(max((height - 2 * b) * (width - 2 * b), 1)))
    }
}
