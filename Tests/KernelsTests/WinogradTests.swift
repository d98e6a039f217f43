import Kernels
import XCTest

/// Winograd F(4,3) against the Double-accumulating reference: every channel count from 1 to 17
/// (blocks of 4 output channels and the 1-3 left over), sizes below, at and across the 4x4 tile
/// and 16-tile chunk, paddings 0-2, every activation, 1 and 3 threads.
final class WinogradTests: XCTestCase {
    /// F(4,3)'s transforms multiply by up to 8 and divide by 24: its float32 error is a few times the
    /// direct method's. Bound: max abs error <= 1e-5 x (max |reference| + 1), measured about 2e-6.
    static let tolerance: Float = 1e-5

    func check(cin: Int, cout: Int, h: Int, w: Int, pad: Int, activation: ActivationFunction,
               threads: Int, rng: inout SeededRandom, file: StaticString = #filePath, line: UInt = #line) {
        let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: 3, kernelW: 3, padH: pad, padW: pad,
                             inHeight: h, inWidth: w)
        guard g.outHeight >= 1, g.outWidth >= 1 else { return }
        XCTAssertTrue(g.winogradF43Eligible)
        let input = rng.floats(cin * h * w), weights = rng.floats(cout * cin * 9), bias = rng.floats(cout)
        var expected = [Float](repeating: 0, count: cout * g.outHeight * g.outWidth)
        referenceConv2D(input: input, geometry: g, weights: weights, bias: bias, activation: activation, output: &expected)
        let packed = WinogradF43Weights(weights: weights, bias: bias, outChannels: cout, inChannels: cin)
        var actual = [Float](repeating: .nan, count: expected.count)
        var scratch = [Float](repeating: .nan, count: g.winogradF43ScratchCount(threads: threads))
        let pool = threads > 1 ? ThreadPool(threads: threads) : nil
        conv2DWinogradF43(input: input, geometry: g, weights: packed, activation: activation, output: &actual,
                          scratch: &scratch, pool: pool)
        let magnitude = (expected.map { abs($0) }.max() ?? 0) + 1
        XCTAssertLessThan(maxAbsDifference(expected, actual), Self.tolerance * magnitude,
                          "winograd in \(cin) out \(cout) \(h)x\(w) pad \(pad) \(activation) threads \(threads)",
                          file: file, line: line)
    }

    func testMatchesReferenceOverOddSizesAndChannelCounts() {
        var rng = SeededRandom(4343)
        for channels in 1...17 {
            for (h, w) in [(1, 1), (5, 7), (13, 9), (33, 31)] {
                check(cin: channels, cout: 18 - channels, h: h, w: w, pad: 1, activation: .none, threads: 1, rng: &rng)
            }
        }
    }

    func testPaddingsActivationsAndThreads() {
        var rng = SeededRandom(99)
        for pad in 0...2 {
            for activation in [ActivationFunction.none, .relu, .leakyRelu(0.2), .silu, .sigmoid] {
                for threads in [1, 3] {
                    check(cin: 7, cout: 9, h: 13, w: 70, pad: pad, activation: activation, threads: threads, rng: &rng)
                }
            }
        }
    }

    func testModelSizedLayer() {
        var rng = SeededRandom(5)
        check(cin: 64, cout: 32, h: 64, w: 64, pad: 1, activation: .leakyRelu(0.1), threads: 2, rng: &rng)
        check(cin: 16, cout: 1, h: 37, w: 29, pad: 1, activation: .none, threads: 2, rng: &rng)
        // Two chunks of tiles per row even with 16-lane vectors (32 tiles, 128 px a chunk), the second partial.
        check(cin: 5, cout: 6, h: 9, w: 150, pad: 1, activation: .silu, threads: 3, rng: &rng)
    }

    func testEligibility() {
        func geometry(stride: Int = 1, dilation: Int = 1, k: Int = 3) -> ConvGeometry {
            ConvGeometry(inChannels: 1, outChannels: 1, kernelH: k, kernelW: k, strideH: stride, strideW: stride,
                         padH: 1, padW: 1, dilationH: dilation, dilationW: dilation, inHeight: 8, inWidth: 8)
        }
        XCTAssertTrue(geometry().winogradF43Eligible)
        XCTAssertFalse(geometry(stride: 2).winogradF43Eligible)
        XCTAssertFalse(geometry(dilation: 2).winogradF43Eligible)
        XCTAssertFalse(geometry(k: 1).winogradF43Eligible)
    }
}
