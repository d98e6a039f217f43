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
        let path = try modelFile(plain.model, updating: [("score.border", .u32(UInt32(border)))])
        let bordered = try Inspector(modelPath: path, threads: 1)
        XCTAssertEqual(bordered.model.metadata.scoreBorder, border)

        let (h, w) = (37, 50)
        let image = randomImage(channels: plain.model.metadata.inputChannels, height: h, width: w)

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
