import XCTest
@testable import Imaging

final class HeatmapTests: XCTestCase {
    /// Ends of Google's Turbo map.
    private let turboLow: [Float] = [0.18995, 0.07176, 0.23217]
    private let turboHigh: [Float] = [0.47960, 0.01583, 0.01055]

    private func render(_ map: [Float], width: Int, height: Int, over image: Image, maxValue: Float = 2,
                        alpha: Float) -> Image {
        map.withUnsafeBufferPointer {
            Heatmap.render(map: $0, mapWidth: width, mapHeight: height, over: image, maxValue: maxValue, alpha: alpha)
        }
    }

    private func pixel(_ image: Image, _ x: Int, _ y: Int) -> [Float] {
        let plane = image.width * image.height
        return (0..<3).map { image.pixels[$0 * plane + y * image.width + x] }
    }

    private func assertColor(_ got: [Float], _ want: [Float], accuracy: Float = 2e-4,
                             file: StaticString = #filePath, line: UInt = #line) {
        for c in 0..<3 { XCTAssertEqual(got[c], want[c], accuracy: accuracy, "channel \(c)", file: file, line: line) }
    }

    func testZeroAndMaxValueGiveTheEndsOfTheColourMap() {
        // Left column 0 (and below zero), right column maxValue (and above): after a 2x enlargement
        // the outer output columns still sit on pure map values.
        let map: [Float] = [0, 2, -1, 5]
        let image = Image(width: 4, height: 2, channels: 1)
        let out = render(map, width: 2, height: 2, over: image, alpha: 1)
        XCTAssertEqual(out.channels, 3)
        XCTAssertEqual(out.width, 4)
        XCTAssertEqual(out.height, 2)
        assertColor(pixel(out, 0, 0), turboLow)
        assertColor(pixel(out, 0, 1), turboLow)
        assertColor(pixel(out, 3, 0), turboHigh)
        assertColor(pixel(out, 3, 1), turboHigh)
    }

    func testMiddleOfTheMapIsGreenish() {
        let image = Image(width: 1, height: 1, channels: 1)
        let out = render([1], width: 1, height: 1, over: image, alpha: 1)
        let color = pixel(out, 0, 0)
        XCTAssertGreaterThan(color[1], 0.9, "Turbo is bright green-yellow at 0.5")
        XCTAssertGreaterThan(color[1], color[2])
    }

    func testAlphaBlendsOverGrayAndRGB() {
        let gray = Image(width: 1, height: 1, channels: 1, pixels: [0.5])
        let half = render([0], width: 1, height: 1, over: gray, alpha: 0.5)
        assertColor(pixel(half, 0, 0), turboLow.map { 0.5 * 0.5 + 0.5 * $0 })

        let rgb = Image(width: 1, height: 1, channels: 3, pixels: [0.1, 0.6, 0.9])
        assertColor(pixel(render([2], width: 1, height: 1, over: rgb, alpha: 0), 0, 0), [0.1, 0.6, 0.9], accuracy: 0)
    }

    func testMapIsResizedBilinearlyToTheImage() {
        // A 1x2 map (0 then maxValue) over a 1x4 image: half-pixel centres give t = 0, 0.25, 0.75, 1.
        let image = Image(width: 1, height: 4, channels: 1)
        let out = render([0, 2], width: 1, height: 2, over: image, alpha: 1)
        let quarter = render([0.5], width: 1, height: 1, over: Image(width: 1, height: 1, channels: 1), alpha: 1)
        assertColor(pixel(out, 0, 1), pixel(quarter, 0, 0), accuracy: 1e-6)
        assertColor(pixel(out, 0, 3), turboHigh)
    }

    func testNonPositiveMaxValueGivesTheLowColour() {
        let out = render([3], width: 1, height: 1, over: Image(width: 1, height: 1, channels: 1), maxValue: 0, alpha: 1)
        assertColor(pixel(out, 0, 0), turboLow)
    }
}
