import Engine
import Foundation
import ModelFile
import XCTest

final class EngineTests: XCTestCase {
    func allOpsModel(channels: Int = 1, dtype: DType = .f32) -> ModelBuilder {
        ModelBuilder.allOps(channels: channels, dtype: dtype)
    }

    func run(_ engine: Engine, _ input: [Float], _ h: Int, _ w: Int) throws -> [Float] {
        var out = [Float](repeating: .nan, count: input.count)
        try engine.reconstruct(input, height: h, width: w, into: &out)
        return out
    }

    func testSIMDEngineMatchesReferenceEngineOnEveryOpAndOddSizes() throws {
        for (channels, dtype) in [(1, DType.f32), (3, .f16), (1, .i8)] {
            let loaded = try LoadedModel(allOpsModel(channels: channels, dtype: dtype).bytes())
            let reference = Engine(model: loaded.model, kernels: .reference)
            // Each policy, so every kernel runs whichever one the measurement would pick here.
            for policy in [ConvKernelPolicy.measure, .force(.direct), .force(.directX16), .force(.winograd)] {
                let fast = Engine(model: loaded.model, threads: 2, policy: policy)
                var b = ModelBuilder()
                for (h, w) in [(1, 1), (5, 7), (16, 16), (13, 30), (9, 4)] {
                    let input = b.random(channels * h * w, scale: 2)
                    let expected = try run(reference, input, h, w)
                    let actual = try run(fast, input, h, w)
                    let diff = zip(expected, actual).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
                    XCTAssertLessThan(diff, 1e-5, "\(channels) ch \(dtype) \(h)x\(w) \(policy)")
                    XCTAssertFalse(actual.contains { $0.isNaN }, "every output pixel written")
                }
            }
        }
    }

    /// The kernel choice is recorded per layer: forced kernels show where they apply (elsewhere the
    /// general direct kernel runs), and only 3x3 stride-1 undilated layers can run Winograd.
    func testKernelChoiceIsReportedPerLayer() throws {
        let loaded = try LoadedModel(allOpsModel().bytes())
        // Convs: e1 (3x3 s1), e2, e3 (stride 2), d1 (dilated), c1, g (1x1), last (3x3 s1).
        let w = ConvKernel.winograd, x = ConvKernel.directX16, d = ConvKernel.direct
        for (policy, expected) in [(ConvKernelPolicy.force(.winograd), [w, d, d, d, d, d, w]),
                                   (.force(.directX16), [x, x, x, x, x, x, x]), (.force(.direct), [d, d, d, d, d, d, d])] {
            let reports = try Engine(model: loaded.model, policy: policy).layerReports(height: 16, width: 16)
            XCTAssertEqual(reports.compactMap { $0.kernel }, expected, "\(policy)")
            XCTAssertEqual(reports.filter { $0.kernel == nil }.count, reports.count - 7)
        }
        let measured = try Engine(model: loaded.model).layerReports(height: 16, width: 16).compactMap { $0.kernel }
        XCTAssertEqual(measured.count, 7)
        for (i, kernel) in measured.enumerated() where ![0, 6].contains(i) {
            XCTAssertNotEqual(kernel, .winograd, "layer \(i) cannot run Winograd")
        }
    }

    /// A 3x3 conv on an input padded to the multiple: the engine's result equals a conv computed on a
    /// hand-padded image, cropped. Replicate and zero padding give different borders.
    func testPaddingToTheSizeMultipleThenCropping() throws {
        for mode in ["replicate", "zero"] {
            var b = ModelBuilder(sizeMultiple: 8, padMode: mode)
            b.conv(0, in: 1, out: 1, activation: .none, bias: false)
            let loaded = try LoadedModel(b.bytes())
            guard case .conv2d(let conv) = loaded.model.nodes[0].op else { return XCTFail() }
            let weights = loaded.model.floats(ofTensor: conv.weight)
            let (h, w) = (5, 6)
            let input = (0..<(h * w)).map { Float($0) / 10 }
            // Hand-padded 8x8 image.
            func padded(_ y: Int, _ x: Int) -> Float {
                if y >= h || x >= w {
                    return mode == "zero" ? 0 : input[min(y, h - 1) * w + min(x, w - 1)]
                }
                return input[y * w + x]
            }
            var expected = [Float](repeating: 0, count: h * w)
            for y in 0..<h {
                for x in 0..<w {
                    var sum: Float = 0
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let (yy, xx) = (y + ky - 1, x + kx - 1)
                            if yy >= 0 && xx >= 0 { sum += weights[ky * 3 + kx] * padded(yy, xx) }
                        }
                    }
                    expected[y * w + x] = sum
                }
            }
            let actual = try run(Engine(model: loaded.model), input, h, w)
            for i in 0..<(h * w) { XCTAssertEqual(actual[i], expected[i], accuracy: 1e-5, "\(mode) pixel \(i)") }
        }
    }

    /// Per forced kernel: with `.measure` two engines may pick different kernels, which differ in rounding.
    func testThreadedEngineIsBitIdenticalToSingleThreaded() throws {
        let loaded = try LoadedModel(allOpsModel(channels: 3).bytes())
        var b = ModelBuilder()
        let input = b.random(3 * 37 * 29, scale: 1)
        for kernel in [ConvKernel.direct, .directX16, .winograd] {
            let single = try run(Engine(model: loaded.model, policy: .force(kernel)), input, 37, 29)
            for threads in [2, 3] {
                let engine = Engine(model: loaded.model, threads: threads, policy: .force(kernel))
                XCTAssertEqual(engine.threads, threads)
                XCTAssertEqual(try run(engine, input, 37, 29), single, "threads \(threads) \(kernel)")
            }
        }
    }

    func testRepeatedRunsAndSizeChangesGiveIdenticalResults() throws {
        let loaded = try LoadedModel(allOpsModel().bytes())
        let engine = Engine(model: loaded.model)
        var b = ModelBuilder()
        let a = b.random(11 * 13, scale: 1), c = b.random(20 * 8, scale: 1)
        let first = try run(engine, a, 11, 13)
        _ = try run(engine, c, 20, 8)
        XCTAssertEqual(try run(engine, a, 11, 13), first)
        XCTAssertEqual(try run(engine, a, 11, 13), first)
    }

    func testActivationMemoryIsPlannedWithReuse() throws {
        let loaded = try LoadedModel(allOpsModel().bytes())
        let engine = Engine(model: loaded.model)
        let shapes = try loaded.model.shapes(height: 64, width: 64)
        let sumOfAll = shapes.reduce(0) { $0 + $1.count } * 4
        let planned = try engine.activationBytes(height: 64, width: 64)
        XCTAssertLessThan(planned, sumOfAll, "buffers are shared between values that are not live together")
        XCTAssertGreaterThan(try engine.convolutionMACs(height: 64, width: 64), 0)
    }

    func testRejectsEmptyAndOversizedInputs() throws {
        let loaded = try LoadedModel(allOpsModel().bytes())
        let engine = Engine(model: loaded.model)
        var out: [Float] = [0]
        XCTAssertThrowsError(try engine.reconstruct([0], height: 0, width: 1, into: &out))
        XCTAssertThrowsError(try engine.reconstruct([0], height: 100_000, width: 100_000, into: &out))
    }
}
