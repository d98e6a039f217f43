@testable import Engine
import ModelFile
import XCTest

/// Gate convolutions that store their mix (Plan.gateFusions) must change no bit: each graph runs
/// with and without the fusion, with the 1x1 kernel that mixes as it stores, with kernels that
/// leave the mix to an in-place pass, with the reference kernels, and on the int8 path.
final class GateFusionTests: XCTestCase {
    /// Values in comments. Fused: m1 (a 1x1 gate), m2 (a 3x3 gate), m6 (its mix is a slice of a
    /// fused concat) and the output mix. Not fused: m3 (its gate is also read by an add), m4 (a
    /// mixed value is made after the gate), m5 (the gate is a sigmoid node, not a convolution).
    static func gateGraph(dtype: DType) -> ModelBuilder {
        var b = ModelBuilder(channels: 1, sizeMultiple: 4)
        let e = b.conv(0, in: 1, out: 6, dtype: dtype)                                         // 1
        let d = b.conv(e, in: 6, out: 6, dtype: dtype)                                         // 2
        let cat = b.node(.concat, [e, d])                                                      // 3
        let g1 = b.conv(cat, in: 12, out: 6, k: 1, pad: 0, activation: .sigmoid, dtype: dtype)  // 4
        let m1 = b.node(.mix, [g1, e, d])                                                      // 5
        let g2 = b.conv(m1, in: 6, out: 6, activation: .sigmoid, dtype: dtype)                 // 6
        let m2 = b.node(.mix, [g2, m1, d])                                                     // 7
        let g3 = b.conv(m2, in: 6, out: 6, k: 1, pad: 0, activation: .sigmoid, dtype: dtype)   // 8
        let m3 = b.node(.mix, [g3, m2, e])                                                     // 9
        let x = b.node(.add, [g3, m3])                                                         // 10
        let g4 = b.conv(x, in: 6, out: 6, k: 1, pad: 0, activation: .sigmoid, dtype: dtype)    // 11
        let late = b.conv(x, in: 6, out: 6, k: 1, pad: 0, activation: .none, dtype: dtype)     // 12
        let m4 = b.node(.mix, [g4, late, x])                                                   // 13
        let s = b.node(.sigmoid, [m4])                                                         // 14
        let m5 = b.node(.mix, [s, m4, x])                                                      // 15
        let g6 = b.conv(m5, in: 6, out: 6, k: 1, pad: 0, activation: .sigmoid, dtype: dtype)   // 16
        let m6 = b.node(.mix, [g6, m5, x])                                                     // 17
        let h = b.conv(m5, in: 6, out: 6, dtype: dtype)                                        // 18
        let cat2 = b.node(.concat, [m6, h])                                                    // 19
        let y = b.conv(cat2, in: 12, out: 1, activation: .none, dtype: dtype)                  // 20
        let y2 = b.conv(cat2, in: 12, out: 1, k: 1, pad: 0, activation: .none, dtype: dtype)   // 21
        let g7 = b.conv(cat2, in: 12, out: 1, k: 1, pad: 0, activation: .sigmoid, dtype: dtype) // 22
        b.node(.mix, [g7, y, y2])                                                              // 23, output
        return b
    }

    /// The int8 file: every convolution runs in int8 (activations about ±2 in this graph).
    static func int8Model() throws -> LoadedModel {
        let b = gateGraph(dtype: .i8)
        let scales = b.nodes.map { node -> Float in if case .conv2d = node.op { return 2.5 / 127 } else { return 0 } }
        return try LoadedModel(b.bytes(extra: [(ModelFile.activationScalesKey, MetaValue.f32Array(scales))]))
    }

    func testFusionChangesNoBit() throws {
        let float = try LoadedModel(Self.gateGraph(dtype: .f32).bytes()), int8 = try Self.int8Model()
        let allOps = try LoadedModel(ModelBuilder.allOps().bytes())
        // Forced kernels: two engines that each measured could pick different ones (other bits).
        let setups: [(LoadedModel, Engine.KernelSet, ConvKernelPolicy)] = [
            (float, .simd, .force(.directX16)), (float, .simd, .force(.winograd)), (float, .simd, .force(.direct)),
            (float, .reference, .measure), (int8, .simd, .force(.direct)), (allOps, .simd, .force(.directX16)),
        ]
        for (loaded, kernels, policy) in setups {
            let fused = Engine(model: loaded.model, kernels: kernels, threads: 2, policy: policy)
            let separate = Engine(model: loaded.model, kernels: kernels, threads: 2, policy: policy)
            separate.fuseGates = false
            try assertSameBits(fused, separate, "\(kernels) \(policy)")
            XCTAssertFalse(try fused.fusedMixSteps(height: 16, width: 16).isEmpty, "some mix is fused")
            XCTAssertTrue(try separate.fusedMixSteps(height: 16, width: 16).isEmpty)
        }
        XCTAssertEqual(Engine(model: int8.model).int8Convolutions.count, 12, "the int8 gates ran in int8")
    }

    func testWhichMixesAreFused() throws {
        let loaded = try LoadedModel(Self.gateGraph(dtype: .f32).bytes())
        let engine = Engine(model: loaded.model)
        // Steps are values - 1: m1 = 5, m2 = 7, m6 = 17, the output mix = 23.
        XCTAssertEqual(try engine.fusedMixSteps(height: 16, width: 16), [4, 6, 16, 22])
        XCTAssertEqual(try engine.fusedConcatSteps(height: 16, width: 16), [2, 18], "both concats, m6 as a slice")
    }

    /// A fused gate has no buffer of its own: the real model's shape plans less memory. Kernels
    /// forced: measured ones can differ between the engines, and their scratch with them (this
    /// failed now and then under load).
    func testFusionPlansLessMemory() throws {
        let loaded = try LoadedModel(ModelBuilder.allOps().bytes())
        let fused = Engine(model: loaded.model, policy: .force(.winograd))
        let separate = Engine(model: loaded.model, policy: .force(.winograd))
        separate.fuseGates = false
        XCTAssertLessThan(try fused.activationBytes(height: 64, width: 64),
                          try separate.activationBytes(height: 64, width: 64))
    }
}
