import Kernels
import XCTest

/// Every int8 kernel path this CPU can run must give the exact int32 sums of a plain loop, and the
/// fused float epilogue must match the float reference within the quantisation error.
final class Int8KernelTests: XCTestCase {
    // (in, out, kh, kw, stride, pad, dilation, h, w): odd sizes, channel counts around the
    // 4-channel chunk and the 16-channel block, every stride/dilation the models use and more.
    static let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
        (1, 16, 3, 3, 1, 1, 1, 13, 17),
        (3, 7, 3, 3, 1, 1, 1, 8, 9),
        (7, 9, 3, 3, 2, 1, 1, 15, 11),
        (16, 17, 3, 3, 1, 2, 2, 9, 10),
        (5, 3, 3, 3, 1, 8, 8, 7, 6),
        (9, 1, 1, 1, 1, 0, 1, 5, 7),
        (12, 33, 5, 5, 3, 2, 1, 19, 14),
        (2, 5, 1, 3, 1, 0, 1, 4, 9),
        (33, 31, 3, 3, 1, 1, 1, 6, 13),
        (64, 32, 1, 1, 1, 0, 1, 3, 5),
        (6, 48, 3, 3, 4, 0, 2, 21, 22),
        (24, 32, 3, 3, 1, 1, 1, 5, 35),
    ]

    var supportedPaths: [Int8KernelPath] { Int8KernelPath.all.filter(\.isSupported) }

    func testBestPathIsSupportedAndPortableAlwaysIs() {
        XCTAssertTrue(Int8KernelPath.best.isSupported)
        XCTAssertTrue(Int8KernelPath(rawValue: 0)!.isSupported)
        XCTAssertEqual(Int8KernelPath(rawValue: 0)!.name, "portable")
        XCTAssertFalse(CPUFeatures.description.isEmpty)
        print("int8 paths on this CPU (\(CPUFeatures.description)): \(supportedPaths.map(\.name)); best \(Int8KernelPath.best.name)")
        #if arch(x86_64)
        XCTAssertTrue(supportedPaths.contains { $0.name == "avx2" }, "the x86 test machines have AVX2")
        #endif
    }

    func testEveryPathGivesExactSumsAcrossGeometries() {
        var rng = SeededRandom(8)
        for (cin, cout, kh, kw, s, p, d, h, w) in Int8KernelTests.cases {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw, strideH: s, strideW: s,
                                 padH: p, padW: p, dilationH: d, dilationW: d, inHeight: h, inWidth: w)
            let q = (0..<(cout * cin * kh * kw)).map { _ in Int8(clamping: Int((rng.next() * 127).rounded())) }
            let x = (0..<(cin * h * w)).map { _ in Int8(clamping: Int((rng.next() * 127).rounded())) }
            checkAllPaths(g, weights: q, input: x, label: "\(cin)->\(cout) k\(kh)x\(kw) s\(s) p\(p) d\(d) \(h)x\(w)")
        }
    }

    /// All values at ±127: the largest 16-bit pair sums of the AVX2 and NEON-fallback paths.
    func testExtremeValuesDoNotSaturate() {
        let g = ConvGeometry(inChannels: 37, outChannels: 19, kernelH: 3, kernelW: 3, padH: 1, padW: 1, inHeight: 6, inWidth: 9)
        let count = 19 * 37 * 9
        for (wv, xv) in [(Int8(127), Int8(127)), (Int8(-127), Int8(127)), (Int8(127), Int8(-127)), (Int8(-127), Int8(-127))] {
            let weights = (0..<count).map { $0 % 5 == 0 ? -wv : wv }
            checkAllPaths(g, weights: weights, input: [Int8](repeating: xv, count: 37 * 54), label: "extremes \(wv) \(xv)")
        }
    }

    /// Threads split the quantiser's padded rows: every byte as on one thread.
    func testQuantizeOnThreadsWritesTheSameBytes() {
        var rng = SeededRandom(77)
        let g = ConvGeometry(inChannels: 6, outChannels: 1, kernelH: 3, kernelW: 3, padH: 2, padW: 1,
                             dilationH: 2, inHeight: 11, inWidth: 13)
        let input = rng.floats(6 * 11 * 13).map { $0 * 40 }
        let bytes = Int8ConvWeights.scratchBytes(g)
        let (one, many) = (Int8Scratch(), Int8Scratch())
        let pool = ThreadPool(threads: 3)
        for path in supportedPaths {
            let a = quantizeForInt8(input, geometry: g, inputScale: 0.5, path: path, scratch: one)
            let b = quantizeForInt8(input, geometry: g, inputScale: 0.5, path: path, scratch: many, pool: pool)
            withExtendedLifetime((one, many)) {
                XCTAssertTrue((0..<bytes).allSatisfy { a[$0] == b[$0] }, path.name)
            }
        }
    }

    /// The quantiser's vector body (4 pixels x 4 channels) and its scalar tail round half to even,
    /// clamp to ±127 (NaN to -127), write padding as q = 0, in the byte encoding of each path.
    func testQuantizeRoundsHalfToEvenClampsAndPads() {
        let values: [Float] = [0.5, 1.5, 2.5, -0.5, -1.5, 126.5, 127.49, 300, -1e9, .nan, .infinity, -.infinity, 3.49]
        let expected: [Int] = [0, 2, 2, 0, -2, 126, 127, 127, -127, -127, 127, -127, 3]
        // 5 channels (a 4-group and a 1-channel group), 9 pixels (two 4-pixel blocks and a tail), pad 1.
        let (channels, width) = (5, 9)
        let g = ConvGeometry(inChannels: channels, outChannels: 1, kernelH: 3, kernelW: 3, padH: 1, padW: 1, inHeight: 1, inWidth: width)
        let input = (0..<(channels * width)).map { values[$0 % values.count] }
        let scratch = Int8Scratch()   // owns the bytes `q` points into
        for path in supportedPaths {
            let q = quantizeForInt8(input, geometry: g, inputScale: 1, path: path, scratch: scratch)
            let cin4 = 8, pw = width + 2
            for y in 0..<3 {
                for x in 0..<pw {
                    for c in 0..<cin4 {
                        let byte = withExtendedLifetime(scratch) { Int(q[(y * pw + x) * cin4 + c]) }
                        let inside = y == 1 && x >= 1 && x <= width && c < channels
                        let want = inside ? expected[(c * width + x - 1) % values.count] : 0
                        XCTAssertEqual((byte - path.inputOffset) & 0xFF, want & 0xFF, "\(path.name) y\(y) x\(x) c\(c)")
                    }
                }
            }
        }
    }

    /// Each path's quantiser (16 channels x 16 or 8 pixels per step on x86, 4 x 4 on ARM) writes the
    /// portable path's bytes, less the path's offset: channel tails (21 = 16 + 4 + 1), pixel tails,
    /// one-pixel rows, wide padding.
    func testQuantizerBytesMatchPortableOnEveryPath() {
        var rng = SeededRandom(31)
        let portable = Int8KernelPath(rawValue: 0)!
        for (channels, h, w, pad) in [(21, 5, 37, 1), (64, 3, 33, 2), (1, 4, 16, 1), (4, 2, 8, 0), (16, 1, 1, 8), (33, 3, 19, 4)] {
            let g = ConvGeometry(inChannels: channels, outChannels: 1, kernelH: 3, kernelW: 3, padH: pad, padW: pad,
                                 inHeight: h, inWidth: w)
            // Integers and halves around the rounding points, beyond the clamp, and NaN.
            let input = (0..<(channels * h * w)).map { i -> Float in i % 97 == 0 ? .nan : (rng.next() * 300).rounded() / 2 }
            let bytes = Int8ConvWeights.scratchBytes(g)
            let (a, b) = (Int8Scratch(), Int8Scratch())
            let expected = quantizeForInt8(input, geometry: g, inputScale: 1, path: portable, scratch: a)
            for path in supportedPaths where path != portable {
                let q = quantizeForInt8(input, geometry: g, inputScale: 1, path: path, scratch: b)
                let mismatches = withExtendedLifetime((a, b)) {
                    (0..<bytes).filter { (Int(q[$0]) - path.inputOffset) & 0xFF != Int(expected[$0]) & 0xFF }.count
                }
                XCTAssertEqual(mismatches, 0, "\(path.name) \(channels) channels \(h)x\(w) pad \(pad)")
            }
        }
    }

    /// Output at strides (a float reader's padded layout): the dense output's bits in the rows and
    /// nothing written around them, for full 16-channel tiles (the AVX-512 transposing store) and tails.
    func testStridedOutputEqualsDense() {
        var rng = SeededRandom(21)
        for (cout, h, w) in [(32, 5, 19), (19, 3, 9)] {
            let g = ConvGeometry(inChannels: 8, outChannels: cout, kernelH: 3, kernelW: 3, padH: 1, padW: 1,
                                 inHeight: h, inWidth: w)
            let q = (0..<(cout * 8 * 9)).map { _ in Int8(clamping: Int((rng.next() * 127).rounded())) }
            let weights = Int8ConvWeights(weights: q, weightScales: [Float](repeating: 0.01, count: cout), bias: rng.floats(cout),
                                          inputScale: 2.0 / 127, outChannels: cout, inChannels: 8, kernelH: 3, kernelW: 3)
            let input = rng.floats(8 * h * w)
            let strides = PlaneStrides(row: w + 5, plane: (h + 3) * (w + 5))
            let scratch = Int8Scratch()
            for path in supportedPaths {
                var dense = [Float](repeating: .nan, count: cout * h * w)
                conv2DInt8(input: input, geometry: g, weights: weights, activation: .leakyRelu(0.1), output: &dense,
                           scratch: scratch, path: path)
                var strided = [Float](repeating: 12345, count: cout * strides.plane)
                conv2DInt8(input: input, geometry: g, weights: weights, activation: .leakyRelu(0.1), output: &strided,
                           outputStrides: strides, scratch: scratch, path: path)
                var inRows: [Float] = []
                for c in 0..<cout {
                    for y in 0..<h { inRows += strided[(c * strides.plane + y * strides.row)...].prefix(w) }
                }
                XCTAssertEqual(inRows.map(\.bitPattern), dense.map(\.bitPattern), "\(path.name) \(cout) channels")
                XCTAssertEqual(strided.filter { $0 == 12345 }.count, cout * (strides.plane - h * w), "\(path.name)")
            }
        }
    }

    func testThreadPoolGivesTheSameSums() throws {
        let pool = try XCTUnwrap(ThreadPool(threads: 3))
        var rng = SeededRandom(5)
        let g = ConvGeometry(inChannels: 10, outChannels: 40, kernelH: 3, kernelW: 3, padH: 1, padW: 1, inHeight: 11, inWidth: 13)
        let q = (0..<(40 * 90)).map { _ in Int8(clamping: Int((rng.next() * 127).rounded())) }
        let x = (0..<(10 * 143)).map { _ in Int8(clamping: Int((rng.next() * 127).rounded())) }
        let single = sums(g, q, x, path: .best, pool: nil)
        XCTAssertEqual(sums(g, q, x, path: .best, pool: pool), single)
    }

    /// The float epilogue: sum · (input scale · weight scale) + bias, then the activation, against the
    /// float reference run on the dequantised weights and the *quantised* input (agrees to float
    /// rounding), and on the original input (agrees within the input's quantisation error). Every
    /// path gives the portable path's floats bit for bit (the AVX-512 one stores full 16-channel
    /// blocks through an in-register transpose).
    func testFloatEpilogueMatchesReference() {
        var rng = SeededRandom(11)
        let activations: [ActivationFunction] = [.none, .relu, .leakyRelu(0.2), .sigmoid, .silu]
        for (index, (cin, cout, kh, kw, s, p, d, h, w)) in Int8KernelTests.cases.enumerated() {
            let g = ConvGeometry(inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw, strideH: s, strideW: s,
                                 padH: p, padW: p, dilationH: d, dilationW: d, inHeight: h, inWidth: w)
            let activation = activations[index % activations.count]
            let taps = cin * kh * kw
            let q = (0..<(cout * taps)).map { _ in Int8(clamping: Int((rng.next() * 127).rounded())) }
            let wScales = (0..<cout).map { _ in 0.001 + 0.01 * abs(rng.next()) }
            let bias = rng.floats(cout)
            let input = rng.floats(cin * h * w).map { $0 * 3 }
            let inputScale: Float = 3.0 / 127
            let weights = Int8ConvWeights(weights: q, weightScales: wScales, bias: bias, inputScale: inputScale,
                                          outChannels: cout, inChannels: cin, kernelH: kh, kernelW: kw)
            let dequantised = (0..<(cout * taps)).map { Float(q[$0]) * wScales[$0 / taps] }
            let quantisedInput = input.map { min(max(($0 / inputScale).rounded(.toNearestOrEven), -127), 127) * inputScale }
            var expected = [Float](repeating: 0, count: cout * g.outHeight * g.outWidth)
            var exact = expected
            referenceConv2D(input: quantisedInput, geometry: g, weights: dequantised, bias: bias, activation: activation, output: &expected)
            referenceConv2D(input: input, geometry: g, weights: dequantised, bias: bias, activation: .none, output: &exact)
            let scratch = Int8Scratch()
            var portable: [Float]? = nil
            for path in supportedPaths {
                var out = [Float](repeating: .nan, count: expected.count)
                conv2DInt8(input: input, geometry: g, weights: weights, activation: activation, output: &out,
                           scratch: scratch, path: path)
                XCTAssertLessThanOrEqual(maxAbsDifference(out, expected), 1e-4, "\(path.name) case \(index)")
                if let portable {
                    XCTAssertEqual(out.map(\.bitPattern), portable.map(\.bitPattern), "\(path.name) case \(index)")
                } else {
                    portable = out      // supportedPaths starts with the portable path
                }
                if activation == .none {
                    // |error| <= (scale / 2) · sum |w| per output channel: each input moved at most half a step.
                    let plane = g.outHeight * g.outWidth
                    for o in 0..<cout {
                        let bound = inputScale / 2 * (0..<taps).reduce(Float(0)) { $0 + abs(dequantised[o * taps + $1]) } + 1e-4
                        for i in 0..<plane {
                            XCTAssertLessThanOrEqual(abs(out[o * plane + i] - exact[o * plane + i]), bound, "\(path.name) case \(index)")
                        }
                    }
                }
            }
        }
    }

    // MARK: helpers

    private func checkAllPaths(_ g: ConvGeometry, weights q: [Int8], input x: [Int8], label: String) {
        let expected = referenceSums(g, q, x)
        XCTAssertGreaterThan(supportedPaths.count, 0)
        for path in supportedPaths {
            XCTAssertEqual(sums(g, q, x, path: path, pool: nil), expected, "\(path.name): \(label)")
        }
    }

    private func sums(_ g: ConvGeometry, _ q: [Int8], _ x: [Int8], path: Int8KernelPath, pool: ThreadPool?) -> [Int32] {
        let weights = Int8ConvWeights(weights: q, weightScales: [Float](repeating: 1, count: g.outChannels), bias: nil,
                                      inputScale: 1, outChannels: g.outChannels, inChannels: g.inChannels,
                                      kernelH: g.kernelH, kernelW: g.kernelW)
        let scratch = Int8Scratch()
        // Scale 1 and integer inputs: quantisation is exact, so the kernels see exactly x.
        let quantized = quantizeForInt8(x.map { Float($0) }, geometry: g, inputScale: 1, path: path, scratch: scratch)
        var out = [Int32](repeating: .min, count: g.outChannels * g.outHeight * g.outWidth)
        withExtendedLifetime(scratch) {
            conv2DInt8Sums(quantized: quantized, geometry: g, weights: weights, sums: &out, path: path, pool: pool)
        }
        return out
    }

    /// The plain definition, over the unpadded planar input.
    private func referenceSums(_ g: ConvGeometry, _ q: [Int8], _ x: [Int8]) -> [Int32] {
        var out = [Int32](repeating: 0, count: g.outChannels * g.outHeight * g.outWidth)
        for o in 0..<g.outChannels {
            for y in 0..<g.outHeight {
                for xo in 0..<g.outWidth {
                    var sum: Int32 = 0
                    for c in 0..<g.inChannels {
                        for ky in 0..<g.kernelH {
                            let iy = y * g.strideH + ky * g.dilationH - g.padH
                            guard iy >= 0 && iy < g.inHeight else { continue }
                            for kx in 0..<g.kernelW {
                                let ix = xo * g.strideW + kx * g.dilationW - g.padW
                                guard ix >= 0 && ix < g.inWidth else { continue }
                                sum += Int32(q[((o * g.inChannels + c) * g.kernelH + ky) * g.kernelW + kx])
                                    * Int32(x[(c * g.inHeight + iy) * g.inWidth + ix])
                            }
                        }
                    }
                    out[(o * g.outHeight + y) * g.outWidth + xo] = sum
                }
            }
        }
        return out
    }
}
