import Alerts
import Camera
import Platform

public struct ConfigError: Error {
    public let message: String
    public init(_ message: String) { self.message = message }
}

public enum TriggerMode: Equatable { case free, gpio }

/// Everything `edge-inspect watch` is told: from a `key = value` file, then `--key value` flags
/// (underscores become dashes: `reject_pulse_ms` is `--reject-pulse-ms`), which win. Every key is
/// listed in `WatchConfig.keys` with its meaning; `validate` checks the whole at start.
public struct WatchConfig {
    public var model = ""
    public var threshold: Float? = nil
    public var threads = 0
    public var camera = CameraSettings(device: "")
    public var frameTimeoutMs = 2000
    public var reconnectMinMs = 250
    public var reconnectMaxMs = 10_000
    public var trigger = TriggerMode.free
    public var triggerLine: GPIOLineSpec? = nil
    public var triggerEdges: Int32 = 1
    public var triggerDebounceUs: UInt32 = 0
    public var triggerDeadlineMs = 500
    public var triggerMissRejects = true
    public var debounceRequired = 1
    public var debounceWindow = 1
    public var cooldownMs = 0
    public var lines = AlertLineSettings()
    public var logFile: String? = nil
    public var logMaxBytes = 10 << 20
    public var logKeep = 5
    public var logStdout = true
    public var logFrames = false
    public var saveDir: String? = nil
    public var saveMaxFiles = 1000
    public var saveMaxBytes = 500 << 20
    public var saveContext = 2
    public var saveQueue = 4
    public var statusFile: String? = nil
    public var statusIntervalMs = 1000
    public var maxFrames = 0

    public init() {}

    /// Every key, with the text `edge-inspect help watch` prints (README has the same table).
    public static let keys: [(key: String, help: String)] = [
        ("model", "model file (.eim); required"),
        ("threshold", "decide with this score threshold instead of the model's calibrated one"),
        ("threads", "inference threads; 0 = one per core (default 0)"),
        ("camera", "/dev/videoN, name:<part of the card name>, or file:<folder of PNG/JPEG> (loops); required"),
        ("width", "capture width in pixels; 0 = 640 (with height)"),
        ("height", "capture height in pixels; 0 = 480 (with width)"),
        ("fps", "frames per second to ask the camera for (file: source: its rate, default 10); 0 = driver's"),
        ("roi", "region of interest x,y,width,height in camera pixels; empty = whole frame"),
        ("exposure", "fixed exposure in driver units (auto exposure off); empty = leave as is"),
        ("gain", "fixed gain (auto gain off); empty = leave as is"),
        ("controls", "other V4L2 controls by name: Name=value, Other Name=value (see 'edge-inspect cameras')"),
        ("buffers", "V4L2 buffers to stream with, 2...8 (default 4)"),
        ("frame_timeout_ms", "no frame for this long means the camera is lost (default 2000)"),
        ("reconnect_min_ms", "first retry after losing the camera (default 250); doubles each failure"),
        ("reconnect_max_ms", "longest wait between retries (default 10000)"),
        ("trigger", "free (score the newest frame, continuously) or gpio (one frame per input edge); default free"),
        ("trigger_line", "GPIO input for trigger = gpio: chip:offset (gpiochip0:4) or a line name"),
        ("trigger_edge", "rising, falling or both (default rising)"),
        ("trigger_debounce_us", "kernel debounce of the trigger input in microseconds (default 0: off)"),
        ("trigger_deadline_ms", "a triggered part's decision is due this long after the edge (default 500)"),
        ("trigger_miss_rejects", "true: a missed deadline pulses the reject line (fail safe); default true"),
        ("debounce", "N/M: alert when N of the last M frames are anomalous (default 1/1)"),
        ("cooldown_ms", "after an alert, no other alert for this long (default 0)"),
        ("reject_line", "GPIO output pulsed once per alert"),
        ("reject_pulse_ms", "reject pulse width (default 100)"),
        ("ok_line", "GPIO output high while the latest decision is good"),
        ("ng_line", "GPIO output high while the latest decision is reject"),
        ("ready_line", "GPIO output high while the daemon is inspecting"),
        ("heartbeat_line", "GPIO output toggling every heartbeat_ms while frames arrive"),
        ("heartbeat_ms", "heartbeat half-period (default 500)"),
        ("fault_line", "GPIO output high while the camera is lost or inspection fails"),
        ("gpio_active_low", "true: every output and the trigger input are active low (default false)"),
        ("log_file", "JSON-lines event log file (also written to stdout); empty = stdout only"),
        ("log_max_bytes", "rotate the log file past this size (default 10M; K, M, G suffixes)"),
        ("log_keep", "rotated files kept: log.1 ... log.N (default 5)"),
        ("log_stdout", "write events to stdout too (default true)"),
        ("log_frames", "log every scored frame, not only alerts and state changes (default false)"),
        ("save_dir", "folder for alert images (frame, heatmap, context frames); empty = save nothing"),
        ("save_max_files", "stop saving past this many files in save_dir (default 1000)"),
        ("save_max_bytes", "stop saving past this many bytes in save_dir (default 500M)"),
        ("save_context", "frames before the alert frame to save too (default 2)"),
        ("save_queue", "alerts waiting for the disk before new ones are dropped (default 4)"),
        ("status_file", "Prometheus text file of live counters, replaced atomically; empty = none"),
        ("status_interval_ms", "how often the status file is rewritten (default 1000)"),
        ("max_frames", "stop after scoring this many frames; 0 = run until stopped (default 0)"),
    ]

