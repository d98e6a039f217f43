import Kernels
import XCTest

/// A convolution that stores its output requantised for an int8 reader must write exactly the
/// bytes the reader's quantiser makes of its float output: every path, every activation (sigmoid
/// makes the channels past out_channels nonzero floats, which must still be q = 0), channel tails
/// (a block of fewer than 16, channels not a multiple of 4), pixel tails (8, 4 and 1-pixel steps),
/// readers with padding and dilation, values beyond the clamp, and on threads.
final class Int8RequantizationTests: XCTestCase {
    func testBytesEqualQuantisedFloatOutput() {
        var rng = SeededRandom(77)
        let pool = ThreadPool(threads: 3)
        let activations: [ActivationFunction] = [.none, .leakyRelu(0.2), .sigmoid, .silu]
        // (in, out, height, width, stride, reader pad, reader dilation)
        for (cin, cout, h, w, stride, pad, dilation) in [(8, 20, 5, 19, 1, 1, 1), (12, 16, 6, 13, 2, 2, 2),
                                                         (4, 6, 3, 7, 1, 0, 1), (16, 35, 4, 29, 1, 4, 4),
                                                         (5, 3, 2, 9, 2, 1, 1)] {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: 3, kernelW: 3, strideH: stride,
                                 strideW: stride, padH: 1, padW: 1, inHeight: h, inWidth: w)
            let reader = ConvGeometry(inChannels: cout, outChannels: 4, kernelH: 3, kernelW: 3, padH: pad, padW: pad,
                                      dilationH: dilation, dilationW: dilation, inHeight: g.outHeight, inWidth: g.outWidth)
            let q = (0..<(cout * cin * 9)).map { _ in Int8(clamping: Int((rng.next() * 127).rounded())) }
            let weights = Int8ConvWeights(weights: q, weightScales: [Float](repeating: 0.01, count: cout),
                                          bias: rng.floats(cout), inputScale: 2.0 / 127, outChannels: cout,
                                          inChannels: cin, kernelH: 3, kernelW: 3)
            let input = rng.floats(cin * h * w).map { $0 * 3 }
            let readerScale: Float = 1.5 / 127       // some outputs beyond the clamp
            let bytes = Int8ConvWeights.scratchBytes(reader)
            for path in Int8KernelPath.all.filter(\.isSupported) {
                let inputScratch = Int8Scratch(), expectedScratch = Int8Scratch()
                let quantized = quantizeForInt8(input, geometry: g, inputScale: weights.inputScale, path: path,
                                                scratch: inputScratch)
                for activation in activations {
                    var floats = [Float](repeating: .nan, count: cout * g.outHeight * g.outWidth)
                    conv2DInt8(quantized: quantized, geometry: g, weights: weights, activation: activation,
                               output: &floats, path: path)
                    let expected = quantizeForInt8(floats, geometry: reader, inputScale: readerScale, path: path,
                                                   scratch: expectedScratch)
                    for threads in [1, 3] {
                        var out = [Int8](repeating: 99, count: bytes)
                        out.withUnsafeMutableBufferPointer { o in
                            conv2DInt8(quantized: quantized, geometry: g, weights: weights, activation: activation,
                                       requantized: [Int8Requantization(reader: reader, readerScale: readerScale,
                                                                        bytes: o.baseAddress!)],
                                       path: path, pool: threads > 1 ? pool : nil)
                        }
                        let wrong = (0..<bytes).filter { out[$0] != expected[$0] }.count
                        XCTAssertEqual(wrong, 0, "\(path.name) \(cin)->\(cout) \(h)x\(w) stride \(stride) pad \(pad) "
                                       + "\(activation) threads \(threads)")
                    }
                }
                withExtendedLifetime((inputScratch, expectedScratch)) {}
            }
        }
    }

    /// A convolution whose output has float readers too stores its floats and, at once, the inputs
    /// of its int8 readers: here its own reader's and a concat's (the output as the slice after 4k
    /// channels of another value, or before them). The floats must not change, each reader gets the
    /// bytes of quantising them, and the concat's other channels stay untouched. The producer of the
    /// concat's first part writes the padding of all its channels.
    func testFloatsAndSeveralReadersAtOnce() {
        var rng = SeededRandom(79)
        let pool = ThreadPool(threads: 3)
        // (in, out, height, width, stride, the other concat part's channels, whether it comes first)
        for (cin, cout, h, w, stride, other, otherFirst) in [(8, 20, 5, 19, 1, 4, true), (12, 32, 6, 13, 2, 16, false),
                                                             (4, 6, 3, 7, 1, 8, true), (16, 36, 4, 29, 1, 12, false)] {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: 3, kernelW: 3, strideH: stride,
                                 strideW: stride, padH: 1, padW: 1, inHeight: h, inWidth: w)
            let own = ConvGeometry(inChannels: cout, outChannels: 4, kernelH: 3, kernelW: 3, padH: 1, padW: 1,
                                   inHeight: g.outHeight, inWidth: g.outWidth)
            // The concat's reader pads (1 px) when the other part comes first: its padding, every
            // channel, is then the other producer's to write, else this one's.
            let concatPad = otherFirst ? 1 : 2
            let concat = ConvGeometry(inChannels: cout + other, outChannels: 4, kernelH: 3, kernelW: 3, padH: concatPad,
                                      padW: concatPad, inHeight: g.outHeight, inWidth: g.outWidth)
            let q = (0..<(cout * cin * 9)).map { _ in Int8(clamping: Int((rng.next() * 127).rounded())) }
            let weights = Int8ConvWeights(weights: q, weightScales: [Float](repeating: 0.01, count: cout),
                                          bias: rng.floats(cout), inputScale: 2.0 / 127, outChannels: cout,
                                          inChannels: cin, kernelH: 3, kernelW: 3)
            let input = rng.floats(cin * h * w).map { $0 * 3 }
            let otherPart = rng.floats(other * g.outHeight * g.outWidth)
            let (ownScale, concatScale): (Float, Float) = (1.5 / 127, 2.5 / 127)
            for path in Int8KernelPath.all.filter(\.isSupported) {
                let scratches = (Int8Scratch(), Int8Scratch(), Int8Scratch())
                let quantized = quantizeForInt8(input, geometry: g, inputScale: weights.inputScale, path: path,
                                                scratch: scratches.0)
                for activation in [ActivationFunction.leakyRelu(0.2), .sigmoid] {
                    var floats = [Float](repeating: .nan, count: cout * g.outHeight * g.outWidth)
                    conv2DInt8(quantized: quantized, geometry: g, weights: weights, activation: activation,
                               output: &floats, path: path)
                    let expectedOwn = quantizeForInt8(floats, geometry: own, inputScale: ownScale, path: path,
                                                      scratch: scratches.1)
                    let parts = otherFirst ? otherPart + floats : floats + otherPart
                    let expectedConcat = quantizeForInt8(parts, geometry: concat, inputScale: concatScale, path: path,
                                                         scratch: scratches.2)
                    // The other part's bytes, as its own producer would have stored them.
                    let concatCin4 = (cout + other + 3) / 4 * 4
                    let concatBytes = (0..<Int8ConvWeights.scratchBytes(concat)).map { i -> Int8 in
                        let (channel, pixel) = (i % concatCin4, i / concatCin4)
                        let (py, px) = (pixel / concat.paddedWidth - concatPad, pixel % concat.paddedWidth - concatPad)
                        let padding = py < 0 || py >= concat.inHeight || px < 0 || px >= concat.inWidth
                        let mine = padding ? !otherFirst
                                           : otherFirst ? channel >= other : channel < (cout + 3) / 4 * 4
                        return mine ? 99 : expectedConcat[i]
                    }
                    for threads in [1, 3] {
                        var out = [Float](repeating: .nan, count: floats.count)
                        var ownBytes = [Int8](repeating: 99, count: Int8ConvWeights.scratchBytes(own))
                        var concatOut = concatBytes
                        ownBytes.withUnsafeMutableBufferPointer { o in
                            concatOut.withUnsafeMutableBufferPointer { cc in
                                conv2DInt8(quantized: quantized, geometry: g, weights: weights, activation: activation,
                                           output: &out, requantized: [
                                               Int8Requantization(reader: own, readerScale: ownScale, bytes: o.baseAddress!),
                                               Int8Requantization(reader: concat, readerScale: concatScale,
                                                                  bytes: cc.baseAddress!, channel: otherFirst ? other : 0)],
                                           path: path, pool: threads > 1 ? pool : nil)
                            }
                        }
                        let label = "\(path.name) \(cin)->\(cout) \(h)x\(w) + \(other) \(activation) threads \(threads)"
                        XCTAssertEqual(out.indices.filter { out[$0].bitPattern != floats[$0].bitPattern }.count, 0, label)
                        withExtendedLifetime(scratches) {
                            XCTAssertEqual((0..<ownBytes.count).filter { ownBytes[$0] != expectedOwn[$0] }.count, 0, label)
                            XCTAssertEqual((0..<concatOut.count).filter { concatOut[$0] != expectedConcat[$0] }.count, 0, label)
                        }
                    }
                }
            }
        }
    }

    /// The same for a float direct-x16 convolution quantising its rows for an int8 reader (the int8
    /// files' float first layer): the bytes of quantising its float output, including rows computed
    /// by `octo` and `quad` steps (AVX-512), a single output channel, strides, a padded input.
    func testFloatDirectX16BytesEqualQuantisedFloatOutput() {
        var rng = SeededRandom(78)
        let pool = ThreadPool(threads: 3)
        // (in, out, height, width, stride, dilation, reader pad, reader dilation)
        for (cin, cout, h, w, stride, dilation, pad, readerDilation) in [(1, 16, 9, 70, 1, 1, 1, 1), (3, 20, 6, 37, 1, 2, 2, 2),
                                                                        (4, 6, 8, 90, 2, 1, 1, 1), (2, 1, 5, 19, 1, 1, 0, 1),
                                                                        (5, 9, 4, 45, 1, 1, 4, 4)] {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: 3, kernelW: 3, strideH: stride,
                                 strideW: stride, padH: dilation, padW: dilation, dilationH: dilation,
                                 dilationW: dilation, inHeight: h, inWidth: w)
            let reader = ConvGeometry(inChannels: cout, outChannels: 4, kernelH: 3, kernelW: 3, padH: pad, padW: pad,
                                      dilationH: readerDilation, dilationW: readerDilation, inHeight: g.outHeight,
                                      inWidth: g.outWidth)
            let weights = ConvWeightsX16(weights: rng.floats(cout * cin * 9), bias: rng.floats(cout), outChannels: cout,
                                         inChannels: cin, kernelH: 3, kernelW: 3)
            let input = rng.floats(cin * h * w).map { $0 * 3 }
            let readerScale: Float = 2.0 / 127
            let bytes = Int8ConvWeights.scratchBytes(reader)
            for activation in [ActivationFunction.none, .leakyRelu(0.2), .silu] {
                var floats = [Float](repeating: .nan, count: cout * g.outHeight * g.outWidth)
                var floatScratch = [Float](repeating: .nan, count: max(g.directX16ScratchCount(threads: 1), 1))
                conv2DDirectX16(input: input, geometry: g, weights: weights, activation: activation, output: &floats,
                                scratch: &floatScratch)
                for path in Int8KernelPath.all.filter(\.isSupported) {
                    let expectedScratch = Int8Scratch()
                    let expected = quantizeForInt8(floats, geometry: reader, inputScale: readerScale, path: path,
                                                   scratch: expectedScratch)
                    for threads in [1, 3] {
                        var out = [Int8](repeating: 99, count: bytes)
                        var scratch = [Float](repeating: .nan, count: conv2DDirectX16QuantizedScratchCount(g, threads: threads))
                        out.withUnsafeMutableBufferPointer { o in
                            conv2DDirectX16Quantized(input: input, geometry: g, weights: weights, activation: activation,
                                                     requantized: Int8Requantization(reader: reader, readerScale: readerScale,
                                                                                     bytes: o.baseAddress!),
                                                     path: path, scratch: &scratch, pool: threads > 1 ? pool : nil)
                        }
                        let wrong = withExtendedLifetime(expectedScratch) { (0..<bytes).filter { out[$0] != expected[$0] }.count }
                        XCTAssertEqual(wrong, 0, "\(path.name) \(cin)->\(cout) \(h)x\(w) stride \(stride) dilation \(dilation) "
                                       + "\(activation) threads \(threads)")
                    }
                }
            }
        }
    }
}
