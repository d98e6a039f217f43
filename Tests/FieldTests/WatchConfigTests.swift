import Alerts
import Camera
import Pipeline
import XCTest

final class WatchConfigTests: XCTestCase {
    func load(_ text: String) throws -> WatchConfig {
        var config = WatchConfig()
        try config.load(text: text, origin: "watch.conf")
        return config
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let error as ConfigError { return error.message } catch { return "\(error)" }
        return "no error"
    }

    func testFileSetsEveryKindOfValue() throws {
        let config = try load("""
            # a comment, then blank lines

            model = line3.eim
            camera = name:USB Camera
            width = 1280
            height = 720
            fps = 30
            roi = 100, 50, 640, 480
            exposure = 250
            controls = OSD Text Mode=2, Brightness = 128
            trigger = gpio
            trigger_line = gpiochip1:4
            trigger_edge = falling
            debounce = 2/3
            cooldown_ms = 1500
            reject_line = REJECT
            ok_line = /dev/gpiochip0:7
            gpio_active_low = yes
            log_file = /var/log/edge-inspect/events.jsonl
            log_max_bytes = 2M
            save_max_bytes = 512K
            threshold = 1.0
            """)
        XCTAssertEqual(config.model, "line3.eim")
        XCTAssertEqual(config.camera.device, "name:USB Camera")
        XCTAssertEqual(config.camera.width, 1280)
        XCTAssertEqual(config.camera.framesPerSecond, 30)
        XCTAssertEqual(config.camera.region, RegionOfInterest(x: 100, y: 50, width: 640, height: 480))
        XCTAssertEqual(config.camera.exposure, 250)
        XCTAssertEqual(config.camera.controls.map { $0.name }, ["OSD Text Mode", "Brightness"])
        XCTAssertEqual(config.camera.controls.map { $0.value }, [2, 128])
        XCTAssertEqual(config.trigger, .gpio)
        XCTAssertEqual(config.triggerLine, .chip(path: "/dev/gpiochip1", offset: 4))
        XCTAssertEqual(config.triggerEdges, 2)
        XCTAssertEqual(config.debounceRequired, 2)
        XCTAssertEqual(config.debounceWindow, 3)
        XCTAssertEqual(config.cooldownMs, 1500)
        XCTAssertEqual(config.lines.reject, .name("REJECT"))
        XCTAssertEqual(config.lines.ok, .chip(path: "/dev/gpiochip0", offset: 7))
        XCTAssertTrue(config.lines.activeLow)
        XCTAssertEqual(config.logMaxBytes, 2 << 20)
        XCTAssertEqual(config.saveMaxBytes, 512 << 10)
        XCTAssertEqual(config.threshold, 1.0)
        XCTAssertNoThrow(try config.validate())
    }

    func testFlagsOverrideTheFile() throws {
        var config = try load("model = a.eim\ncamera = /dev/video0\nreject_pulse_ms = 100\n")
        try config.apply(flags: [("--reject-pulse-ms", "250"), ("--camera", "file:/tmp/parts")])
        XCTAssertEqual(config.lines.rejectPulseMs, 250)
        XCTAssertEqual(config.camera.device, "file:/tmp/parts")
        XCTAssertEqual(config.model, "a.eim")
    }

