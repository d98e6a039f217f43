import CArmv7Kernels
import Kernels
import XCTest

/// The armv7 NEON block kernel (CArmv7Kernels) replaces conv2DDirectOC8's inner block on 32-bit ARM.
/// On this host the same C loop runs on its portable lanes with fmaf, so these tests check its
/// indexing, packed-weight layout and accumulation order; the NEON arithmetic itself runs under
/// qemu-arm in tools/tests/test_cli_parity.py.
final class Armv7ConvBlockTests: XCTestCase {
    /// Packs [out][in][kh][kw] weights as the header documents: [blocks][in][kh][kw][8], zero lanes
    /// past outChannels. Written here from the documentation, not shared with ConvWeightsOC8.
    private func pack(_ weights: [Float], _ g: ConvGeometry) -> [Float] {
        let taps = g.inChannels * g.kernelH * g.kernelW
        var packed = [Float](repeating: 0, count: (g.outChannels + 7) / 8 * taps * 8)
        for o in 0..<g.outChannels {
            for t in 0..<taps { packed[(o / 8 * taps + t) * 8 + o % 8] = weights[o * taps + t] }
        }
        return packed
    }

    private func padded(_ input: [Float], _ g: ConvGeometry) -> [Float] {
        var source = [Float](repeating: 0, count: g.inChannels * g.paddedHeight * g.paddedWidth)
        for c in 0..<g.inChannels {
            for y in 0..<g.inHeight {
                for x in 0..<g.inWidth {
                    source[(c * g.paddedHeight + y + g.padH) * g.paddedWidth + x + g.padW] =
                        input[(c * g.inHeight + y) * g.inWidth + x]
                }
            }
        }
        return source
    }

    func testBlockKernelMatchesTheSwiftKernelBitForBitAndTheReference() {
        var rng = SeededRandom(5)
        // (in, out, kh, kw, stride, pad, dilation, h, w): odd channel counts around the 8-lane block,
        // the strides and dilations the models use, and widths that leave a tail the kernel skips.
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (1, 8, 3, 3, 1, 1, 1, 5, 8),
            (3, 13, 3, 3, 1, 1, 1, 9, 11),
            (7, 9, 3, 3, 2, 1, 1, 15, 13),
            (16, 17, 3, 3, 1, 2, 2, 9, 10),
            (5, 3, 3, 3, 1, 8, 8, 7, 6),
            (9, 1, 1, 1, 1, 0, 1, 5, 7),
            (4, 12, 5, 5, 3, 2, 1, 19, 14),
            (2, 5, 1, 3, 1, 0, 1, 4, 9),
        ]
        for (cin, cout, kh, kw, s, p, d, h, w) in cases {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw,
                                 strideH: s, strideW: s, padH: p, padW: p, dilationH: d, dilationW: d,
                                 inHeight: h, inWidth: w)
            let label = "conv in \(cin) out \(cout) k\(kh)x\(kw) s\(s) p\(p) d\(d) \(h)x\(w)"
            let input = rng.floats(cin * h * w), weights = rng.floats(cout * cin * kh * kw), bias = rng.floats(cout)
            let (oh, ow) = (g.outHeight, g.outWidth)
            var reference = [Float](repeating: 0, count: cout * oh * ow)
            referenceConv2D(input: input, geometry: g, weights: weights, bias: bias, activation: .none, output: &reference)
            var swift = [Float](repeating: .nan, count: reference.count)
            var scratch = [Float](repeating: 0, count: max(g.scratchCount, 1))
            conv2DDirectOC8(input: input, geometry: g,
                            weights: ConvWeightsOC8(weights: weights, bias: bias, outChannels: cout, inChannels: cin,
                                                    kernelH: kh, kernelW: kw),
                            activation: .none, output: &swift, scratch: &scratch)

            let packed = pack(weights, g), source = padded(input, g)
            let taps = cin * kh * kw
            let paddedBias = bias + [Float](repeating: 0, count: (cout + 7) / 8 * 8 - cout)
            let magnitude = max(1, reference.map { abs($0) }.max() ?? 0)
            var checked = 0
            for block in 0..<(cout + 7) / 8 {
                for y in 0..<oh {
                    for x in stride(from: 0, to: ow - ow % 4, by: 4) {
                        var out = [Float](repeating: .nan, count: 32)
                        ei_conv_oc8x4(source, packed, paddedBias, Int32(cin), Int32(kh), Int32(kw),
                                      g.paddedHeight * g.paddedWidth, d * g.paddedWidth, d, s, &out,
                                      originOffset: y * s * g.paddedWidth + x * s,
                                      weightOffset: block * taps * 8, biasOffset: block * 8)
                        for pixel in 0..<4 {
                            for lane in 0..<min(8, cout - block * 8) {
                                let index = ((block * 8 + lane) * oh + y) * ow + x + pixel
                                let got = out[pixel * 8 + lane]
                                XCTAssertEqual(got.bitPattern, swift[index].bitPattern, "\(label) at \(index)")
                                XCTAssertLessThan(abs(got - reference[index]) / magnitude, 2e-6, "\(label) at \(index)")
                                checked += 1
                            }
                        }
                    }
                }
            }
            XCTAssertEqual(checked, cout * oh * (ow - ow % 4), label)
        }
    }
}

/// Calls the C kernel with offsets into Swift arrays, as the Swift hook does with pointers.
private func ei_conv_oc8x4(_ source: [Float], _ packed: [Float], _ bias: [Float], _ channels: Int32,
                           _ kernelH: Int32, _ kernelW: Int32, _ channelStride: Int, _ rowStride: Int,
                           _ tapStride: Int, _ pixelStride: Int, _ out: inout [Float],
                           originOffset: Int, weightOffset: Int, biasOffset: Int) {
    source.withUnsafeBufferPointer { s in
        packed.withUnsafeBufferPointer { w in
            bias.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    CArmv7Kernels.ei_conv_oc8x4(s.baseAddress! + originOffset, w.baseAddress! + weightOffset,
                                                b.baseAddress! + biasOffset, channels, kernelH, kernelW,
                                                channelStride, rowStride, tapStride, pixelStride, o.baseAddress!)
                }
            }
        }
    }
}
