import Foundation
import Imaging
import Inspection
import XCTest

/// `score.border`: the image score ignores the smoothed map within that many pixels of each edge;
/// the reconstruction, the error and the map do not change.
final class ScoreBorderTests: XCTestCase {
    func testBorderOnlyChangesWhichPixelsTheScoreReduces() throws {
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

        let before = try plain.inspect(modelInput: image)
        let (error, map, score) = (Array(before.error), Array(before.map), before.score)
        let got = try bordered.inspect(modelInput: image)
        // Two engines may pick different kernels by timing: equal up to rounding.
        for (a, b) in zip(Array(got.error), error) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let gotMap = Array(got.map)
        for (a, b) in zip(gotMap, map) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let m = bordered.model.metadata
        var inner: [Float] = []
        for y in border..<(h - border) { for x in border..<(w - border) { inner.append(gotMap[y * w + x]) } }
        let reduced = m.scoreReduce == .max ? inner.max()! : inner.reduce(0, +) / Float(inner.count)
        XCTAssertEqual(got.score, reduced / m.scoreScale, accuracy: 1e-6 * max(1, got.score))
        XCTAssertLessThanOrEqual(got.score, score * (1 + 1e-5), "a maximum over fewer pixels")
    }
}
