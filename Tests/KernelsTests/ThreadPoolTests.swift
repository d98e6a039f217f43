import Kernels
import XCTest

final class ThreadPoolTests: XCTestCase {
    func testEveryIndexIsVisitedExactlyOnceInContiguousRanges() throws {
        for threads in [1, 2, 3, 7] {
            let pool = try XCTUnwrap(ThreadPool(threads: threads))
            for count in [0, 1, 2, 5, 64, 1001] {
                let visits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
                visits.initialize(repeating: 0, count: max(count, 1))
                defer { visits.deallocate() }
                // Several rounds on the same pool: workers must pick up each new round exactly once.
                for _ in 0..<3 {
                    pool.parallelFor(count) { first, end in
                        XCTAssertLessThanOrEqual(first, end)
                        for i in first..<end { visits[i] += 1 }   // each index is owned by one range
                    }
                }
                XCTAssertEqual((0..<count).filter { visits[$0] != 3 }, [], "threads \(threads) count \(count)")
            }
        }
        XCTAssertNil(ThreadPool(threads: 0))
        XCTAssertGreaterThanOrEqual(ThreadPool.coreCount, 1)
    }

    /// Workers poll for a new run for about a millisecond, then block; the caller likewise waits
    /// for them. Runs right after each other, and runs after pauses long enough for every thread
    /// to block (and pools released in either state), must each run every range exactly once.
    func testRunsAfterSpinningAndAfterSleeping() throws {
        for threads in [2, 3] {
            let pool = try XCTUnwrap(ThreadPool(threads: threads))
            let count = 8
            let visits = UnsafeMutablePointer<Int>.allocate(capacity: count)
            visits.initialize(repeating: 0, count: count)
            defer { visits.deallocate() }
            for round in 0..<120 {
                if round % 20 == 19 { usleep(3000) }            // past the spin: the workers block
                pool.parallelFor(count) { first, end in
                    if round % 30 == 0 { usleep(2000) }         // the caller blocks waiting for them
                    for i in first..<end { visits[i] += 1 }
                }
            }
            XCTAssertEqual((0..<count).map { visits[$0] }, [Int](repeating: 120, count: count), "threads \(threads)")
        }
        for pause: UInt32 in [0, 3000] {                        // released while spinning, then while blocked
            let pool = try XCTUnwrap(ThreadPool(threads: 2))
            pool.parallelFor(2) { _, _ in }
            usleep(pause)
        }
    }

    func testThreadedConvolutionIsBitIdenticalToSingleThreaded() throws {
        var rng = SeededRandom(11)
        let g = ConvGeometry(inChannels: 5, outChannels: 19, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                             padH: 1, padW: 1, inHeight: 23, inWidth: 17)
        let input = rng.floats(5 * 23 * 17), weights = rng.floats(19 * 5 * 9), bias = rng.floats(19)
        let packed = ConvWeightsOC8(weights: weights, bias: bias, outChannels: 19, inChannels: 5, kernelH: 3, kernelW: 3)
        var scratch = [Float](repeating: 0, count: g.scratchCount)
        var single = [Float](repeating: .nan, count: 19 * g.outHeight * g.outWidth)
        conv2DDirectOC8(input: input, geometry: g, weights: packed, activation: .leakyRelu(0.2), output: &single, scratch: &scratch)
        for threads in [2, 3, 4] {
            var threaded = [Float](repeating: .nan, count: single.count)
            conv2DDirectOC8(input: input, geometry: g, weights: packed, activation: .leakyRelu(0.2), output: &threaded,
                            scratch: &scratch, pool: ThreadPool(threads: threads))
            XCTAssertEqual(threaded, single, "threads \(threads)")
        }
    }
}
