import CKernels
import XCTest

/// The C shuffles (Winograd's phases and interleave, the strided layers' halves) against their
/// definitions at 16, 8 and 4 lanes: the AVX-512 and AVX2 sequences on this machine (the 8-lane
/// one is what a haswell build's kernels call, not a 16-lane build's) and the scalar loop. The
/// NEON ones run only inside the ARM binaries under qemu (tools/tests/test_cli_parity.py), on
/// whichever kernels those choose by timing.
final class LaneShuffleTests: XCTestCase {
    func testPhasesSplitARowByFour() {
        for lanes in [4, 8, 16] {
            let row = (0..<(4 * lanes + 2)).map { Float($0) * 0.5 - 3 }
            var out = [Float](repeating: .nan, count: 6 * lanes)
            ei_stride4_phases6(row, &out, Int32(lanes))
            for j in 0..<6 {
                for t in 0..<lanes { XCTAssertEqual(out[j * lanes + t], row[4 * t + j], "lanes \(lanes) phase \(j) tile \(t)") }
            }
        }
    }

    func testInterleaveInvertsFourPhases() {
        for lanes in [4, 8, 16] {
            let phases = (0..<(4 * lanes)).map { Float($0) * 0.25 + 1 }
            var row = [Float](repeating: .nan, count: 4 * lanes + 1)
            ei_stride4_interleave4(phases, &row, Int32(lanes))
            for t in 0..<lanes {
                for j in 0..<4 { XCTAssertEqual(row[4 * t + j], phases[j * lanes + t], "lanes \(lanes) phase \(j) tile \(t)") }
            }
            XCTAssert(row[4 * lanes].isNaN, "lanes \(lanes): stored past the row")
        }
    }

    func testHalvesSplitARowByTwo() {
        for lanes in [4, 8, 16] {
            for count in [0, 1, 7, 8, 16, 17, 40, 67] {
                let row = (0..<(2 * count)).map { Float($0) * 0.5 - 3 }
                var out = [Float](repeating: .nan, count: 2 * count + 1)
                out.withUnsafeMutableBufferPointer { o in
                    ei_stride2_phases(row, o.baseAddress!, o.baseAddress! + count, Int32(count), Int32(lanes))
                }
                for i in 0..<count {
                    XCTAssertEqual(out[i], row[2 * i], "lanes \(lanes) count \(count) even \(i)")
                    XCTAssertEqual(out[count + i], row[2 * i + 1], "lanes \(lanes) count \(count) odd \(i)")
                }
                XCTAssert(out[2 * count].isNaN, "lanes \(lanes) count \(count): stored past the odd half")
            }
        }
    }
}
