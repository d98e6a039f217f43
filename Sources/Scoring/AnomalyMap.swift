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

/// Population variance of `count` values (all channels of an image), in Double, two passes.
public func pixelVariance(_ pixels: UnsafePointer<Float>, count: Int) -> Double {
    guard count > 0 else { return 0 }
    var sum = 0.0
    for i in 0..<count { sum += Double(pixels[i]) }
    let mean = sum / Double(count)
    var squares = 0.0
    for i in 0..<count {
        let d = Double(pixels[i]) - mean
        squares += d * d
    }
    return squares / Double(count)
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
    var best = -Float.infinity, sum = 0.0
    for y in b..<(height - b) {
        let row = map + y * width
        for x in b..<(width - b) {
            best = max(best, row[x])
            sum += Double(row[x])
        }
    }
    switch reduction {
    case .max: return best
    case .mean: return Float(sum / Double(max((height - 2 * b) * (width - 2 * b), 1)))
    }
}
