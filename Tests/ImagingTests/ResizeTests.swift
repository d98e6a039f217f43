import XCTest
@testable import Imaging

/// Resizing must agree with PyTorch, which prepares the training and calibration images.
final class ResizeTests: XCTestCase {
    /// Same input as Fixtures/make_resize_expectations.py.
    private func input(channels: Int, height: Int, width: Int) -> Image {
        var pixels: [Float] = []
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width { pixels.append(Float((c * 131 + y * 37 + x * 11) % 101) / 100) }
            }
        }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// torch itself is not bit-stable here: it sums 2-D pooling windows in one pass and picks
    /// between two bilinear kernels (with differently rounded weights) by output size. Both it and
    /// this code stay within ~7e-6 of a float64 reference up to 120 px, so agreement is checked to
    /// 1e-6 on small images and 1e-5 where source coordinates are large.
    private func assertResize(channels: Int, from size: (Int, Int), to target: (Int, Int), matches expected: [Float],
                              every stride: Int = 1, accuracy: Float = 1e-6,
                              file: StaticString = #filePath, line: UInt = #line) {
        let result = input(channels: channels, height: size.0, width: size.1).resized(height: target.0, width: target.1)
        XCTAssertEqual(result.height, target.0, file: file, line: line)
        XCTAssertEqual(result.width, target.1, file: file, line: line)
        XCTAssertEqual(result.channels, channels, file: file, line: line)
        let checked = stride == 1 ? result.pixels : Swift.stride(from: 0, to: result.pixels.count, by: stride).map { result.pixels[$0] }
        XCTAssertEqual(checked.count, expected.count, file: file, line: line)
        for (index, (got, want)) in zip(checked, expected).enumerated() {
            XCTAssertEqual(got, want, accuracy: accuracy, "sample \(index * stride)", file: file, line: line)
        }
    }

    func testShrinkMatchesAdaptiveAvgPool() {
        assertResize(channels: 1, from: (7, 9), to: (3, 4), matches: TorchResized.shrink)
        assertResize(channels: 3, from: (31, 23), to: (8, 5), matches: TorchResized.shrinkRGB)
    }

    func testEnlargeMatchesBilinearHalfPixel() {
        assertResize(channels: 1, from: (5, 4), to: (11, 7), matches: TorchResized.enlarge)
        assertResize(channels: 3, from: (3, 2), to: (8, 5), matches: TorchResized.enlargeRGB)
    }

    func testLargeFactorsMatchTorch() {
        assertResize(channels: 1, from: (100, 130), to: (7, 9), matches: TorchResized.shrinkLarge)
        assertResize(channels: 1, from: (7, 6), to: (93, 71), matches: TorchResized.enlargeLargeEvery37th,
                     every: 37, accuracy: 1e-5)
    }

    func testMixedAxesUseTheirOwnRule() {
        assertResize(channels: 3, from: (9, 4), to: (4, 10), matches: TorchResized.mixedShrinkHeight)
        assertResize(channels: 1, from: (3, 8), to: (7, 5), matches: TorchResized.mixedEnlargeHeight)
    }

    func testEqualSizeIsIdentity() {
        let image = input(channels: 3, height: 4, width: 6)
        XCTAssertEqual(image.resized(height: 4, width: 6).pixels, image.pixels)
    }

    func testWideRowsUseVectorAndTailPaths() {
        // 37 columns: four 8-wide blocks plus a 5-sample tail in the row-combining pass.
        let image = input(channels: 1, height: 9, width: 37)
        let shrunk = image.resized(height: 4, width: 37)
        for x in [0, 8, 31, 32, 36] {
            let rows = (0..<3).map { image.pixels[$0 * 37 + x] }  // bin 0 = rows [0, 3)
            XCTAssertEqual(shrunk.pixels[x], rows.reduce(0, +) / 3, accuracy: 1e-6)
        }
    }
}
