import Scoring
import XCTest

final class CalibrationTests: XCTestCase {
    /// Values from numpy: np.quantile(x, q) with the default linear method.
    func testQuantileMatchesNumpyLinear() {
        XCTAssertEqual(Calibration.quantile([3, 1, 4, 1, 5], 0.99), 4.96, accuracy: 1e-6)
        XCTAssertEqual(Calibration.quantile([1, 2, 3, 4], 0.5), 2.5)
        XCTAssertEqual(Calibration.quantile([1, 2, 3, 4], 1), 4)
        XCTAssertEqual(Calibration.quantile([1, 2, 3, 4], 0), 1)
        XCTAssertEqual(Calibration.quantile([7], 0.99), 7)
    }

    func testThresholdIsMarginTimesQuantile() {
        let rule = Calibration(quantile: 0.5, margin: 1.5)
        XCTAssertEqual(rule.threshold(goodScores: [4, 1, 2, 3]), 3.75)
    }

    /// One outlier among five: only the fold that holds it out of training rejects it.
    func testCrossValidatedFalseRejectRate() {
        let rule = Calibration(quantile: 0.99, margin: 1)
        XCTAssertEqual(rule.estimatedFalseRejectRate(goodScores: [1, 1, 1, 1, 10]), 0.2)
        XCTAssertEqual(rule.estimatedFalseRejectRate(goodScores: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map { _ in 2 }), 0)
        XCTAssertTrue(rule.estimatedFalseRejectRate(goodScores: [1]).isNaN)
        XCTAssertEqual(Calibration.rejectedFraction([0.5, 1, 1.5, 2], threshold: 1), 0.5)
    }

    /// The top score counts as alone when it is over 1.5x the next, wherever it sits in the list.
    func testLoneOutlier() {
        let grid = Calibration.loneOutlier([0.3, 3.01, 1.53, 0.25])          // grid's held-out images, roughly
        XCTAssertEqual(grid?.index, 1)
        XCTAssertEqual(grid?.ratio ?? 0, 3.01 / 1.53, accuracy: 1e-6)
        XCTAssertNil(Calibration.loneOutlier([0.3, 1.2, 1.0, 0.25]))
        XCTAssertNil(Calibration.loneOutlier([2, 2, 1]), "two equal tops: neither is alone")
        XCTAssertEqual(Calibration.loneOutlier([0, 0, 0.1])?.index, 2)
        XCTAssertEqual(Calibration.loneOutlier([0, 0, 0.1])?.ratio, .infinity)
        XCTAssertNil(Calibration.loneOutlier([5]))
        XCTAssertNil(Calibration.loneOutlier([]))
    }

    /// Wilson's bound, checked against hand-computed values: 0 of 70 still allows 3.7 %, and more
    /// images narrow the same measured rate.
    func testFalseRejectUpperBound() {
        XCTAssertEqual(Calibration.falseRejectUpperBound(rate: 0, images: 70), 0.037218, accuracy: 1e-5)
        XCTAssertEqual(Calibration.falseRejectUpperBound(rate: 0.01, images: 1000), 0.016658, accuracy: 1e-5)
        XCTAssertLessThan(Calibration.falseRejectUpperBound(rate: 0.01, images: 10000),
                          Calibration.falseRejectUpperBound(rate: 0.01, images: 1000))
        XCTAssertEqual(Calibration.falseRejectUpperBound(rate: 1, images: 5), 1, accuracy: 1e-6)
        XCTAssertTrue(Calibration.falseRejectUpperBound(rate: .nan, images: 5).isNaN)
    }
}
