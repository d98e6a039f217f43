import Foundation
import Imaging
import Engine
import Inspection
import Scoring
import XCTest

/// `score.map_sigma`: the anomaly map is smoothed with its own sigma; the score still reduces the
/// error smoothed with `score.sigma`, so the decision and the threshold do not change.
final class MapSigmaTests: XCTestCase {
    func testMapSigmaSmoothsTheMapAndLeavesTheScoreAlone() throws {
        let plain = try Inspector(modelPath: AllocationTests.model, threads: 1)
        let mapSigma: Float = 9
        XCTAssertNotEqual(plain.model.metadata.scoreSigma, mapSigma)
        let path = try modelFile(plain.model, updating: [("score.map_sigma", .f32(mapSigma))])
        let wide = try Inspector(modelPath: path, threads: 1)
        XCTAssertEqual(wide.model.metadata.mapSigma, mapSigma)

        let (h, w) = (41, 58)
        let image = randomImage(channels: plain.model.metadata.inputChannels, height: h, width: w)

        let before = try plain.inspect(modelInput: image)
        let (plainMap, plainScore) = (Array(before.map), before.score)
        let got = try wide.inspect(modelInput: image)
        // Two engines may pick different kernels by timing: equal up to rounding.
        XCTAssertEqual(got.score, plainScore, accuracy: 1e-5 * max(1, plainScore))
        let error = Array(got.error)
        let blur = GaussianBlur(sigma: mapSigma)
        var want = [Float](repeating: 0, count: h * w)
        var temp = [Float](repeating: 0, count: blur.scratchCount(height: h, width: w))
        blur.apply(error, height: h, width: w, into: &want, temp: &temp)
        XCTAssertEqual(Array(got.map), want, "the map is the error smoothed with score.map_sigma")
        let gotMap = Array(got.map)
        let widerThanScore = zip(gotMap, plainMap).contains { abs($0 - $1) > 1e-3 * max(abs($1), 1e-9) }
        XCTAssertTrue(widerThanScore, "a different sigma must give a different map")
        // No score.map_threshold in the file: the map's threshold is the score's, in map units, and
        // it follows an overridden threshold.
        let m = wide.model.metadata
        XCTAssertEqual(got.mapThreshold, m.threshold * m.scoreScale)
        let stricter = try Inspector(modelPath: path, threshold: 3 * m.threshold, threads: 1)
        XCTAssertEqual(try stricter.inspect(modelInput: image).mapThreshold, 3 * m.threshold * m.scoreScale,
                       accuracy: 1e-6 * m.threshold * m.scoreScale)
        // The second frame reuses the buffers and gives the same result.
        let again = try wide.inspect(modelInput: image)
        XCTAssertEqual(again.score, got.score)
        XCTAssertEqual(Array(again.map), gotMap)
    }

    /// `mapEveryFrame = false` (the watch loop): the score is the same, and `completeMap()` gives the
    /// map of the last frame, not of an earlier one.
    func testDeferredMapIsTheLastFramesMapOnceCompleted() throws {
        let plain = try Inspector(modelPath: AllocationTests.model, threads: 1)
        let path = try modelFile(plain.model, updating: [("score.map_sigma", .f32(7))])
        let eager = try Inspector(modelPath: path, threads: 1, policy: .force(.direct))
        let deferred = try Inspector(modelPath: path, threads: 1, policy: .force(.direct))
        deferred.mapEveryFrame = false
        let c = plain.model.metadata.inputChannels
        let (first, second) = (randomImage(channels: c, height: 33, width: 45), randomImage(channels: c, height: 33, width: 45))
        _ = try deferred.inspect(modelInput: first)
        deferred.completeMap()
        let earlier = Array(try deferred.inspect(modelInput: first).map)   // left from the completed frame
        let got = try deferred.inspect(modelInput: second)
        XCTAssertEqual(Array(got.map), earlier, "not smoothed until completeMap")
        let want = try eager.inspect(modelInput: second)
        XCTAssertEqual(got.score, want.score)
        deferred.completeMap()
        XCTAssertEqual(Array(got.map), Array(want.map))
    }
}
