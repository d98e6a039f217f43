import Kernels
import XCTest

/// Bilinear upsampling stored quantised for its int8 reader must write exactly the bytes the
/// reader's quantiser makes of the float upsampling: every path, padding and channel tails, scale 2
/// (the doubled-row pass) and 3 (the table pass), on one thread and on more threads than some
/// shapes have rows.
final class UpsampleQuantizedTests: XCTestCase {
    func testBytesEqualQuantisedFloatUpsampling() {
        var rng = SeededRandom(41)
        let pool = ThreadPool(threads: 3)
        // (channels, height, width, scale, reader pad, reader dilation)
        for (channels, h, w, scale, pad, dilation) in [(20, 5, 9, 2, 1, 1), (16, 4, 8, 2, 2, 2), (3, 3, 7, 3, 1, 1),
                                                       (32, 1, 1, 2, 1, 1), (5, 6, 13, 2, 0, 1), (64, 2, 17, 2, 1, 1)] {
            let (oh, ow) = (h * scale, w * scale)
            let g = ConvGeometry(inChannels: channels, outChannels: 4, kernelH: 3, kernelW: 3, padH: pad, padW: pad,
                                 dilationH: dilation, dilationW: dilation, inHeight: oh, inWidth: ow)
            let input = rng.floats(channels * h * w).map { $0 * 4 }
            let inputScale: Float = 3.0 / 127      // some values beyond the clamp
            var upsampled = [Float](repeating: .nan, count: channels * oh * ow)
            var floatScratch = [Float](repeating: 0, count: upsampleBilinearScratchCount(height: h, width: w, scale: scale))
            upsampleBilinear(input, channels: channels, height: h, width: w, scale: scale, into: &upsampled, scratch: &floatScratch)
            let bytes = Int8ConvWeights.scratchBytes(g)
            for path in Int8KernelPath.all.filter(\.isSupported) {
                let expected = Int8Scratch()
                let q = quantizeForInt8(upsampled, geometry: g, inputScale: inputScale, path: path, scratch: expected)
                for threads in [1, 3] {
                    var out = [Int8](repeating: 99, count: bytes)
                    var scratch = [Float](repeating: .nan, count: upsampleBilinearQuantizedScratchCount(
                        channels: channels, width: w, scale: scale, threads: threads))
                    upsampleBilinearQuantized(input, channels: channels, height: h, width: w, scale: scale, reader: g,
                                              inputScale: inputScale, path: path, into: &out, scratch: &scratch,
                                              pool: threads > 1 ? pool : nil)
                    let wrong = withExtendedLifetime(expected) { (0..<bytes).filter { out[$0] != q[$0] }.count }
                    XCTAssertEqual(wrong, 0, "\(path.name) \(channels)x\(h)x\(w) scale \(scale) pad \(pad) threads \(threads)")
                }
            }
        }
    }
}
