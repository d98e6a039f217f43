import Kernels
import XCTest

final class ConvolutionTests: XCTestCase {
    /// A hand-computed case pins the reference itself: 1 input channel 3x3, one 2x2 kernel, pad 1.
    func testReferenceMatchesHandComputedValues() {
        let input: [Float] = [1, 2, 3,
                              4, 5, 6,
                              7, 8, 9]
        let weights: [Float] = [1, 0,
                                0, -1]          // out(y,x) = in(y-1,x-1) - in(y,x)
        let g = ConvGeometry(inChannels: 1, outChannels: 1, kernelH: 2, kernelW: 2, padH: 1, padW: 1,
                             inHeight: 3, inWidth: 3)
        XCTAssertEqual(g.outHeight, 4)
        var out = [Float](repeating: .nan, count: 16)
        referenceConv2D(input: input, geometry: g, weights: weights, bias: [0.5], activation: .none, output: &out)
        let expected: [Float] = [-0.5, -1.5, -2.5, 0.5,
                                 -3.5, -3.5, -3.5, 3.5,
                                 -6.5, -3.5, -3.5, 6.5,
                                 0.5, 7.5, 8.5, 9.5]
        XCTAssertEqual(out, expected)
    }

    func testSIMDKernelMatchesReferenceAcrossGeometries() {
        var rng = SeededRandom(42)
        // (in, out, kh, kw, stride, pad, dilation, h, w): odd sizes, channel counts around the
        // 8-lane block, every stride/dilation the models use and some they do not.
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (1, 16, 3, 3, 1, 1, 1, 13, 17),
            (3, 8, 3, 3, 1, 1, 1, 8, 8),
            (7, 9, 3, 3, 2, 1, 1, 15, 11),
            (16, 17, 3, 3, 1, 2, 2, 9, 10),
            (5, 3, 3, 3, 1, 8, 8, 7, 6),
            (9, 1, 1, 1, 1, 0, 1, 5, 7),
            (4, 12, 5, 5, 3, 2, 1, 19, 14),
            (2, 5, 1, 3, 1, 0, 1, 4, 9),
            (8, 24, 7, 7, 2, 3, 1, 16, 23),
            (3, 7, 3, 3, 4, 0, 2, 21, 22),
        ]
        for (cin, cout, kh, kw, s, p, d, h, w) in cases {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw,
                                 strideH: s, strideW: s, padH: p, padW: p, dilationH: d, dilationW: d,
                                 inHeight: h, inWidth: w)
            let input = rng.floats(cin * h * w)
            let weights = rng.floats(cout * cin * kh * kw)
            let bias = rng.floats(cout)
            for act in [ActivationFunction.none, .relu, .leakyRelu(0.2), .silu, .sigmoid] {
                var expected = [Float](repeating: 0, count: cout * g.outHeight * g.outWidth)
                referenceConv2D(input: input, geometry: g, weights: weights, bias: bias, activation: act, output: &expected)
                var actual = [Float](repeating: .nan, count: expected.count)
                var scratch = [Float](repeating: 0, count: max(g.scratchCount, 1))
                let packed = ConvWeightsOC8(weights: weights, bias: bias, outChannels: cout, inChannels: cin,
                                            kernelH: kh, kernelW: kw)
                conv2DDirectOC8(input: input, geometry: g, weights: packed, activation: act, output: &actual, scratch: &scratch)
                // Float32 accumulation over up to 392 taps vs the Double reference: relative bound.
                let magnitude = max(1, expected.map { abs($0) }.max() ?? 0)
                XCTAssertLessThan(maxAbsDifference(expected, actual) / magnitude, 2e-6,
                                  "conv in \(cin) out \(cout) k\(kh)x\(kw) s\(s) p\(p) d\(d) \(h)x\(w) \(act)")
            }
        }
    }

    func testKernelWithoutBiasLeavesNoGarbage() {
        var rng = SeededRandom(7)
        let g = ConvGeometry(inChannels: 2, outChannels: 3, kernelH: 3, kernelW: 3, padH: 1, padW: 1, inHeight: 6, inWidth: 5)
        let input = rng.floats(2 * 30), weights = rng.floats(3 * 2 * 9)
        var expected = [Float](repeating: 0, count: 3 * 30)
        referenceConv2D(input: input, geometry: g, weights: weights, bias: nil, activation: .none, output: &expected)
        var actual = [Float](repeating: .nan, count: 3 * 30)
        var scratch = [Float](repeating: .nan, count: g.scratchCount)
        let packed = ConvWeightsOC8(weights: weights, bias: nil, outChannels: 3, inChannels: 2, kernelH: 3, kernelW: 3)
        conv2DDirectOC8(input: input, geometry: g, weights: packed, activation: .none, output: &actual, scratch: &scratch)
        XCTAssertLessThan(maxAbsDifference(expected, actual), 1e-5)
    }
}
