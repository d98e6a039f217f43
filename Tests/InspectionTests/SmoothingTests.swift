@testable import Inspection
import Kernels
import Scoring
import XCTest

/// The scoring blur on the engine's threads must give `apply`'s bits: rows split in any way, fewer
/// rows than threads, the horizontal pass's padded rows one per thread.
final class SmoothingTests: XCTestCase {
    func testBlurOnThreadsEqualsOneThread() {
        var rng = SystemRandomNumberGenerator()
        for threads in [2, 3] {
            let pool = ThreadPool(threads: threads)
            for (h, w, sigma) in [(1, 9, Float(2)), (2, 70, 4), (37, 41, 4), (64, 130, 16), (5, 3, 1)] {
                let blur = GaussianBlur(sigma: sigma)
                let map = (0..<(h * w)).map { _ in Float.random(in: 0..<1, using: &rng) }
                var one = [Float](repeating: .nan, count: h * w), many = one
                var temp = [Float](repeating: .nan, count: blur.scratchCount(height: h, width: w, threads: threads))
                blur.apply(map, height: h, width: w, into: &one, temp: &temp)
                temp = [Float](repeating: .nan, count: temp.count)
                map.withUnsafeBufferPointer { m in
                    many.withUnsafeMutableBufferPointer { o in
                        temp.withUnsafeMutableBufferPointer { t in
                            blur.apply(m.baseAddress!, height: h, width: w, into: o.baseAddress!, temp: t.baseAddress!,
                                       pool: pool)
                        }
                    }
                }
                XCTAssertTrue(zip(one, many).allSatisfy { $0.bitPattern == $1.bitPattern },
                              "\(h)x\(w) sigma \(sigma) threads \(threads)")
            }
        }
    }
}
