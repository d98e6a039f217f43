import Foundation
import Imaging
import Inspection
import Scoring
import XCTest

/// `score.border`: the error within that many pixels of each edge is cleared before smoothing, so
/// the map and the score both ignore it; the reconstruction does not change.
final class ScoreBorderTests: XCTestCase {
    func testBorderClearsTheErrorBandBeforeSmoothingAndScoring() throws {
        let plain = try Inspector(modelPath: AllocationTests.model, threads: 1)
        let border = 5
        let bytes = try plain.model.serialized(updating: [("score.border", .u32(UInt32(border)))])
        let path = try temporaryDirectory().appendingPathComponent("border.eim").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let bordered = try Inspector(modelPath: path, threads: 1)
        XCTAssertEqual(bordered.model.metadata.scoreBorder, border)

        let (c, h, w) = (plain.model.metadata.inputChannels, 37, 50)
        var rng = SystemRandomNumberGenerator()
        let pixels = (0..<(c * h * w)).map { _ in Float.random(in: 0...1, using: &rng) }
        let image = Image(width: w, height: h, channels: c, pixels: pixels)

        var expected = Array(try plain.inspect(modelInput: image).error)
        let got = try bordered.inspect(modelInput: image)
        expected.withUnsafeMutableBufferPointer { clearBorder($0.baseAddress!, height: h, width: w, border: border) }
        XCTAssertEqual(Array(got.error), expected)
        XCTAssertTrue(expected.contains { $0 > 0 })

        var map = [Float](repeating: 0, count: h * w), temp = map
        GaussianBlur(sigma: bordered.model.metadata.scoreSigma).apply(expected, height: h, width: w, into: &map, temp: &temp)
        XCTAssertEqual(Array(got.map), map)
        let m = bordered.model.metadata
        let reduced = m.scoreReduce == .max ? map.max()! : map.reduce(0, +) / Float(map.count)
        XCTAssertEqual(got.score, reduced / m.scoreScale, accuracy: 1e-6 * max(1, got.score))
    }
}
