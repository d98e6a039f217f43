import Foundation
import Imaging
import Inspection
import Scoring
import XCTest

/// `score.error_norm = variance`: the error is divided by the model-input image's pixel variance
/// (at least `errorNormVarianceFloor`), and so are the map and the score; the reconstruction is not.
final class ErrorNormTests: XCTestCase {
    func testVarianceDividesErrorMapAndScore() throws {
        let plain = try Inspector(modelPath: AllocationTests.model, threads: 1)
        let path = try modelFile(plain.model, updating: [("score.error_norm", .string("variance"))])
        let normed = try Inspector(modelPath: path, threads: 1)
        XCTAssertEqual(normed.model.metadata.errorNorm, .variance)

        let image = randomImage(channels: plain.model.metadata.inputChannels, height: 29, width: 41)
        let values = image.pixels.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
        XCTAssertGreaterThan(variance, errorNormVarianceFloor)
        let factor = Float(1 / variance)

        let before = try plain.inspect(modelInput: image)
        let (error, map, score) = (Array(before.error), Array(before.map), before.score)
        let got = try normed.inspect(modelInput: image)
        for (a, b) in zip(Array(got.error), error) { XCTAssertEqual(a, b * factor, accuracy: 1e-5 * max(1, b * factor)) }
        for (a, b) in zip(Array(got.map), map) { XCTAssertEqual(a, b * factor, accuracy: 1e-5 * max(1, b * factor)) }
        XCTAssertEqual(got.score, score * factor, accuracy: 1e-5 * score * factor)
    }

    func testAFlatImageIsDividedByTheFloorNotByZero() throws {
        let plain = try Inspector(modelPath: AllocationTests.model, threads: 1)
        let path = try modelFile(plain.model, updating: [("score.error_norm", .string("variance"))])
        let normed = try Inspector(modelPath: path, threads: 1)
        let c = plain.model.metadata.inputChannels
        let flat = Image(width: 24, height: 16, channels: c, pixels: [Float](repeating: 0.5, count: c * 16 * 24))
        let score = try plain.inspect(modelInput: flat).score
        let got = try normed.inspect(modelInput: flat).score
        XCTAssertTrue(got.isFinite)
        XCTAssertEqual(got, score * Float(1 / errorNormVarianceFloor), accuracy: max(1e-4 * got, 1e-6))
    }
}
