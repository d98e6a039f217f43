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

    /// Int8 convolutions with float readers too, which store floats and their int8 readers' inputs
    /// (Plan.sideQuantizedInputs), as the shipped models' gated skips need. Stored for: the readers
    /// of p, q and r (each also read by a concat or a mix), and of the concats k (q and r, 12 + 12
    /// channels) and n (t, 8 channels, then p's 6). Not: the reader of j (its first part, p, has 6
    /// channels, so its rounded-up bytes would cover the next part's), of l (m1 is a mix), nor of v
    /// (an add).
    static func sideStoringModel() throws -> LoadedModel {
        var b = ModelBuilder(channels: 1, sizeMultiple: 4)
        let e = b.conv(0, in: 1, out: 4)                                                 // 1, float
        let p = b.conv(e, in: 4, out: 6, dtype: .i8)                                     // 2
        let q = b.conv(p, in: 6, out: 12, dtype: .i8)                                    // 3
        let r = b.conv(q, in: 12, out: 12, dtype: .i8)                                   // 4
        let s = b.conv(r, in: 12, out: 12, dtype: .i8)                                   // 5
        let k = b.node(.concat, [q, r])                                                  // 6
        let g = b.conv(k, in: 24, out: 12, k: 1, pad: 0, activation: .sigmoid, dtype: .i8)  // 7
        let m1 = b.node(.mix, [g, q, r])                                                 // 8
        let j = b.node(.concat, [p, s])                                                  // 9
        let t = b.conv(j, in: 18, out: 8, dtype: .i8)                                    // 10
        let n = b.node(.concat, [t, p])                                                  // 11
        let u = b.conv(n, in: 14, out: 12, k: 1, pad: 0, dtype: .i8)                     // 12
        let l = b.node(.concat, [m1, u])                                                 // 13
        let w = b.conv(l, in: 24, out: 8, dtype: .i8)                                    // 14
        let v = b.node(.add, [w, t])                                                     // 15
        let x = b.conv(v, in: 8, out: 4, dtype: .i8)                                     // 16
        b.conv(x, in: 4, out: 1, activation: .none)                                      // 17, output
        var scales = [Float](repeating: 0, count: b.nodes.count)
        for node in [1, 2, 3, 4, 6, 9, 11, 13, 15] { scales[node] = 2.0 / 127 }
        return try LoadedModel(b.bytes(extra: [(ModelFile.activationScalesKey, MetaValue.f32Array(scales))]))
    }

    func testQuantisingInProducersChangesNoBit() throws {
        try assertFusionChangesNoBit(try Self.model(), int8Convolutions: 5)
        try assertFusionChangesNoBit(try Self.requantizingModel(), int8Convolutions: 7)
        try assertFusionChangesNoBit(try Self.sideStoringModel(), int8Convolutions: 9)
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
            XCTAssertTrue(try separate.sideQuantizedInputSteps(height: 16, width: 16).isEmpty)
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
        // r has an add as well: its int8 producer stores floats and the input of s (value 5).
        XCTAssertEqual(try Engine(model: requantizing.model).sideQuantizedInputSteps(height: 16, width: 16), [4])
        let sideStoring = try Self.sideStoringModel().model
        // The readers of p, q, r, k and n: values 3, 4, 5, 7 and 12; e, read by p alone, is stored in p's input.
        let forced = Engine(model: sideStoring, policy: .force(.directX16))
        XCTAssertEqual(try forced.sideQuantizedInputSteps(height: 16, width: 16), [2, 3, 4, 6, 11])
        XCTAssertEqual(try forced.quantizedInputSteps(height: 16, width: 16), [1])
        XCTAssertTrue(try Engine(model: loaded.model, int8: false).quantizedInputSteps(height: 16, width: 16).isEmpty)
        XCTAssertTrue(try Engine(model: loaded.model, kernels: .reference).quantizedInputSteps(height: 16, width: 16).isEmpty)
    }
}
