@testable import Engine
import ModelFile
import XCTest

/// Upsamplings and int8 convolutions that store their int8 reader's input quantised
/// (Plan.quantizedInputs) must change no bit of the output, and only values read by one int8
/// convolution may be stored so.
final class QuantizedInputTests: XCTestCase {
    /// Values in comments. Eligible: u (scale 2, read by one int8 conv, 20 channels: a 16-channel
    /// block and a tail) and w (scale 3). Not: v (also read by an add), z (its reader is float).
    static func model() throws -> LoadedModel {
        var b = ModelBuilder(channels: 1, sizeMultiple: 4)
        let e = b.conv(0, in: 1, out: 6)                                                 // 1, float
        let s = b.conv(e, in: 6, out: 20, stride: 2, dtype: .i8)                         // 2, H/2
        let u = b.node(.upsampleBilinear(scale: 2), [s])                                 // 3, H
        let c = b.conv(u, in: 20, out: 8, stride: 2, dtype: .i8)                         // 4, H/2
        let v = b.node(.upsampleBilinear(scale: 2), [c])                                 // 5, H
        let d = b.conv(v, in: 8, out: 8, pad: 2, dilation: 2, dtype: .i8)               // 6
        let a = b.node(.add, [v, d])                                                     // 7
        let t = b.conv(a, in: 8, out: 5, stride: 2, activation: .silu, dtype: .i8)       // 8, H/2
        let w = b.node(.upsampleBilinear(scale: 3), [t])                                 // 9, 3H/2
        let r = b.conv(w, in: 5, out: 4, stride: 3, dtype: .i8)                          // 10, H/2
        let z = b.node(.upsampleBilinear(scale: 2), [r])                                 // 11, H
        b.conv(z, in: 4, out: 1, activation: .none)                                      // 12, output
        var scales = [Float](repeating: 0, count: b.nodes.count)
        for node in [1, 3, 5, 7, 9] { scales[node] = 2.5 / 127 }
        return try LoadedModel(b.bytes(extra: [(ModelFile.activationScalesKey, MetaValue.f32Array(scales))]))
    }

    /// Int8 convolutions requantising for their reader. Eligible: p (20 channels: a block and a
    /// tail), q (sigmoid, 6 channels: two bytes of q = 0 per pixel; its reader dilates) and o (its
    /// reader is the graph output), and the float e and f where they run direct-x16. Not: r (also
    /// read by an add), s (read by the add), t (read by an upsampling), u (its reader is float), nor
    /// the output.
    static func requantizingModel() throws -> LoadedModel {
        var b = ModelBuilder(channels: 1, sizeMultiple: 4)
        let e = b.conv(0, in: 1, out: 6)                                                 // 1, float
        let p = b.conv(e, in: 6, out: 20, stride: 2, dtype: .i8)                         // 2, H/2
        let q = b.conv(p, in: 20, out: 6, pad: 2, dilation: 2, activation: .sigmoid, dtype: .i8)  // 3
        let r = b.conv(q, in: 6, out: 12, dtype: .i8)                                    // 4
        let s = b.conv(r, in: 12, out: 12, activation: .none, dtype: .i8)                // 5
        let a = b.node(.add, [r, s])                                                     // 6
        let t = b.conv(a, in: 12, out: 8, dtype: .i8)                                    // 7
        let u = b.node(.upsampleBilinear(scale: 2), [t])                                 // 8, H
        let f = b.conv(u, in: 8, out: 8)                                                 // 9, float
        let o = b.conv(f, in: 8, out: 3, activation: .silu, dtype: .i8)                  // 10
        b.conv(o, in: 3, out: 1, activation: .none, dtype: .i8)                          // 11, output
        var scales = [Float](repeating: 0, count: b.nodes.count)
        for node in [1, 2, 3, 4, 6, 9, 10] { scales[node] = 1.5 / 127 }
        return try LoadedModel(b.bytes(extra: [(ModelFile.activationScalesKey, MetaValue.f32Array(scales))]))
    }

    func testQuantisingInProducersChangesNoBit() throws {
        try assertFusionChangesNoBit(try Self.model(), int8Convolutions: 5)
        try assertFusionChangesNoBit(try Self.requantizingModel(), int8Convolutions: 7)
    }

    private func assertFusionChangesNoBit(_ loaded: LoadedModel, int8Convolutions: Int) throws {
        for threads in [1, 2] {
            // Float kernels forced: two engines that each measured could pick different ones.
            let fused = Engine(model: loaded.model, threads: threads, policy: .force(.directX16))
            let separate = Engine(model: loaded.model, threads: threads, policy: .force(.directX16))
            separate.quantizeInProducers = false
            XCTAssertEqual(fused.int8Convolutions.count, int8Convolutions)
            XCTAssertFalse(try fused.quantizedInputSteps(height: 16, width: 16).isEmpty)
            try assertSameBits(fused, separate, "threads \(threads)")
            XCTAssertTrue(try separate.quantizedInputSteps(height: 16, width: 16).isEmpty)
        }
    }

    func testWhichInputsAreQuantisedByTheirProducer() throws {
        let loaded = try Self.model()
        let requantizing = try Self.requantizingModel()
        // Steps are values - 1. The readers of u and w are values 4 and 10; that of the float e, which
        // quantises its rows when it runs direct-x16, value 2 (not with direct-oc8).
        XCTAssertEqual(try Engine(model: loaded.model, policy: .force(.directX16)).quantizedInputSteps(height: 16, width: 16),
                       [1, 3, 9])
        XCTAssertEqual(try Engine(model: loaded.model, policy: .force(.direct)).quantizedInputSteps(height: 16, width: 16),
                       [3, 9])
        // The readers of e, p, q, f and o are values 2, 3, 4, 10 and 11.
        XCTAssertEqual(try Engine(model: requantizing.model, policy: .force(.directX16))
                           .quantizedInputSteps(height: 16, width: 16), [1, 2, 3, 9, 10])
        XCTAssertEqual(try Engine(model: requantizing.model, policy: .force(.direct))
                           .quantizedInputSteps(height: 16, width: 16), [2, 3, 10])
        XCTAssertTrue(try Engine(model: loaded.model, int8: false).quantizedInputSteps(height: 16, width: 16).isEmpty)
        XCTAssertTrue(try Engine(model: loaded.model, kernels: .reference).quantizedInputSteps(height: 16, width: 16).isEmpty)
    }
}