    /// Reads `key = value` lines. '#' starts a comment line; blank lines are skipped.
    public mutating func load(text: String, origin: String) throws(ConfigError) {
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = WatchConfig.trim(String(raw))
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                throw ConfigError("\(origin):\(number): expected 'key = value', got '\(line)'")
            }
            let key = WatchConfig.trim(String(line[..<equals]))
            let value = WatchConfig.trim(String(line[line.utf8.index(after: equals)...]))
            do { try set(key, value) } catch { throw ConfigError("\(origin):\(number): \(error.message)") }
        }
    }

    /// Applies `--key value` flags; `--config` is handled by the caller.
    public mutating func apply(flags: [(name: String, value: String)]) throws(ConfigError) {
        for flag in flags {
            var key = String(flag.name.dropFirst(2))
            key = String(key.map { $0 == "-" ? "_" : $0 })
            do { try set(key, flag.value) } catch { throw ConfigError("\(flag.name): \(error.message)") }
        }
    }

    public static func isKey(_ key: String) -> Bool { keys.contains { $0.key == key } }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    public mutating func set(_ key: String, _ v: String) throws(ConfigError) {
        switch key {
        case "model": model = v
        case "threshold": threshold = v.isEmpty ? nil : Float(try Parse.positive(v))
        case "threads": threads = try Parse.integer(v, 0...64)
        case "camera": camera.device = v
        case "width": camera.width = try Parse.integer(v, 0...16384)
        case "height": camera.height = try Parse.integer(v, 0...16384)
        case "fps": camera.framesPerSecond = v == "0" ? 0 : try Parse.positive(v)
        case "roi": camera.region = v.isEmpty ? nil : try Parse.region(v)
        case "exposure": camera.exposure = v.isEmpty ? nil : try Parse.integer(v, 0...Int(Int32.max))
        case "gain": camera.gain = v.isEmpty ? nil : try Parse.integer(v, 0...Int(Int32.max))
        case "controls": camera.controls = try Parse.controls(v)
        case "buffers": camera.buffers = try Parse.integer(v, 2...8)
        case "frame_timeout_ms": frameTimeoutMs = try Parse.integer(v, 100...600_000)
        case "reconnect_min_ms": reconnectMinMs = try Parse.integer(v, 10...600_000)
        case "reconnect_max_ms": reconnectMaxMs = try Parse.integer(v, 10...3_600_000)
        case "trigger":
            switch v {
            case "free": trigger = .free
            case "gpio": trigger = .gpio
            default: throw ConfigError("trigger is 'free' or 'gpio', not '\(v)'")
            }
        case "trigger_line": triggerLine = try Parse.line(v)
        case "trigger_edge":
            switch v {
            case "rising": triggerEdges = 1
            case "falling": triggerEdges = 2
            case "both": triggerEdges = 3
            default: throw ConfigError("trigger_edge is rising, falling or both, not '\(v)'")
            }
        case "trigger_debounce_us": triggerDebounceUs = UInt32(try Parse.integer(v, 0...1_000_000))
        case "trigger_deadline_ms": triggerDeadlineMs = try Parse.integer(v, 1...600_000)
        case "trigger_miss_rejects": triggerMissRejects = try Parse.bool(v)
        case "debounce": (debounceRequired, debounceWindow) = try Parse.debounce(v)
        case "cooldown_ms": cooldownMs = try Parse.integer(v, 0...86_400_000)
        case "reject_line": lines.reject = try Parse.line(v)
        case "reject_pulse_ms": lines.rejectPulseMs = try Parse.integer(v, 1...60_000)
        case "ok_line": lines.ok = try Parse.line(v)
        case "ng_line": lines.ng = try Parse.line(v)
        case "ready_line": lines.ready = try Parse.line(v)
        case "heartbeat_line": lines.heartbeat = try Parse.line(v)
        case "heartbeat_ms": lines.heartbeatMs = try Parse.integer(v, 10...60_000)
        case "fault_line": lines.fault = try Parse.line(v)
        case "gpio_active_low": lines.activeLow = try Parse.bool(v)
        case "log_file": logFile = v.isEmpty ? nil : v
        case "log_max_bytes": logMaxBytes = try Parse.bytes(v, minimum: 4096)
        case "log_keep": logKeep = try Parse.integer(v, 1...100)
        case "log_stdout": logStdout = try Parse.bool(v)
        case "log_frames": logFrames = try Parse.bool(v)
        case "save_dir": saveDir = v.isEmpty ? nil : v
        case "save_max_files": saveMaxFiles = try Parse.integer(v, 1...10_000_000)
        case "save_max_bytes": saveMaxBytes = try Parse.bytes(v, minimum: 1)
        case "save_context": saveContext = try Parse.integer(v, 0...16)
        case "save_queue": saveQueue = try Parse.integer(v, 1...64)
        case "status_file": statusFile = v.isEmpty ? nil : v
        case "status_interval_ms": statusIntervalMs = try Parse.integer(v, 100...3_600_000)
        case "max_frames": maxFrames = try Parse.integer(v, 0...Int(Int32.max))
        default:
            let near = WatchConfig.keys.first { WatchConfig.similar($0.key, key) }.map { "; did you mean '\($0.key)'?" } ?? ""
            throw ConfigError("unknown key '\(key)'\(near)")
        }
    }

    /// The checks that need the whole configuration.
    public func validate() throws(ConfigError) {
        if model.isEmpty { throw ConfigError("no model: set 'model = FILE' in the config or pass --model FILE") }
        if camera.device.isEmpty {
            throw ConfigError("no camera: set 'camera = /dev/video0' (or name:<card>, file:<folder>) or pass --camera")
        }
        if (camera.width == 0) != (camera.height == 0) { throw ConfigError("set width and height together") }
        if trigger == .gpio && triggerLine == nil { throw ConfigError("trigger = gpio needs trigger_line") }
        if trigger == .free && triggerLine != nil { throw ConfigError("trigger_line is set but trigger is 'free'; set trigger = gpio") }
        if reconnectMaxMs < reconnectMinMs { throw ConfigError("reconnect_max_ms is below reconnect_min_ms") }
        var used: [(String, GPIOLineSpec)] = []
        for (name, spec) in [("reject_line", lines.reject), ("ok_line", lines.ok), ("ng_line", lines.ng),
                             ("ready_line", lines.ready), ("heartbeat_line", lines.heartbeat),
                             ("fault_line", lines.fault), ("trigger_line", triggerLine)] {
            guard let spec else { continue }
            if let other = used.first(where: { $0.1 == spec }) {
                throw ConfigError("\(name) and \(other.0) are the same line (\(spec.description))")
            }
            used.append((name, spec))
        }
    }

    static func trim(_ s: String) -> String {
        var scalars = Substring(s)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }

    /// Same length with one letter different, or one letter more or less (typos worth a hint).
    static func similar(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.count == y.count { return zip(x, y).filter { $0 != $1 }.count == 1 }
        let (short, long) = x.count < y.count ? (x, y) : (y, x)
        guard long.count - short.count == 1 else { return false }
        for skip in 0..<long.count {
            var candidate = long
            candidate.remove(at: skip)
            if candidate == short { return true }
        }
        return false
    }
}
