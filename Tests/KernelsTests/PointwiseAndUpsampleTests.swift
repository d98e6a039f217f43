import Foundation
import Kernels
import XCTest

final class PointwiseAndUpsampleTests: XCTestCase {
    func testActivationsMatchReferenceIncludingTail() {
        var rng = SeededRandom(3)
        for count in [1, 7, 8, 9, 31, 64] {
            let data = rng.floats(count).map { $0 * 6 }
            for act in [ActivationFunction.none, .relu, .leakyRelu(0.1), .silu, .sigmoid] {
                var expected = data, actual = data
                referenceActivation(&expected, count: count, act)
                activation(&actual, count: count, act)
                XCTAssertEqual(expected, actual, "\(act) count \(count)")
            }
        }
        var v: [Float] = [-2, 0, 3]
        referenceActivation(&v, count: 3, .leakyRelu(0.5))
        XCTAssertEqual(v, [-1, 0, 3])
        var s: [Float] = [0]
        referenceActivation(&s, count: 1, .sigmoid)
        XCTAssertEqual(s[0], 0.5)
    }

    /// The vector exp behind sigmoid and silu, against Double precision over the whole useful range.
    func testSigmoidAndSiluAreAccurateToAFewUlps() {
        let xs = stride(from: -100.0, through: 100.0, by: 0.0137).map { Float($0) } + [-0.0, 0, 1e-8, -1e-8, 88.7, -88.7]
        var s = xs, u = xs
        activation(&s, count: xs.count, .sigmoid)
        activation(&u, count: xs.count, .silu)
        for (i, x) in xs.enumerated() {
            let exact = 1 / (1 + Foundation.exp(-Double(x)))
            XCTAssertEqual(Double(s[i]), exact, accuracy: 4 * Double(Float(exact).ulp) + 1e-30, "sigmoid(\(x))")
            XCTAssertEqual(Double(u[i]), Double(x) * exact, accuracy: 6 * Double(Float(Double(x) * exact).ulp) + 1e-30, "silu(\(x))")
        }
    }

    func testAddAndMix() {
        var rng = SeededRandom(5)
        for count in [3, 8, 19] {
            let a = rng.floats(count), b = rng.floats(count), g = rng.floats(count).map { ($0 + 1) / 2 }
            var e = [Float](repeating: 0, count: count), r = e
            referenceAdd(a, b, into: &e, count: count)
            add(a, b, into: &r, count: count)
            XCTAssertEqual(e, r)
            referenceMix(gate: g, a, b, into: &e, count: count)
            mix(gate: g, a, b, into: &r, count: count)
            XCTAssertLessThan(maxAbsDifference(e, r), 1e-6)
        }
        var out: [Float] = [0, 0]
        mix(gate: [1, 0.25], [10, 10], [2, 2], into: &out, count: 2)
        XCTAssertEqual(out, [10, 4])
    }

    /// The threaded mix splits runs of whole vectors; every split gives the one-thread bits.
    func testMixOnThreadsEqualsOneThread() throws {
        var rng = SeededRandom(6)
        for count in [5, 64 * 16 + 3, 5 * 64 * 16 + 17] {
            let a = rng.floats(count), b = rng.floats(count), g = rng.floats(count).map { ($0 + 1) / 2 }
            var one = [Float](repeating: .nan, count: count)
            mix(gate: g, a, b, into: &one, count: count)
            for threads in [2, 3] {
                var split = [Float](repeating: .nan, count: count)
                mix(gate: g, a, b, into: &split, count: count, pool: try XCTUnwrap(ThreadPool(threads: threads)))
                let first = (0..<count).first { split[$0].bitPattern != one[$0].bitPattern }
                XCTAssertNil(first, "count \(count) threads \(threads): first differing value")
            }
        }
    }

    /// PyTorch: F.interpolate([[1, 2]], scale_factor=2, mode="bilinear", align_corners=False)
    /// gives [1, 1.25, 1.75, 2] along the row.
    func testBilinearReferenceMatchesPyTorchValues() {
        var out = [Float](repeating: 0, count: 2 * 4)
        referenceUpsampleBilinear([1, 2], channels: 1, height: 1, width: 2, scale: 2, into: &out)
        XCTAssertEqual(out, [1, 1.25, 1.75, 2, 1, 1.25, 1.75, 2])
        var nearest = [Float](repeating: 0, count: 4 * 6)
        referenceUpsampleNearest([1, 2, 3, 4, 5, 6], channels: 1, height: 2, width: 3, scale: 2, into: &nearest)
        XCTAssertEqual(Array(nearest[0..<6]), [1, 1, 2, 2, 3, 3])
        XCTAssertEqual(Array(nearest[18..<24]), [4, 4, 5, 5, 6, 6])
    }

    func testUpsamplingMatchesReference() {
        var rng = SeededRandom(9)
        for (c, h, w, s) in [(1, 1, 1, 2), (3, 5, 7, 2), (2, 3, 37, 2), (2, 4, 3, 3), (5, 9, 2, 4)] {
            let input = rng.floats(c * h * w)
            var e = [Float](repeating: 0, count: c * h * s * w * s), r = e
            referenceUpsampleBilinear(input, channels: c, height: h, width: w, scale: s, into: &e)
            for threads in [1, 3] {        // 3 threads: more threads than channels in some cases
                let pool = threads > 1 ? ThreadPool(threads: threads) : nil
                let count = upsampleBilinearScratchCount(height: h, width: w, scale: s, threads: threads)
                var scratch = [Float](repeating: .nan, count: count)
                r = [Float](repeating: .nan, count: e.count)
                upsampleBilinear(input, channels: c, height: h, width: w, scale: s, into: &r, scratch: &scratch, pool: pool)
                XCTAssertLessThan(maxAbsDifference(e, r), 1e-6, "bilinear \(c)x\(h)x\(w) x\(s), \(threads) threads")
            }
            referenceUpsampleNearest(input, channels: c, height: h, width: w, scale: s, into: &e)
            upsampleNearest(input, channels: c, height: h, width: w, scale: s, into: &r)
            XCTAssertEqual(e, r, "nearest \(c)x\(h)x\(w) x\(s)")
        }
    }
}
