import CDaemon
import CPlatform
import Platform

/// One JSON object per line: {"time":"2026-11-22T19:20:31.123Z","event":"anomaly",...}.
public struct LogEvent {
    public private(set) var json: String

    public init(_ event: String, wallNs: UInt64 = ei_wall_ns()) {
        let time = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 40) { buffer in
            ei_format_utc(wallNs, buffer.baseAddress!, 40)
            return String(cString: buffer.baseAddress!)
        }
        json = "{\"time\":\"\(time)\",\"event\":\(Format.jsonString(event))"
    }

    public func with(_ key: String, _ value: String) -> LogEvent {
        var copy = self
        copy.json += ",\(Format.jsonString(key)):\(Format.jsonString(value))"
        return copy
    }
    public func with(_ key: String, _ value: Int) -> LogEvent {
        var copy = self
        copy.json += ",\(Format.jsonString(key)):\(value)"
        return copy
    }
    public func with(_ key: String, _ value: Double, digits: Int = 6) -> LogEvent {
        var copy = self
        copy.json += ",\(Format.jsonString(key)):" + (value.isFinite ? Format.general(value, digits) : "null")
        return copy
    }
    public func with(_ key: String, _ value: Bool) -> LogEvent {
        var copy = self
        copy.json += ",\(Format.jsonString(key)):\(value)"
        return copy
    }
    public func with(_ key: String, strings: [String]) -> LogEvent {
        var copy = self
        copy.json += ",\(Format.jsonString(key)):[" + strings.map { Format.jsonString($0) }.joined(separator: ",") + "]"
        return copy
    }

    public var line: String { json + "}" }
}

/// The event log: each line to stdout (journald picks it up under systemd) and, when a path is
/// given, appended to a file that rotates by size: log -> log.1 -> ... -> log.<keep>, the oldest
/// dropped. A failing disk costs log lines (counted), never inspection.
public final class EventLog {
    public let path: String?
    public let maxBytes: Int
    public let keep: Int
    private let toStdout: Bool
    private var fd: Int32 = -1
    private var size = 0
    public private(set) var writeErrors = 0
    public private(set) var rotations = 0
    public private(set) var lastError: String? = nil

    public init(path: String?, maxBytes: Int, keep: Int, stdout: Bool) {
        self.path = path
        self.maxBytes = max(maxBytes, 1024)
        self.keep = max(keep, 1)
        toStdout = stdout
        if path != nil { reopen() }
    }

    deinit { if fd >= 0 { _ = ei_close(fd) } }

    public func write(_ event: LogEvent) {
        let line = event.line
        if toStdout { Console.out(line) }
        guard path != nil else { return }
        var bytes = line
        bytes.append("\n")
        let count = bytes.utf8.count
        if fd >= 0 && size > 0 && size + count > maxBytes { rotate() }
        if fd < 0 { reopen() }
        guard fd >= 0 else {
            writeErrors += 1
            return
        }
        let code = bytes.withUTF8 { ei_write_fd(fd, $0.baseAddress, $0.count) }
        if code != 0 {
            fail("cannot write to '\(path!)'", code)
            // Reopen next time: the file may have been removed or its disk remounted.
            _ = ei_close(fd)
            fd = -1
        } else {
            size += count
        }
    }

    /// Shifts log.N-1 -> log.N ... log -> log.1 and starts an empty file.
    private func rotate() {
        guard let path else { return }
        _ = ei_close(fd)
        fd = -1
        _ = ei_remove("\(path).\(keep)")
        var index = keep - 1
        while index >= 1 {
            _ = ei_rename("\(path).\(index)", "\(path).\(index + 1)")
            index -= 1
        }
        let code = ei_rename(path, path + ".1")
        if code != 0 { fail("cannot rotate '\(path)'", code) }
        rotations += 1
        reopen()
    }

    private func reopen() {
        guard let path else { return }
        let opened = ei_open_append(path)
        if opened < 0 {
            fail("cannot open log file '\(path)'", -opened)
            return
        }
        fd = opened
        let current = ei_file_size_fd(opened)
        size = current > 0 ? Int(current) : 0
    }

    private func fail(_ what: String, _ code: Int32) {
        writeErrors += 1
        lastError = "\(what): \(String(cString: ei_strerror(code)))"
    }
}
