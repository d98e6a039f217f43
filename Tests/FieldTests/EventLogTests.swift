import Alerts
import Foundation
import XCTest

final class EventLogTests: XCTestCase {
    func testRotatesBySizeAndKeepsTheNewestFiles() throws {
        let dir = try scratchFolder()
        let path = dir.appendingPathComponent("events.jsonl").path
        let log = EventLog(path: path, maxBytes: 1024, keep: 2, stdout: false)
        for i in 0..<100 { log.write(LogEvent("frame").with("index", i).with("note", "a \"quoted\" value\n")) }
        XCTAssertEqual(log.writeErrors, 0)
        XCTAssertGreaterThanOrEqual(log.rotations, 3)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertEqual(files, ["events.jsonl", "events.jsonl.1", "events.jsonl.2"])
        var indices: [Int] = []
        for name in ["events.jsonl.2", "events.jsonl.1", "events.jsonl"] {
            let text = try String(contentsOfFile: dir.appendingPathComponent(name).path, encoding: .utf8)
            XCTAssertLessThanOrEqual(text.utf8.count, 1024, name)
            for line in text.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                XCTAssertEqual(object?["event"] as? String, "frame")
                XCTAssertEqual(object?["note"] as? String, "a \"quoted\" value\n")
                XCTAssertNotNil(object?["time"] as? String)
                indices.append(object?["index"] as? Int ?? -1)
            }
        }
        XCTAssertEqual(indices.last, 99, "the newest line is in the live file")
        XCTAssertEqual(indices, Array((100 - indices.count)..<100), "rotated files hold the newest lines, in order")
    }

    func testAppendsToAnExistingFileAndCountsAnUnwritableOne() throws {
        let dir = try scratchFolder()
        let path = dir.appendingPathComponent("events.jsonl").path
        try "{\"event\":\"old\"}\n".write(toFile: path, atomically: false, encoding: .utf8)
        EventLog(path: path, maxBytes: 1 << 20, keep: 1, stdout: false).write(LogEvent("new"))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[1].contains("\"event\":\"new\""))

        let broken = EventLog(path: dir.appendingPathComponent("missing/events.jsonl").path, maxBytes: 4096, keep: 1,
                              stdout: false)
        broken.write(LogEvent("lost"))
        broken.write(LogEvent("lost"))
        XCTAssertGreaterThanOrEqual(broken.writeErrors, 2, "a log that cannot be written is counted, and nothing stops")
        XCTAssertTrue(broken.lastError?.contains("No such file or directory") ?? false)
    }
}
