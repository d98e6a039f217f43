import Scoring
import XCTest

final class ScoringTests: XCTestCase {
    func testGaussianKernelIsNormalisedWithRadiusFourSigma() {
        let blur = GaussianBlur(sigma: 2)
        XCTAssertEqual(blur.radius, 8)
        XCTAssertEqual(blur.weights.reduce(0, +), 1, accuracy: 1e-6)
        XCTAssertEqual(blur.weights.first!, blur.weights.last!)
        XCTAssertGreaterThan(blur.weights[8], blur.weights[7])
        XCTAssertEqual(GaussianBlur(sigma: 0).weights, [1])
    }

    func testBlurKeepsConstantsAndSpreadsAnImpulseAsTheKernel() {
        let (h, w) = (21, 23)
        let blur = GaussianBlur(sigma: 1.5)
        var out = [Float](repeating: 0, count: h * w)
        var temp = [Float](repeating: 0, count: blur.scratchCount(height: h, width: w))
        blur.apply([Float](repeating: 0.3, count: h * w), height: h, width: w, into: &out, temp: &temp)
        XCTAssertTrue(out.allSatisfy { abs($0 - 0.3) < 1e-6 })

        var impulse = [Float](repeating: 0, count: h * w)
        impulse[10 * w + 11] = 1
        blur.apply(impulse, height: h, width: w, into: &out, temp: &temp)
        let r = blur.radius
        for dy in -r...r {
            for dx in -r...r {
                XCTAssertEqual(out[(10 + dy) * w + 11 + dx], blur.weights[dy + r] * blur.weights[dx + r], accuracy: 1e-7)
            }
        }
        XCTAssertEqual(out.reduce(0, +), 1, accuracy: 1e-5)
    }

    /// Replicated borders: a corner impulse keeps all its mass inside the map.
    func testBlurReplicatesBorders() {
        let (h, w) = (9, 9)
        var map = [Float](repeating: 0, count: h * w)
        map[0] = 1
        let blur = GaussianBlur(sigma: 1)
        var out = map, temp = [Float](repeating: 0, count: blur.scratchCount(height: h, width: w))
        blur.apply(map, height: h, width: w, into: &out, temp: &temp)
        // Taps that fall off the top-left edge read pixel 0 itself.
        let edgeMass = blur.weights[0...blur.radius].reduce(0, +)
        XCTAssertEqual(out[0], edgeMass * edgeMass, accuracy: 1e-6)
    }

    /// The vector passes against the plain clamped loop, bit for bit: odd sizes, maps narrower and
    /// shorter than the kernel, widths on and off the 8-pixel tail and the 4-vector blocks (32 pixels,
    /// or 64 with AVX-512).
    func testBlurMatchesThePlainLoopBitForBit() {
        var rng = SystemRandomNumberGenerator()
        for (h, w, sigma) in [(1, 1, Float(2)), (3, 50, 1), (37, 41, 4), (64, 130, 12), (200, 7, 9), (9, 33, 0), (17, 96, 0.7)] {
            let blur = GaussianBlur(sigma: sigma)
            let map = (0..<(h * w)).map { _ in Float.random(in: 0...1, using: &rng) }
            var out = [Float](repeating: .nan, count: h * w)
            var temp = [Float](repeating: .nan, count: blur.scratchCount(height: h, width: w))
            blur.apply(map, height: h, width: w, into: &out, temp: &temp)
            let r = blur.radius, k = blur.weights
            var rows = [Float](repeating: 0, count: h * w), want = rows
            for y in 0..<h {
                for x in 0..<w {
                    var sum: Float = 0
                    for j in 0...(2 * r) { sum += k[j] * map[y * w + min(max(x + j - r, 0), w - 1)] }
                    rows[y * w + x] = sum
                }
            }
            for y in 0..<h {
                for x in 0..<w {
                    var sum: Float = 0
                    for j in 0...(2 * r) { sum += k[j] * rows[min(max(y + j - r, 0), h - 1) * w + x] }
                    want[y * w + x] = sum
                }
            }
            if let i = out.indices.first(where: { out[$0] != want[$0] }) {
                XCTFail("\(h)x\(w) sigma \(sigma): pixel \(i) is \(out[i]), the plain loop gives \(want[i])")
            }
        }
    }

