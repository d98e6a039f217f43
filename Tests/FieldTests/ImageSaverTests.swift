import Alerts
import Foundation
import XCTest

final class ImageSaverTests: XCTestCase {
    func request(_ name: String, context: Int) -> SaveRequest {
        let (w, h) = (24, 16)
        let frame = (0..<(w * h)).map { UInt8($0 % 251) }
        return SaveRequest(name: name, width: w, height: h, channels: 1, frame: frame,
                           context: Array(repeating: frame, count: context), map: [Float](repeating: 0.5, count: 6 * 4),
                           mapWidth: 6, mapHeight: 4, heatmapMax: 1)
    }

    /// Waits for `count` outcomes (the writer is another thread).
    func outcomes(_ saver: ImageSaver, _ count: Int) -> [SaveOutcome] {
        var result: [SaveOutcome] = []
        let deadline = Date().addingTimeInterval(30)
        while result.count < count && Date() < deadline {
            result += saver.finished()
            usleep(5000)
        }
        return result
    }

    func testWritesFrameHeatmapAndContext() throws {
        let dir = try scratchFolder().path
        let saver = try ImageSaver(folder: dir, maxFiles: 100, maxBytes: 1 << 30, queue: 4)
        XCTAssertTrue(saver.submit(request("a", context: 2)))
        let done = outcomes(saver, 1)
        XCTAssertEqual(done.count, 1)
        XCTAssertEqual(done.first?.files.map { ($0 as NSString).lastPathComponent },
                       ["a-frame.png", "a-heatmap.png", "a-context-1.png", "a-context-2.png"])
        XCTAssertNil(done.first?.skipped)
        let sizes = try done[0].files.map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as! Int }
        XCTAssertEqual(sizes.reduce(0, +), done[0].bytes)
        _ = saver.stop()
    }

    func testFileCapCountsWhatWasThereAtStart() throws {
        let dir = try scratchFolder()
        try Data(count: 10).write(to: dir.appendingPathComponent("earlier.png"))
        let saver = try ImageSaver(folder: dir.path, maxFiles: 3, maxBytes: 1 << 30, queue: 4)
        XCTAssertEqual(saver.initialFiles, 1)
        XCTAssertTrue(saver.submit(request("b", context: 2)))
        let first = outcomes(saver, 1)
        XCTAssertEqual(first.first?.files.count, 2, "1 old file + 2 new reach the cap of 3")
        XCTAssertNotNil(first.first?.skipped)
        XCTAssertTrue(saver.submit(request("c", context: 0)))
        let second = outcomes(saver, 1)
        XCTAssertEqual(second.first?.files.count, 0)
        XCTAssertTrue(second.first?.skipped?.hasPrefix("cap reached: 3 files") ?? false, second.first?.skipped ?? "nil")
        _ = saver.stop()
    }

    func testByteCapStopsSaving() throws {
        let dir = try scratchFolder()
        try Data(count: 5000).write(to: dir.appendingPathComponent("big.png"))
        let saver = try ImageSaver(folder: dir.path, maxFiles: 100, maxBytes: 4000, queue: 4)
        XCTAssertEqual(saver.initialBytes, 5000)
        XCTAssertTrue(saver.submit(request("d", context: 1)))
        let done = outcomes(saver, 1)
        XCTAssertEqual(done.first?.files, [])
        XCTAssertTrue(done.first?.skipped?.contains("5000 bytes") ?? false)
        _ = saver.stop()
    }

    func testAFailingDiskIsReportedAndSavingGoesOn() throws {
        let dir = try scratchFolder()
        let folder = dir.appendingPathComponent("alerts")
        let saver = try ImageSaver(folder: folder.path, maxFiles: 100, maxBytes: 1 << 30, queue: 4)
        try FileManager.default.removeItem(at: folder)     // the card was pulled, say
        XCTAssertTrue(saver.submit(request("e", context: 0)))
        let failed = outcomes(saver, 1)
        XCTAssertEqual(failed.first?.files, [])
        XCTAssertNotNil(failed.first?.error)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        XCTAssertTrue(saver.submit(request("f", context: 0)))
        XCTAssertEqual(outcomes(saver, 1).first?.files.count, 2)
        _ = saver.stop()
    }
}
