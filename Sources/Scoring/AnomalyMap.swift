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

/// Sets the error to 0 within `border` pixels of each edge of an [height, width] map
/// (docs/model-format.md, Scoring step 5). For cameras whose frame edge is not the part: a
/// network cannot predict what lies past the edge, so good parts err there too.
public func clearBorder(_ error: UnsafeMutablePointer<Float>, height: Int, width: Int, border: Int) {
    guard border > 0 else { return }
    let b = min(border, height, width)
    for y in 0..<height {
        let row = error + y * width
        if y < b || y >= height - b {
            row.update(repeating: 0, count: width)
        } else {
            row.update(repeating: 0, count: b)
            (row + max(b, width - b)).update(repeating: 0, count: width - max(b, width - b))
        }
    }
}

public enum ScoreReduction: Sendable { case max, mean }

/// Reduces the smoothed map to one number. Mean accumulates in Double so large maps do not lose digits.
public func reduce(_ map: UnsafePointer<Float>, count: Int, _ reduction: ScoreReduction) -> Float {
    switch reduction {
    case .max:
        var best = -Float.infinity
        for i in 0..<count where map[i] > best { best = map[i] }
        return best
    case .mean:
        var sum = 0.0
        for i in 0..<count { sum += Double(map[i]) }
        return Float(sum / Double(max(count, 1)))
    }
}
