import XCTest
@testable import ModelFile

/// quant.act_scales: optional, one f32 per node, non-zero only on conv2d nodes with i8 weights.
final class ActivationScalesTests: XCTestCase {
    /// Samples.full(): node 1 is the only conv with i8 weights; node 2 is an upsample, node 0 an f32 conv.
    func withScales(_ scales: [Float]) -> [UInt8] {
        var spec = Samples.full()
        spec.setMeta(ModelFile.activationScalesKey, .f32Array(scales))
        return spec.bytes
    }

    func testAbsentKeyMeansFloatEverywhere() throws {
        let model = try load(Samples.full().bytes)
        XCTAssertNil(model.activationScale(node: 1))
    }

    func testScaleOnAnI8ConvIsAccepted() throws {
        var scales = [Float](repeating: 0, count: 16)
        scales[1] = 0.03
        let model = try load(withScales(scales))
        XCTAssertEqual(model.activationScale(node: 1), 0.03)
        XCTAssertNil(model.activationScale(node: 0))
        let (values, weightScales) = try XCTUnwrap(model.int8Values(ofTensor: 2))
        XCTAssertEqual(values.count, 8 * 4 * 9)
        XCTAssertEqual(weightScales.count, 8)
        XCTAssertNil(model.int8Values(ofTensor: 0), "f32 tensors have no int8 values")
    }

    func testRejectedScales() {
        var scales = [Float](repeating: 0, count: 16)
        var onFloatConv = scales; onFloatConv[0] = 0.1
        var onUpsample = scales; onUpsample[2] = 0.1
        var negative = scales; negative[1] = -0.1
        var infinite = scales; infinite[1] = .infinity
        scales.removeLast()
        let cases: [([Float], ModelFileError.Kind, String)] = [
            (scales, .badMetadata, "quant.act_scales has 15 values but the graph has 16 nodes"),
            (onFloatConv, .badMetadata, "quant.act_scales[0] is 0.1 but the weights of node 0 (conv2d) are f32"),
            (onUpsample, .badMetadata, "quant.act_scales[2] is 0.1 but node 2 is a upsample_nearest"),
            (negative, .badMetadata, "quant.act_scales[1] is -0.1; scales must be > 0"),
            (infinite, .badMetadata, "floats must be finite"),
        ]
        for (values, kind, message) in cases {
            assertRejected(withScales(values), kind, message)
        }
        var spec = Samples.full()
        spec.setMeta(ModelFile.activationScalesKey, .u32Array([0]))
        assertRejected(spec.bytes, .badMetadata, "metadata key 'quant.act_scales' must be a f32 array, found a u32 array")
    }
}