    func testErrorsNameTheLineAndSaySomethingUseful() {
        XCTAssertEqual(message { _ = try load("model = a.eim\n\nreject_pulse = 5\n") },
                       "watch.conf:3: unknown key 'reject_pulse'")
        XCTAssertEqual(message { _ = try load("cooldwn_ms = 5") },
                       "watch.conf:1: unknown key 'cooldwn_ms'; did you mean 'cooldown_ms'?")
        XCTAssertEqual(message { _ = try load("model a.eim") }, "watch.conf:1: expected 'key = value', got 'model a.eim'")
        XCTAssertEqual(message { _ = try load("fps = fast") }, "watch.conf:1: expected a positive number, got 'fast'")
        XCTAssertEqual(message { _ = try load("debounce = 3/2") },
                       "watch.conf:1: expected N/M with 1 <= N <= M <= 64 (e.g. 2/3), got '3/2'")
        XCTAssertEqual(message { _ = try load("buffers = 20") },
                       "watch.conf:1: expected a whole number from 2 to 8, got '20'")
        XCTAssertEqual(message { _ = try load("roi = 1,2,3") },
                       "watch.conf:1: expected x,y,width,height (whole numbers, width and height above 0), got '1,2,3'")
        XCTAssertEqual(message { _ = try load("reject_line = gpiochip0:x") },
                       "watch.conf:1: expected a GPIO line as chip:offset (gpiochip0:17) or a line name, got 'gpiochip0:x'")
        XCTAssertEqual(message { _ = try load("log_max_bytes = 10") },
                       "watch.conf:1: expected a size in bytes of at least 4096 (suffixes K, M, G allowed), got '10'")
        XCTAssertEqual(message { _ = try load("log_stdout = maybe") }, "watch.conf:1: expected true or false, got 'maybe'")
        XCTAssertEqual(message { _ = try load("controls = Brightness") },
                       "watch.conf:1: expected Name=value for each control, got 'Brightness'")
        var config = WatchConfig()
        XCTAssertEqual(message { try config.apply(flags: [("--trigger", "sometimes")]) },
                       "--trigger: trigger is 'free' or 'gpio', not 'sometimes'")
    }

    func testValidationNeedsModelCameraAndConsistentLines() throws {
        XCTAssertTrue(message { try WatchConfig().validate() }.hasPrefix("no model"))
        XCTAssertTrue(message { try load("model = a.eim").validate() }.hasPrefix("no camera"))
        let base = "model = a.eim\ncamera = /dev/video0\n"
        XCTAssertEqual(message { try load(base + "trigger = gpio").validate() }, "trigger = gpio needs trigger_line")
        XCTAssertEqual(message { try load(base + "trigger_line = T").validate() },
                       "trigger_line is set but trigger is 'free'; set trigger = gpio")
        XCTAssertEqual(message { try load(base + "width = 640").validate() }, "set width and height together")
        XCTAssertEqual(message { try load(base + "reject_line = gpiochip0:3\nfault_line = /dev/gpiochip0:3").validate() },
                       "fault_line and reject_line are the same line (/dev/gpiochip0:3)")
        XCTAssertEqual(message { try load(base + "reconnect_min_ms = 5000\nreconnect_max_ms = 1000").validate() },
                       "reconnect_max_ms is below reconnect_min_ms")
        XCTAssertNoThrow(try load(base + "reject_line =\n").validate())
    }

    func testEveryKeyIsAcceptedAndDocumented() throws {
        // Each documented key must parse a sensible value: the help text and the parser cannot drift apart.
        let samples: [String: String] = [
            "model": "m.eim", "threshold": "1.5", "threads": "2", "camera": "/dev/video0", "width": "640",
            "height": "480", "fps": "15", "roi": "0,0,10,10", "exposure": "100", "gain": "3",
            "controls": "Gain=1", "buffers": "4", "frame_timeout_ms": "1000", "reconnect_min_ms": "100",
            "reconnect_max_ms": "1000", "trigger": "free", "trigger_line": "", "trigger_edge": "both",
            "trigger_debounce_us": "100", "trigger_deadline_ms": "300", "trigger_miss_rejects": "false",
            "debounce": "1/2", "cooldown_ms": "10", "reject_line": "gpiochip0:1", "reject_pulse_ms": "50",
            "ok_line": "gpiochip0:2", "ng_line": "gpiochip0:3", "ready_line": "gpiochip0:4",
            "heartbeat_line": "gpiochip0:5", "heartbeat_ms": "250", "fault_line": "gpiochip0:6",
            "gpio_active_low": "false", "log_file": "x.jsonl", "log_max_bytes": "1M", "log_keep": "2",
            "log_stdout": "true", "log_frames": "true", "save_dir": "alerts", "save_max_files": "10",
            "save_max_bytes": "1G", "save_context": "1", "save_queue": "2", "status_file": "s.prom",
            "status_interval_ms": "500", "max_frames": "10",
        ]
        XCTAssertEqual(Set(WatchConfig.keys.map { $0.key }), Set(samples.keys))
        var config = WatchConfig()
        for (key, value) in samples { XCTAssertNoThrow(try config.set(key, value), key) }
        XCTAssertNoThrow(try config.validate())
    }
}
