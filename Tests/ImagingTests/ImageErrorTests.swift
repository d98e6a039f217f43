import Foundation
import XCTest
@testable import Imaging

/// Bad input must end in an ImageError that names the file and the reason, never in a crash.
final class ImageErrorTests: XCTestCase {
    private var scratch: ScratchDirectory!

    override func setUpWithError() throws { scratch = try ScratchDirectory() }
    override func tearDown() { scratch = nil }

    func testMissingFile() {
        let path = scratch.path("nope.png")
        assertImageError([path, "No such file"]) { _ = try ImageIO.load(path: path) }
    }

    func testDirectoryIsNotAnImage() {
        let path = scratch.url.path
        assertImageError([path, "cannot read"]) { _ = try ImageIO.load(path: path) }
    }

    func testEmptyFile() throws {
        let path = try scratch.write([], to: "empty.jpg")
        assertImageError([path, "empty"]) { _ = try ImageIO.load(path: path) }
    }

    func testTextFileIsNotAnImage() throws {
        let path = try scratch.write(Array("hello, not an image\n".utf8), to: "notes.png")
        assertImageError([path, "not a PNG or JPEG"]) { _ = try ImageIO.load(path: path) }
    }

    func testTruncatedPNG() throws {
        let bytes = try Fixture.bytes("palette_trns_5x3.png")
        for length in [12, 40, bytes.count / 2, bytes.count - 20] {
            let path = try scratch.write(Array(bytes.prefix(length)), to: "cut-\(length).png")
            assertImageError([path, "PNG"]) { _ = try ImageIO.load(path: path) }
        }
    }

    func testPNGWithBadChecksum() throws {
        var bytes = try Fixture.bytes("gray_alpha_4x3.png")
        bytes[29] ^= 0x01  // first byte of the IHDR CRC
        let path = try scratch.write(bytes, to: "crc.png")
        assertImageError([path, "CRC"]) { _ = try ImageIO.load(path: path) }
    }

    func testPNGWithCorruptCompressedData() throws {
        var bytes = try Fixture.bytes("gray_alpha_4x3.png")
        let data = try XCTUnwrap((0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == Array("IDAT".utf8) })
        bytes[data + 5] ^= 0x01  // zlib header of the pixel data
        let path = try scratch.write(bytes, to: "zlib.png")
        assertImageError([path, "invalid PNG data"]) { _ = try ImageIO.load(path: path) }
    }

    func testTruncatedJPEG() throws {
        let bytes = try Fixture.bytes("rgb420_13x9.jpg")
        for length in [3, 100, bytes.count * 2 / 3, bytes.count - 10] {
            let path = try scratch.write(Array(bytes.prefix(length)), to: "cut-\(length).jpg")
            assertImageError([path, "JPEG"]) { _ = try ImageIO.load(path: path) }
        }
    }

    func testJPEGWithCorruptFrameHeader() throws {
        var bytes = try Fixture.bytes("gray_7x5.jpg")
        let frame = try XCTUnwrap(markerOffset(0xC0, in: bytes))
        bytes[frame + 9] = 0  // number of components
        let path = try scratch.write(bytes, to: "corrupt.jpg")
        assertImageError([path, "invalid JPEG data"]) { _ = try ImageIO.load(path: path) }
    }

    func testCorruptDataInMemoryNamesNoFileButGivesReason() throws {
        let bytes = Array(try Fixture.bytes("rgb420_13x9.jpg").prefix(200))
        assertImageError(["cannot decode image", "truncated"]) {
            _ = try bytes.withUnsafeBytes { buffer throws(ImageError) in try ImageIO.decode(bytes: buffer) }
        }
        assertImageError(["cannot decode image"]) {
            _ = try [UInt8]().withUnsafeBytes { buffer throws(ImageError) in try ImageIO.decode(bytes: buffer) }
        }
    }

    func testHugePNGHeaderIsRejectedBeforeAllocation() throws {
        let tooWide = try scratch.write(pngHeader(width: 20_000, height: 10), to: "wide.png")
        assertImageError([tooWide, "20000 x 10", "limit"]) { _ = try ImageIO.load(path: tooWide) }
        // Each side is allowed, but 100 Mpixel is not.
        let tooMany = try scratch.write(pngHeader(width: 10_000, height: 10_000), to: "many.png")
        assertImageError([tooMany, "limit"]) { _ = try ImageIO.load(path: tooMany) }
    }

    func testHugeJPEGHeaderIsRejected() throws {
        var bytes = try Fixture.bytes("rgb420_13x9.jpg")
        let frame = try XCTUnwrap(markerOffset(0xC0, in: bytes))
        bytes[frame + 5] = 0xFF  // height 0xFFxx
        bytes[frame + 7] = 0xFF  // width 0xFFxx
        let path = try scratch.write(bytes, to: "huge.jpg")
        assertImageError([path, "limit"]) { _ = try ImageIO.load(path: path) }
    }

    func testWritingIntoMissingDirectoryNamesThePath() {
        let path = scratch.path("missing/dir/out.png")
        assertImageError([path, "cannot create"]) {
            try ImageIO.savePNG(Image(width: 2, height: 2, channels: 1), path: path)
        }
    }

    /// Offset of the first 0xFF `marker` pair in `bytes`.
    private func markerOffset(_ marker: UInt8, in bytes: [UInt8]) -> Int? {
        (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == marker }
    }
}
