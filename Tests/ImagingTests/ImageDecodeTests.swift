import Foundation
import XCTest
@testable import Imaging

/// Decoding must give the pixels Pillow gives, since the models were trained on Pillow's decode.
final class ImageDecodeTests: XCTestCase {
    private func assertDecodes(_ name: String, width: Int, height: Int, channels: Int, to expected: [UInt8],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let image = try ImageIO.load(path: Fixture.path(name))
        XCTAssertEqual(image.width, width, file: file, line: line)
        XCTAssertEqual(image.height, height, file: file, line: line)
        XCTAssertEqual(image.channels, channels, file: file, line: line)
        XCTAssertEqual(interleavedBytes(image), expected, "\(name) differs from Pillow", file: file, line: line)
        // Samples are exactly level / 255, as torchvision's ToTensor divides.
        XCTAssertEqual(image.pixels[0], Float(expected[0]) / 255, file: file, line: line)
    }

    func testGrayJPEGMatchesPillow() throws {
        try assertDecodes("gray_7x5.jpg", width: 7, height: 5, channels: 1, to: PillowDecoded.grayJPEG)
    }

    func testChromaSubsampledJPEGMatchesPillow() throws {
        try assertDecodes("rgb420_13x9.jpg", width: 13, height: 9, channels: 3, to: PillowDecoded.rgb420JPEG)
    }

    func testProgressiveJPEGMatchesPillow() throws {
        try assertDecodes("rgb422_progressive_10x6.jpg", width: 10, height: 6, channels: 3,
                          to: PillowDecoded.progressive422JPEG)
    }

    func testCMYKJPEGIsRejectedWithReason() {
        let path = Fixture.path("cmyk_4x4.jpg")
        assertImageError([path, "CMYK"]) { _ = try ImageIO.load(path: path) }
    }

    func testPalettePNGIgnoresTransparency() throws {
        try assertDecodes("palette_trns_5x3.png", width: 5, height: 3, channels: 3, to: PillowDecoded.palettePNG)
    }

    func testGrayAlphaPNGDropsAlpha() throws {
        try assertDecodes("gray_alpha_4x3.png", width: 4, height: 3, channels: 1, to: PillowDecoded.grayAlphaPNG)
    }

    func testOneBitPNGExpandsToFullRange() throws {
        try assertDecodes("gray1bit_9x2.png", width: 9, height: 2, channels: 1, to: PillowDecoded.oneBitPNG)
    }

    func testInterlaced16BitRGBAPNGKeepsHighBytes() throws {
        try assertDecodes("rgba16_adam7_5x5.png", width: 5, height: 5, channels: 3, to: PillowDecoded.rgba16Adam7PNG)
    }

    func testFormatComesFromContentNotExtension() throws {
        let scratch = try ScratchDirectory()
        let misnamed = try scratch.write(try Fixture.bytes("rgb420_13x9.jpg"), to: "really-a-jpeg.png")
        XCTAssertEqual(interleavedBytes(try ImageIO.load(path: misnamed)), PillowDecoded.rgb420JPEG)
    }

    func testDecodeFromMemoryMatchesFile() throws {
        for name in ["rgb420_13x9.jpg", "palette_trns_5x3.png"] {
            let bytes = try Fixture.bytes(name)
            let fromMemory = try bytes.withUnsafeBytes { buffer throws(ImageError) in try ImageIO.decode(bytes: buffer) }
            let fromFile = try ImageIO.load(path: Fixture.path(name))
            XCTAssertEqual(fromMemory.pixels, fromFile.pixels, name)
        }
    }
}
