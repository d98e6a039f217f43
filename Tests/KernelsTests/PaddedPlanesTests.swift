import Kernels
import XCTest

/// Reading the input in place from a producer-written padded layout (`inputIsPadded`) and storing
/// at strides (`outputStrides`, `outStrides`) must give the dense path's bits. The layout's padding
/// holds NaN before each call, so a kernel that failed to zero it would spread NaN; every float of
/// the strided output outside its data keeps a sentinel, so a store past a row or plane shows.
final class PaddedPlanesTests: XCTestCase {
    static let sentinel: Float = -7777

    /// Dense planes copied into a layout's data region; everything else `fill`.
    func embed(_ dense: [Float], channels: Int, height: Int, width: Int, _ strides: PlaneStrides, origin: Int,
               count: Int, fill: Float) -> [Float] {
        var out = [Float](repeating: fill, count: count)
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width { out[origin + c * strides.plane + y * strides.row + x] = dense[(c * height + y) * width + x] }
            }
        }
        return out
    }

    /// The data region read back as dense planes; asserts that every other float is the sentinel.
    func extract(_ buffer: [Float], channels: Int, height: Int, width: Int, _ strides: PlaneStrides, origin: Int,
                 _ label: String, file: StaticString = #filePath, line: UInt = #line) -> [Float] {
        var dense = [Float](), rest = buffer
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    let i = origin + c * strides.plane + y * strides.row + x
                    dense.append(buffer[i])
                    rest[i] = Self.sentinel
                }
            }
        }
        XCTAssertTrue(rest.allSatisfy { $0 == Self.sentinel }, "\(label): stored outside its rows", file: file, line: line)
        return dense
    }

    /// Output strides wider and taller than the planes, and a data origin inside the buffer.
    func outputStrides(height: Int, width: Int) -> (PlaneStrides, origin: Int, count: Int) {
        let strides = PlaneStrides(row: width + 5, plane: (height + 3) * (width + 5))
        return (strides, 2 * strides.row + 3, strides.plane * 64)
    }

    /// Runs `kernel` on `input` embedded in `layout` (NaN padding), storing at wider strides, and
    /// asserts that it stored `dense` there and nothing else.
    func assertInPlace(_ input: [Float], channels: Int, height: Int, width: Int, layout: PaddedLayout,
                       outChannels: Int, outHeight: Int, outWidth: Int, dense: [Float], _ label: String,
                       kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, PlaneStrides) -> Void) {
        let padded = embed(input, channels: channels, height: height, width: width, layout.strides, origin: layout.origin,
                           count: layout.floats(channels: channels), fill: .nan)
        let (strides, origin, count) = outputStrides(height: outHeight, width: outWidth)
        var strided = [Float](repeating: Self.sentinel, count: count)
        padded.withUnsafeBufferPointer { p in
            strided.withUnsafeMutableBufferPointer { o in kernel(p.baseAddress! + layout.origin, o.baseAddress! + origin, strides) }
        }
        XCTAssertEqual(extract(strided, channels: outChannels, height: outHeight, width: outWidth, strides, origin: origin, label),
                       dense, label)
    }

    func testWinogradReadsPaddedInputAndStoresAtStrides() {
        var rng = SeededRandom(808)
        // Sizes within one chunk of tiles, across two (the second partial), and a 1x1 input; pads 0-2.
        for (cin, cout, h, w, pad, threads) in [(3, 5, 9, 13, 1, 1), (6, 4, 11, 150, 1, 3), (2, 7, 1, 1, 2, 1),
                                                 (5, 6, 17, 40, 0, 2), (4, 9, 6, 70, 2, 3)] {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: 3, kernelW: 3, padH: pad, padW: pad,
                                 inHeight: h, inWidth: w)
            let input = rng.floats(cin * h * w), weights = WinogradF43Weights(weights: rng.floats(cout * cin * 9),
                                                                             bias: rng.floats(cout), outChannels: cout, inChannels: cin)
            let pool = threads > 1 ? ThreadPool(threads: threads) : nil
            var scratch = [Float](repeating: .nan, count: g.winogradF43ScratchCount(threads: threads))
            var dense = [Float](repeating: .nan, count: cout * g.outHeight * g.outWidth)
            conv2DWinogradF43(input: input, geometry: g, weights: weights, activation: .silu, output: &dense,
                              scratch: &scratch, pool: pool)
            assertInPlace(input, channels: cin, height: h, width: w, layout: g.winogradInputLayout, outChannels: cout,
                          outHeight: g.outHeight, outWidth: g.outWidth, dense: dense,
                          "winograd \(cin)->\(cout) \(h)x\(w) pad \(pad) threads \(threads)") { input, output, strides in
                conv2DWinogradF43(input: input, geometry: g, weights: weights, activation: .silu, output: output,
                                  outputStrides: strides, inputIsPadded: true, scratch: &scratch, pool: pool)
            }
        }
    }

    func testDirectX16ReadsPaddedInputAndStoresAtStrides() {
        var rng = SeededRandom(1616)
        // (in, out, k, stride, pad, dilation, h, w, threads): 3x3 with pads and dilations, a
        // one-output-channel layer (8-vector steps), a 5x5, a padded 1x1 (not the pointwise kernel),
        // and strided layers (phase tiles split from the padded rows, in bands of rows: 37 rows
        // at stride 2 make bands and a partial one; a dilated one at stride 3).
        for (cin, cout, k, stride, pad, dilation, h, w, threads) in [
            (3, 5, 3, 1, 1, 1, 9, 13, 1), (6, 4, 3, 1, 4, 4, 11, 70, 3), (16, 1, 3, 1, 1, 1, 5, 150, 2),
            (2, 3, 5, 1, 2, 1, 7, 6, 1), (4, 6, 1, 1, 1, 1, 3, 33, 1), (5, 6, 3, 2, 1, 1, 74, 150, 2),
            (3, 9, 3, 2, 1, 1, 9, 40, 1), (4, 5, 3, 3, 2, 2, 13, 29, 3),
        ] {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: k, kernelW: k, strideH: stride, strideW: stride,
                                 padH: pad, padW: pad, dilationH: dilation, dilationW: dilation, inHeight: h, inWidth: w)
            let input = rng.floats(cin * h * w)
            let weights = ConvWeightsX16(weights: rng.floats(cout * cin * k * k), bias: rng.floats(cout), outChannels: cout,
                                         inChannels: cin, kernelH: k, kernelW: k)
            let pool = threads > 1 ? ThreadPool(threads: threads) : nil
            var scratch = [Float](repeating: .nan, count: max(g.directX16ScratchCount(threads: threads), 1))
            var dense = [Float](repeating: .nan, count: cout * g.outHeight * g.outWidth)
            conv2DDirectX16(input: input, geometry: g, weights: weights, activation: .leakyRelu(0.1), output: &dense,
                            scratch: &scratch, pool: pool)
            guard let layout = g.directX16InputLayout else { return XCTFail("\(g) reads no padded layout") }
            assertInPlace(input, channels: cin, height: h, width: w, layout: layout, outChannels: cout,
                          outHeight: g.outHeight, outWidth: g.outWidth, dense: dense,
                          "direct-x16 \(cin)->\(cout) k\(k) s\(stride) pad \(pad) d\(dilation) \(h)x\(w) threads \(threads)") { input, output, strides in
                conv2DDirectX16(input: input, geometry: g, weights: weights, activation: .leakyRelu(0.1), output: output,
                                outputStrides: strides, inputIsPadded: true, scratch: &scratch, pool: pool)
            }
        }
    }

    func testBilinearUpsamplingStoresAtStrides() {
        var rng = SeededRandom(22)
        for (channels, h, w, scale, threads) in [(3, 5, 7, 2, 1), (4, 9, 33, 2, 3), (2, 3, 4, 3, 2)] {
            let input = rng.floats(channels * h * w)
            var scratch = [Float](repeating: .nan, count: upsampleBilinearScratchCount(height: h, width: w, scale: scale,
                                                                                       threads: threads))
            let pool = threads > 1 ? ThreadPool(threads: threads) : nil
            let (oh, ow) = (h * scale, w * scale)
            var dense = [Float](repeating: .nan, count: channels * oh * ow)
            upsampleBilinear(input, channels: channels, height: h, width: w, scale: scale, into: &dense, scratch: &scratch,
                             pool: pool)
            let (strides, origin, count) = outputStrides(height: oh, width: ow)
            var strided = [Float](repeating: Self.sentinel, count: count)
            strided.withUnsafeMutableBufferPointer { o in
                upsampleBilinear(input, channels: channels, height: h, width: w, scale: scale, into: o.baseAddress! + origin,
                                 outStrides: strides, scratch: &scratch, pool: pool)
            }
            let label = "bilinear x\(scale) \(channels)x\(h)x\(w) threads \(threads)"
            XCTAssertEqual(extract(strided, channels: channels, height: oh, width: ow, strides, origin: origin, label), dense, label)
        }
    }
}