    func testReconstructionErrorIsInPixelUnitsAndAveragedOverChannels() {
        // Two channels, two pixels. recon is normalised: pixel = recon * std + mean.
        let pixels: [Float] = [0.5, 1.0,   0.2, 0.0]
        let recon: [Float] = [0.0, 0.0,   1.0, -1.0]
        var error = [Float](repeating: 0, count: 2)
        reconstructionError(pixels: pixels, reconstruction: recon, channels: 2, count: 2,
                            mean: [0.5, 0.4], std: [0.25, 0.2], into: &error)
        // pixel 0: ch0 (0.5 - 0.5)^2 = 0, ch1 (0.6 - 0.2)^2 = 0.16 -> 0.08
        // pixel 1: ch0 (0.5 - 1.0)^2 = 0.25, ch1 (0.2 - 0.0)^2 = 0.04 -> 0.145
        XCTAssertEqual(error[0], 0.08, accuracy: 1e-6)
        XCTAssertEqual(error[1], 0.145, accuracy: 1e-6)
    }

    func testReductions() {
        let map: [Float] = [0.1, 0.7, 0.3, 0.1]
        XCTAssertEqual(reduce(map, height: 1, width: 4, border: 0, .max), 0.7)
        XCTAssertEqual(reduce(map, height: 2, width: 2, border: 0, .mean), 0.3, accuracy: 1e-7)
    }

    /// The max in 16 lanes against the plain loop: rows on and off the vector width, borders, NaN
    /// anywhere (never taken, as `max` does not take it), the largest value in a lane or in a tail.
    func testMaxReductionMatchesThePlainLoop() {
        var rng = SystemRandomNumberGenerator()
        for (h, w, b) in [(5, 40, 0), (9, 33, 2), (3, 16, 0), (17, 70, 18), (64, 130, 5), (1, 15, 0)] {
            for _ in 0..<20 {
                var map = (0..<(h * w)).map { _ in Float.random(in: 0..<1, using: &rng) }
                for _ in 0..<3 { map[Int.random(in: 0..<(h * w), using: &rng)] = .nan }
                map[Int.random(in: 0..<(h * w), using: &rng)] = 2      // sometimes inside the border
                let e = max(0, min(b, (h - 1) / 2, (w - 1) / 2))
                var want = -Float.infinity
                for y in e..<(h - e) { for x in e..<(w - e) { want = max(want, map[y * w + x]) } }
                XCTAssertEqual(reduce(map, height: h, width: w, border: b, .max).bitPattern, want.bitPattern,
                               "\(h)x\(w) border \(b)")
            }
        }
    }

    /// score.border: the reduction sees only pixels at least `border` from every edge, and the border
    /// shrinks on small maps so that the centre row and column remain.
    func testReductionIgnoresTheBorder() {
        for (h, w, b) in [(7, 9, 2), (5, 11, 3), (4, 4, 2), (3, 8, 5), (6, 6, 0), (1, 1, 3)] {
            let effective = max(0, min(b, (h - 1) / 2, (w - 1) / 2))
            var map = [Float](repeating: 0, count: h * w), inner: [Float] = []
            for y in 0..<h {
                for x in 0..<w {
                    let inside = y >= effective && y < h - effective && x >= effective && x < w - effective
                    map[y * w + x] = inside ? Float(y * w + x) : 1000   // the border holds the largest values
                    if inside { inner.append(map[y * w + x]) }
                }
            }
            XCTAssertEqual(reduce(map, height: h, width: w, border: b, .max), inner.max()!, "\(h)x\(w) border \(b)")
            XCTAssertEqual(reduce(map, height: h, width: w, border: b, .mean), inner.reduce(0, +) / Float(inner.count),
                           accuracy: 1e-4, "\(h)x\(w) border \(b)")
        }
    }
}
