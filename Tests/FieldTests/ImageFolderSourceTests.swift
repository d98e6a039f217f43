import Camera
import Foundation
import Imaging
import XCTest

final class ImageFolderSourceTests: XCTestCase {
    /// A gray 8x6 image whose pixel (x, y) is (10 * y + x + base) / 255.
    func write(_ name: String, in folder: URL, base: Int, width: Int = 8) throws {
        let pixels = (0..<(width * 6)).map { Float($0 / width * 10 + $0 % width + base) / 255 }
        try ImageIO.savePNG(Image(width: width, height: 6, channels: 1, pixels: pixels),
                            path: folder.appendingPathComponent(name).path)
    }

    func read(_ source: FrameSource) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: source.geometry.byteCount)
        var got = false
        for _ in 0..<100 where !got {
            got = try bytes.withUnsafeMutableBufferPointer { try source.read(into: $0.baseAddress!, timeoutMs: 100) }
        }
        XCTAssertTrue(got)
        return bytes
    }

    func testLoopsInNameOrderAndCutsTheRegion() throws {
        let folder = try scratchFolder()
        try write("b.png", in: folder, base: 100)
        try write("a.png", in: folder, base: 0)
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        var settings = CameraSettings(device: "file:" + folder.path)
        settings.framesPerSecond = 1000
        settings.region = RegionOfInterest(x: 2, y: 1, width: 3, height: 2)
        let source = try FrameSource.open(settings)
        XCTAssertEqual(source.geometry, FrameGeometry(width: 3, height: 2, channels: 1))
        XCTAssertEqual(try read(source), [12, 13, 14, 22, 23, 24])          // a.png
        XCTAssertEqual(try read(source), [112, 113, 114, 122, 123, 124])    // b.png
        XCTAssertEqual(try read(source), [12, 13, 14, 22, 23, 24])          // a.png again
    }

    func testColourModelsGetRGBAndMismatchedSizesAreErrors() throws {
        let folder = try scratchFolder()
        try write("a.png", in: folder, base: 0)
        try write("b.png", in: folder, base: 0, width: 9)
        var settings = CameraSettings(device: "file:" + folder.path)
        settings.channels = 3
        settings.framesPerSecond = 1000
        let source = try FrameSource.open(settings)
        XCTAssertEqual(Array(try read(source).prefix(6)), [0, 0, 0, 1, 1, 1])
        XCTAssertThrowsError(try read(source)) { error in
            XCTAssertEqual((error as? CameraError)?.message,
                           "'\(folder.path)/b.png' is 9x6; the images of '\(folder.path)' must all be 8x6")
            XCTAssertEqual((error as? CameraError)?.lost, false)
        }
    }

    func testRegionOutsideTheFrameAndEmptyFolderAreRefused() throws {
        let folder = try scratchFolder()
        var settings = CameraSettings(device: "file:" + folder.path)
        XCTAssertThrowsError(try FrameSource.open(settings)) { error in
            XCTAssertEqual((error as? CameraError)?.message, "image folder '\(folder.path)' has no .png or .jpg files")
        }
        try write("a.png", in: folder, base: 0)
        settings.region = RegionOfInterest(x: 4, y: 0, width: 5, height: 6)
        XCTAssertThrowsError(try FrameSource.open(settings)) { error in
            XCTAssertEqual((error as? CameraError)?.message,
                           "region of interest 4,0,5,6 is outside the 8x6 images of '\(folder.path)'")
        }
    }
}
