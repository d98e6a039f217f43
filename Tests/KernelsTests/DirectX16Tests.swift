import Kernels
import XCTest

/// The row-vectorised direct kernel against the reference: odd sizes and channel counts around its
/// 4-channel blocks and steps of two vectors (16 pixels, 32 with AVX-512; 3-wide kernels on AVX-512
/// first take steps of four, 64 pixels, or in narrower rows 8 channels at a time), strides 1-4
/// (polyphase rows), dilations, paddings, the
/// in-place path (unpadded 1x1 on rows of whole vectors), every activation, 1 and 3 threads.
/// It must also equal the 8-channel direct kernel bit for bit: both add the bias, then each
/// (channel, row, column) tap in that order with one fused multiply-add, and the engine relies on
/// that to choose between them by timing without changing a result (KernelSelection.swift).
final class DirectX16Tests: XCTestCase {
    func testMatchesReferenceAcrossGeometries() {
        var rng = SeededRandom(1616)
        // (in, out, kh, kw, stride, pad, dilation, h, w)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (1, 16, 3, 3, 1, 1, 1, 13, 17),
            (3, 5, 3, 3, 1, 1, 1, 1, 1),
            (7, 9, 3, 3, 2, 1, 1, 15, 11),
            (16, 17, 3, 3, 1, 2, 2, 9, 10),
            (5, 3, 3, 3, 1, 8, 8, 7, 6),
            (9, 1, 1, 1, 1, 0, 1, 5, 7),
            (4, 12, 5, 5, 3, 2, 1, 19, 14),
            (2, 5, 1, 3, 1, 0, 1, 4, 9),
            (8, 6, 7, 7, 2, 3, 1, 16, 23),
            (3, 7, 3, 3, 4, 0, 2, 21, 22),
            (13, 6, 1, 1, 1, 0, 1, 3, 32),       // 1x1 s1: the pointwise kernel, whole blocks
            (130, 9, 1, 1, 1, 0, 1, 7, 9),       // pointwise, 63 pixels: a partial last block
            (5, 4, 1, 1, 1, 0, 1, 1, 1),
            (7, 10, 1, 1, 1, 0, 1, 20, 33),      // pointwise, 660 pixels: groups of 8 blocks, a partial last one
            (6, 8, 3, 1, 1, 0, 1, 6, 32),        // in place (unpadded kw 1, whole-vector rows)
            (6, 11, 1, 1, 2, 0, 1, 5, 33),
            (17, 2, 3, 3, 2, 1, 1, 33, 31),
            (16, 1, 3, 3, 1, 1, 1, 5, 150),      // one output channel: 8-vector steps (64 or 128 px), then 2
            (3, 1, 3, 3, 2, 1, 2, 9, 140),
            (5, 6, 3, 3, 1, 1, 1, 4, 83),        // AVX-512: a step of 4 vectors (64 px), then 2 (a partial one)
            (6, 7, 3, 3, 2, 1, 1, 5, 150),       // the same at stride 2, a 3-channel last block
            (3, 9, 3, 3, 1, 2, 2, 3, 130),       // dilated: two steps of 4 vectors, then a partial step of 2
            (5, 11, 3, 3, 1, 1, 1, 3, 45),       // AVX-512, rows under 64 px: 8 channels x 2 vectors, then 4-channel tails
            (4, 7, 3, 3, 2, 1, 1, 7, 90),        // the same at stride 2, 7 of the 8 channels
            (8, 6, 3, 3, 1, 4, 4, 5, 40),        // dilated, 6 of the 8 channels
        ]
        for (cin, cout, kh, kw, s, p, d, h, w) in cases {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw,
                                 strideH: s, strideW: s, padH: p, padW: p, dilationH: d, dilationW: d,
                                 inHeight: h, inWidth: w)
            let input = rng.floats(cin * h * w), weights = rng.floats(cout * cin * kh * kw), bias = rng.floats(cout)
            let packed = ConvWeightsX16(weights: weights, bias: bias, outChannels: cout, inChannels: cin,
                                        kernelH: kh, kernelW: kw)
            let packedOC8 = ConvWeightsOC8(weights: weights, bias: bias, outChannels: cout, inChannels: cin,
                                           kernelH: kh, kernelW: kw)
            for (act, threads) in [(ActivationFunction.none, 1), (.relu, 3), (.leakyRelu(0.2), 1), (.silu, 3), (.sigmoid, 1)] {
                var expected = [Float](repeating: 0, count: cout * g.outHeight * g.outWidth)
                referenceConv2D(input: input, geometry: g, weights: weights, bias: bias, activation: act, output: &expected)
                var actual = [Float](repeating: .nan, count: expected.count)
                var scratch = [Float](repeating: .nan, count: max(g.directX16ScratchCount(threads: threads), 1))
                let pool = threads > 1 ? ThreadPool(threads: threads) : nil
                conv2DDirectX16(input: input, geometry: g, weights: packed, activation: act, output: &actual,
                                scratch: &scratch, pool: pool)
                let magnitude = max(1, expected.map { abs($0) }.max() ?? 0)
                let label = "in \(cin) out \(cout) k\(kh)x\(kw) s\(s) p\(p) d\(d) \(h)x\(w) \(act) threads \(threads)"
                XCTAssertLessThan(maxAbsDifference(expected, actual) / magnitude, 2e-6, "x16 " + label)
                var oc8 = [Float](repeating: .nan, count: expected.count)
                var oc8Scratch = [Float](repeating: 0, count: max(g.scratchCount, 1))
                conv2DDirectOC8(input: input, geometry: g, weights: packedOC8, activation: act, output: &oc8,
                                scratch: &oc8Scratch, pool: pool)
                XCTAssertTrue(zip(actual, oc8).allSatisfy { $0.bitPattern == $1.bitPattern }, "x16 vs oc8 " + label)
            }
        }
    }
}
