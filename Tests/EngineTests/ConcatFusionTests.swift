@testable import Engine
import ModelFile
import XCTest

/// Concat inputs planned as slices of the concat's buffer (Plan.concatSlices) must change no bit:
/// each graph runs with and without the fusion, on the SIMD and reference kernels.
final class ConcatFusionTests: XCTestCase {
    /// A concat of the graph input and a conv (not fused: the input is written by padding), a fused
    /// concat whose slices are read again after it (their buffer must outlive the concat), a second
    /// concat reusing a slice (not fused: a value lives in one buffer), one with a duplicated input,
    /// and a concat of a fused concat.
    static func awkwardGraph() -> ModelBuilder {
        var b = ModelBuilder(channels: 1, sizeMultiple: 4)
        let a = b.conv(0, in: 1, out: 3)
        let withInput = b.node(.concat, [0, a])                           // 4 ch, not fused
        let p = b.conv(withInput, in: 4, out: 5, activation: .silu)
        let q = b.conv(p, in: 5, out: 2, k: 1, pad: 0)
        let fused = b.node(.concat, [q, p])                               // 7 ch, fused
        let r = b.conv(fused, in: 7, out: 5)
        let late = b.node(.add, [r, p])                                   // reads slice p after the concat
        let reuse = b.node(.concat, [late, q])                            // q is a slice already: copied
        let doubled = b.node(.concat, [late, late])                       // duplicated input: copied
        let s = b.conv(reuse, in: 7, out: 5, k: 1, pad: 0)
        let t = b.conv(doubled, in: 10, out: 3, k: 1, pad: 0)
        let u = b.conv(s, in: 5, out: 3, k: 1, pad: 0)
        let nested = b.node(.concat, [b.node(.concat, [t, u]), q])        // inner fused, outer not
        b.conv(nested, in: 8, out: 1, activation: .none)
        return b
    }

    func testFusionChangesNoBit() throws {
        for builder in [ModelBuilder.allOps(), Self.awkwardGraph()] {
            let loaded = try LoadedModel(builder.bytes())
            // Forced kernels: two engines that each measured could pick different ones (other bits).
            let setups: [(Engine.KernelSet, ConvKernelPolicy)] = [(.simd, .force(.directX16)), (.simd, .force(.winograd)),
                                                                   (.reference, .measure)]
            for (kernels, policy) in setups {
                let fused = Engine(model: loaded.model, kernels: kernels, threads: 2, policy: policy)
                let copied = Engine(model: loaded.model, kernels: kernels, threads: 2, policy: policy)
                copied.fuseConcats = false
                try assertSameBits(fused, copied, "\(kernels)")
                XCTAssertFalse(try fused.fusedConcatSteps(height: 16, width: 16).isEmpty, "some concat is fused")
                XCTAssertTrue(try copied.fusedConcatSteps(height: 16, width: 16).isEmpty)
            }
        }
    }

    func testWhichConcatsAreFused() throws {
        let loaded = try LoadedModel(Self.awkwardGraph().bytes())
        let engine = Engine(model: loaded.model)
        let concats = loaded.model.nodes.indices.filter { if case .concat = loaded.model.nodes[$0].op { return true }; return false }
        // Steps in graph order: [input+a] no, [q, p] yes, [late, q] no, [late, late] no, [t, u] yes, [inner, q] no.
        let fused = try engine.fusedConcatSteps(height: 16, width: 16)
        XCTAssertEqual(fused, [concats[1], concats[4]])
    }
}
