import XCTest
@testable import Imaging

final class ColorConversionTests: XCTestCase {
    func testGrayIsBT601Luma() {
        // Planar: R plane, G plane, B plane for two pixels.
        let image = Image(width: 2, height: 1, channels: 3, pixels: [1, 0.2, 0, 0.4, 0, 1])
        let gray = image.gray()
        XCTAssertEqual(gray.channels, 1)
        XCTAssertEqual(gray.pixels[0], 0.299, accuracy: 1e-6)
        XCTAssertEqual(gray.pixels[1], 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 1, accuracy: 1e-6)
    }

    func testGrayOfGrayAndRGBOfRGBAreIdentity() {
        let gray = Image(width: 3, height: 1, channels: 1, pixels: [0.1, 0.5, 0.9])
        XCTAssertEqual(gray.gray().pixels, gray.pixels)
        let rgb = Image(width: 1, height: 1, channels: 3, pixels: [0.1, 0.5, 0.9])
        XCTAssertEqual(rgb.rgb().pixels, rgb.pixels)
    }

    func testRGBReplicatesGray() {
        let gray = Image(width: 2, height: 2, channels: 1, pixels: [0, 0.25, 0.5, 1])
        let rgb = gray.rgb()
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(rgb.pixels, gray.pixels + gray.pixels + gray.pixels)
        XCTAssertEqual(rgb.gray().pixels.map { ($0 * 1e5).rounded() }, gray.pixels.map { ($0 * 1e5).rounded() })
    }
}
