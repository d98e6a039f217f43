import Engine
import XCTest

/// Runs two engines on the same random inputs at awkward sizes (odd, square, wide) and asserts
/// that they give the same bits: for plan changes that must change no result.
func assertSameBits(_ first: Engine, _ second: Engine, _ label: String,
                    file: StaticString = #filePath, line: UInt = #line) throws {
    var rng = ModelBuilder()
    for (h, w) in [(5, 7), (16, 16), (13, 30)] {
        let input = rng.random(h * w, scale: 2)
        var a = [Float](repeating: .nan, count: h * w), b = a
        try first.reconstruct(input, height: h, width: w, into: &a)
        try second.reconstruct(input, height: h, width: w, into: &b)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertTrue(a == b, "\(label) \(h)x\(w): differs by up to \(worst)", file: file, line: line)
        XCTAssertFalse(a.contains { $0.isNaN }, "\(label) \(h)x\(w)", file: file, line: line)
    }
}
