@testable import Engine
import ModelFile
import XCTest

/// Producers that store into their reader's padded input layout (Plan.paddedInputs) must change no
/// bit: each graph runs with and without it, with the kernels forced (two engines that each
/// measured could pick different kernels, and so other bits), on 1 and 2 threads.
final class PaddedInputTests: XCTestCase {
    /// Values in comments. Eligible, with direct-x16 everywhere: e (read by a dilated conv), d (read
    /// by a stride-2 conv, which splits the padded rows into phases), u (an upsampling read by a 3x3
    /// conv), q (read by the output conv). Not: s (read by an upsampling), w (two readers), x and z (read by an add, by a 1x1 conv), the add's
    /// output (an add stores dense planes), the 1x1 conv's (its kernel stores whole planes).
    /// int8: e and q run in int8 (an int8 epilogue stores into its float reader's layout).
    static func padGraph(int8: Bool = false) -> ModelBuilder {
        var b = ModelBuilder(channels: 1, sizeMultiple: 4)
        let e = b.conv(0, in: 1, out: 6, dtype: int8 ? .i8 : .f32)                      // 1
        let d = b.conv(e, in: 6, out: 6, pad: 2, dilation: 2, activation: .silu)         // 2
        let s = b.conv(d, in: 6, out: 8, stride: 2)                                      // 3
        let u = b.node(.upsampleBilinear(scale: 2), [s])                                 // 4
        let w = b.conv(u, in: 8, out: 6)                                                 // 5
        let x = b.conv(w, in: 6, out: 6, activation: .relu)                              // 6
        let a = b.node(.add, [w, x])                                                     // 7
        let y = b.conv(a, in: 6, out: 4)                                                 // 8
        let z = b.conv(y, in: 4, out: 4, k: 1, pad: 0)                                   // 9
        let q = b.conv(z, in: 4, out: 3, dtype: int8 ? .i8 : .f32)                      // 10
        b.conv(q, in: 3, out: 1, activation: .none)                                      // 11, output
        return b
    }

    static func int8Model() throws -> LoadedModel {
        let b = padGraph(int8: true)
        let scales = b.nodes.indices.map { $0 == 0 || $0 == 9 ? Float(3.0 / 127) : 0 }   // e and q: nodes 0 and 9
        return try LoadedModel(b.bytes(extra: [(ModelFile.activationScalesKey, MetaValue.f32Array(scales))]))
    }

    func testPaddingInPlaceChangesNoBit() throws {
        for loaded in [try LoadedModel(Self.padGraph().bytes()), try LoadedModel(ModelBuilder.allOps().bytes()),
                       try Self.int8Model()] {
            for policy in [ConvKernelPolicy.force(.directX16), .force(.winograd)] {
                for threads in [1, 2] {
                    let inPlace = Engine(model: loaded.model, threads: threads, policy: policy)
                    let copied = Engine(model: loaded.model, threads: threads, policy: policy)
                    copied.padInPlace = false
                    try assertSameBits(inPlace, copied, "\(policy) threads \(threads)")
                    XCTAssertTrue(try copied.paddedInputSteps(height: 16, width: 16).isEmpty)
                    // Wider than one chunk of Winograd tiles (128 px with AVX-512), the second partial.
                    var rng = ModelBuilder()
                    let (h, w) = (12, 150)
                    let input = rng.random(h * w, scale: 2)
                    var first = [Float](repeating: .nan, count: h * w), second = first
                    try inPlace.reconstruct(input, height: h, width: w, into: &first)
                    try copied.reconstruct(input, height: h, width: w, into: &second)
                    XCTAssertTrue(first == second, "\(policy) threads \(threads) \(h)x\(w)")
                }
            }
        }
    }

    func testWhichInputsArePadded() throws {
        let loaded = try LoadedModel(Self.padGraph().bytes())
        // Steps are values - 1: the readers of e, d, u and q are values 2, 3, 5 and 11.
        let x16 = Engine(model: loaded.model, policy: .force(.directX16))
        XCTAssertEqual(try x16.paddedInputSteps(height: 16, width: 16), [1, 2, 4, 10])
        // Winograd cannot run the dilated nor the strided conv (direct-oc8 does, reading dense
        // planes), so neither e nor d is.
        let winograd = Engine(model: loaded.model, policy: .force(.winograd))
        XCTAssertEqual(try winograd.paddedInputSteps(height: 16, width: 16), [4, 10])
        let reference = Engine(model: loaded.model, kernels: .reference)
        XCTAssertEqual(try reference.paddedInputSteps(height: 16, width: 16), [], "the reference reads dense planes")
        // e and q made by int8 convolutions: their epilogues store at the readers' strides.
        let int8 = try Self.int8Model()
        let int8x16 = Engine(model: int8.model, policy: .force(.directX16))
        XCTAssertEqual(int8x16.int8Convolutions.count, 2)
        XCTAssertEqual(try int8x16.paddedInputSteps(height: 16, width: 16), [1, 2, 4, 10])
    }
}
