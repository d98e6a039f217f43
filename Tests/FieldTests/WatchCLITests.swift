import Foundation
import Pipeline
import XCTest

/// `edge-inspect watch` end to end with the file: frame source (a folder standing in for a
/// camera): what a user sees on stdout, in the log file, in the status file and on disk.
final class WatchCLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: Repo.binary.path) else {
            XCTFail("edge-inspect is not built beside the tests at \(Repo.binary.path)")
            throw CocoaError(.fileNoSuchFile)
        }
        dir = try scratchFolder()
    }

    func folder(_ name: String, _ samples: [String]) throws -> String {
        let folder = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for s in samples { try FileManager.default.copyItem(at: Repo.sample(s), to: folder.appendingPathComponent(s)) }
        return folder.path
    }

    func start(_ args: [String]) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = Repo.binary
        process.arguments = ["watch", "--model", Repo.model, "--threads", "1"] + args
        let out = dir.appendingPathComponent("stdout-\(UUID().uuidString.prefix(6))")
        let err = dir.appendingPathComponent("stderr-\(UUID().uuidString.prefix(6))")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    func run(_ args: [String]) throws -> (code: Int32, events: [[String: Any]], err: String) {
        let (process, out, err) = try start(args)
        process.waitUntilExit()
        return (process.terminationStatus, try events(out), try String(contentsOf: err, encoding: .utf8))
    }

    func events(_ file: URL) throws -> [[String: Any]] {
        try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    /// Polls the JSON-lines file until an event of that name appears (generous: CI machines are busy).
    func waitFor(_ name: String, in file: URL, timeout: TimeInterval = 60) throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let event = try events(file).last(where: { $0["event"] as? String == name }) { return event }
            usleep(50_000)
        }
        return nil
    }

    func testGoodPartsRaiseNoAlert() throws {
        let good = try folder("good", ["good-1.png", "good-2.png", "good-3.png", "good-4.png"])
        let status = dir.appendingPathComponent("status.prom").path
        let result = try run(["--camera", "file:" + good, "--fps", "20", "--max-frames", "8", "--status-file", status])
        XCTAssertEqual(result.code, 0, result.err)
        XCTAssertEqual(result.events.first?["event"] as? String, "start")
        // One blank frame scored before READY=1, not counted as a part.
        XCTAssertEqual(result.events.dropFirst().first?["event"] as? String, "warm_up")
        XCTAssertGreaterThan(result.events.dropFirst().first?["ms"] as? Double ?? 0, 0)
        XCTAssertNil(result.events.dropFirst().first?["reason"])
        XCTAssertFalse(result.events.contains { $0["event"] as? String == "alert" })
        XCTAssertEqual(result.events.last?["event"] as? String, "stop")
        XCTAssertEqual(result.events.last?["frames_scored"] as? Int, 8)
        let text = try String(contentsOfFile: status, encoding: .utf8)
        XCTAssertTrue(text.contains("\nedge_inspect_frames_scored_total 8\n"), text)
        XCTAssertTrue(text.contains("\nedge_inspect_alerts_total 0\n"))
        XCTAssertTrue(text.contains("edge_inspect_latency_seconds{quantile=\"0.99\"} "))
        XCTAssertFalse(FileManager.default.fileExists(atPath: status + ".tmp"))
    }

    func testDefectsRaiseAlertsWithImagesAndLog() throws {
        let bad = try folder("bad", ["defect-crack.png", "defect-spot.png"])
        let saved = dir.appendingPathComponent("alerts").path
        let log = dir.appendingPathComponent("events.jsonl").path
        let result = try run(["--camera", "file:" + bad, "--fps", "20", "--max-frames", "4", "--save-dir", saved,
                              "--save-context", "1", "--log-file", log, "--log-stdout", "false"])
        XCTAssertEqual(result.code, 0, result.err)
        XCTAssertTrue(result.events.isEmpty, "log_stdout = false keeps stdout quiet")
        let logged = try events(URL(fileURLWithPath: log))
        let alerts = logged.filter { $0["event"] as? String == "alert" }
        XCTAssertEqual(alerts.count, 4)
        XCTAssertGreaterThan(alerts[0]["score"] as! Double, alerts[0]["threshold"] as! Double)
        let saves = logged.filter { $0["event"] as? String == "images_saved" }
        XCTAssertFalse(saves.isEmpty)
        for file in saves.flatMap({ $0["files"] as! [String] }) {
            XCTAssertTrue(FileManager.default.fileExists(atPath: file), file)
        }
        XCTAssertTrue((saves[0]["files"] as! [String])[0].hasSuffix("-frame.png"))
    }

    func testSigtermStopsCleanly() throws {
        let good = try folder("good", ["good-1.png"])
        let (process, out, _) = try start(["--camera", "file:" + good, "--fps", "10"])
        XCTAssertNotNil(try waitFor("start", in: out))
        usleep(500_000)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(try events(out).last?["reason"] as? String, "signal 15")
    }

    /// The folder disappearing is the file source's unplugged camera: the daemon must say so,
    /// keep retrying, and carry on when it is back.
    func testLostCameraIsReportedAndReconnected() throws {
        let good = try folder("good", ["good-1.png", "good-2.png"])
        let away = dir.appendingPathComponent("away").path
        let status = dir.appendingPathComponent("status.prom").path
        let (process, out, _) = try start(["--camera", "file:" + good, "--fps", "10", "--reconnect-min-ms", "50",
                                           "--reconnect-max-ms", "200", "--status-file", status,
                                           "--status-interval-ms", "100"])
        defer { if process.isRunning { process.terminate() } }
        XCTAssertNotNil(try waitFor("start", in: out))
        try FileManager.default.moveItem(atPath: good, toPath: away)
        let lost = try waitFor("camera_lost", in: out)
        XCTAssertTrue((lost?["reason"] as? String)?.contains("cannot read image folder") ?? false, "\(String(describing: lost))")
        XCTAssertNotNil(try waitFor("camera_retry", in: out))
        try FileManager.default.moveItem(atPath: away, toPath: good)
        XCTAssertNotNil(try waitFor("camera_reconnected", in: out))
        XCTAssertNotNil(try waitFor("fault_cleared", in: out))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let text = try String(contentsOfFile: status, encoding: .utf8)
        XCTAssertTrue(text.contains("\nedge_inspect_camera_reconnects_total 1\n"), text)
        XCTAssertTrue(text.contains("\nedge_inspect_camera_losses_total 1\n"), text)
        XCTAssertTrue(text.contains("\nedge_inspect_faults_total 1\n"), text)
    }

    func testStartupErrorsAreClear() throws {
        var r = try run(["--camera", "file:/nonexistent/parts"])
        XCTAssertEqual(r.code, 2)
        XCTAssertEqual(r.err, "edge-inspect watch: cannot read image folder '/nonexistent/parts': No such file or directory\n")
        r = try run(["--camera", "/dev/video0", "--reject-pulse", "5"])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.hasPrefix("edge-inspect watch: unknown option --reject-pulse\n"), r.err)
        let conf = dir.appendingPathComponent("watch.conf")
        try "camera = /dev/video0\nfps = 0.0.1\n".write(to: conf, atomically: true, encoding: .utf8)
        r = try run(["--config", conf.path])
        XCTAssertEqual(r.code, 2)
        XCTAssertTrue(r.err.hasPrefix("edge-inspect watch: \(conf.path):2: expected a positive number, got '0.0.1'"), r.err)
        r = try run(["--camera", "/dev/video0", "--reject-line", "gpiochip-none:3"])
        XCTAssertEqual(r.code, 2)
    }

    func testHelpListsEveryKey() throws {
        let process = Process()
        process.executableURL = Repo.binary
        process.arguments = ["help", "watch"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        for (key, _) in WatchConfig.keys { XCTAssertTrue(text.contains("\n  \(key) "), key) }
    }
}
