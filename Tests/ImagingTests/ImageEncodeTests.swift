import Foundation
import XCTest
@testable import Imaging

final class ImageEncodeTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch = nil }

    func testGray8RoundTripIsExactOnLevels() throws {
        let levels = (0..<12).map { Float(($0 * 23) % 256) / 255 }
        let image = Image(width: 4, height: 3, channels: 1, pixels: levels)
        let path = scratch.path("gray.png")
        try ImageIO.savePNG(image, path: path)
        let back = try ImageIO.load(path: path)
        XCTAssertEqual(back.channels, 1)
        XCTAssertEqual(back.width, 4)
        XCTAssertEqual(back.height, 3)
        XCTAssertEqual(back.pixels, levels)
    }

    func testRGB8RoundTripKeepsPlanarChannels() throws {
        let plane = 5 * 2
        let pixels = (0..<(3 * plane)).map { Float(($0 * 41 + 7) % 256) / 255 }
        let image = Image(width: 5, height: 2, channels: 3, pixels: pixels)
        let path = scratch.path("rgb.png")
        try ImageIO.savePNG(image, path: path)
        let back = try ImageIO.load(path: path)
        XCTAssertEqual(back.channels, 3)
        XCTAssertEqual(back.pixels, pixels)
    }

    func testSavingRoundsToNearestAndClamps() throws {
        let image = Image(width: 6, height: 1, channels: 1,
                          pixels: [-0.5, 1.7, .nan, 0.6 / 255, 0.4 / 255, 127.5 / 255 + 1e-4])
        let path = scratch.path("clamped.png")
        try ImageIO.savePNG(image, path: path)
        XCTAssertEqual(interleavedBytes(try ImageIO.load(path: path)), [0, 255, 0, 1, 0, 128])
    }

    func testGray16PNGStoresScaledSixteenBitSamples() throws {
        // Scaled: 0x12AB, 255.6 -> 256 (rounded, so high byte 1), clamped 65535, clamped 0, NaN -> 0, 0xFF00.
        let values: [Float] = [Float(0x12AB) / 4, 255.6 / 4, 70_000, -3, .nan, Float(0xFF00) / 4]
        let path = scratch.path("map16.png")
        try values.withUnsafeBufferPointer { buffer throws(ImageError) in
            try ImageIO.saveGray16PNG(buffer, width: 3, height: 2, scale: 4, path: path)
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(bytes[24], 16, "IHDR bit depth")
        XCTAssertEqual(bytes[25], 0, "IHDR colour type gray")
        // The decoder keeps each sample's high byte, which shows byte order and rounding.
        let back = try ImageIO.load(path: path)
        XCTAssertEqual(interleavedBytes(back), [0x12, 1, 0xFF, 0, 0, 0xFF])
    }

    func testGray16RejectsWrongValueCount() {
        let values = [Float](repeating: 0, count: 5)
        let path = scratch.path("bad.png")
        assertImageError([path, "5 values"]) {
            try values.withUnsafeBufferPointer { buffer throws(ImageError) in
                try ImageIO.saveGray16PNG(buffer, width: 3, height: 2, scale: 1, path: path)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testSavingAnImageWithEditedPixelCountThrows() {
        var image = Image(width: 2, height: 2, channels: 3)
        image.pixels.removeLast()
        let path = scratch.path("short.png")
        assertImageError([path, "11 samples"]) { try ImageIO.savePNG(image, path: path) }
    }
}
