import Foundation
import Pipeline
import XCTest

/// sd_notify's wire format, checked against a datagram socket bound here as systemd would.
final class SystemdNotifyTests: XCTestCase {
    func receive(boundTo path: String, abstract: Bool, send: () -> Int32) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i + (abstract ? 1 : 0)] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 1 : 0))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        XCTAssertEqual(bound, 0, String(cString: strerror(errno)))
        setenv("NOTIFY_SOCKET", abstract ? "@" + path : path, 1)
        defer { unsetenv("NOTIFY_SOCKET") }
        XCTAssertEqual(send(), 0)
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, 256, Int32(MSG_DONTWAIT))
        XCTAssertGreaterThan(n, 0)
        return String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self)
    }

    func testMessagesReachAPathSocket() throws {
        let path = NSTemporaryDirectory() + "notify-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        defer { unlink(path) }
        XCTAssertEqual(try receive(boundTo: path, abstract: false) { Systemd.notify("READY=1\nSTATUS=inspecting") },
                       "READY=1\nSTATUS=inspecting")
        unlink(path)
        XCTAssertEqual(try receive(boundTo: path, abstract: false) { Systemd.notify("WATCHDOG=1") }, "WATCHDOG=1")
    }

    func testMessagesReachAnAbstractSocket() throws {
        XCTAssertEqual(try receive(boundTo: "edge-inspect-test-\(getpid())", abstract: true) { Systemd.notify("STOPPING=1") },
                       "STOPPING=1")
    }

    func testWithoutSystemdNothingIsSent() {
        unsetenv("NOTIFY_SOCKET")
        XCTAssertEqual(Systemd.notify("READY=1"), -1)
    }

    func testWatchdogIntervalIsHalfOfWatchdogSecAndOnlyForUs() {
        setenv("WATCHDOG_USEC", "10000000", 1)
        defer { unsetenv("WATCHDOG_USEC"); unsetenv("WATCHDOG_PID") }
        XCTAssertEqual(Systemd.watchdogIntervalNs, 5_000_000_000)
        setenv("WATCHDOG_PID", "\(getpid())", 1)
        XCTAssertEqual(Systemd.watchdogIntervalNs, 5_000_000_000)
        setenv("WATCHDOG_PID", "1", 1)
        XCTAssertNil(Systemd.watchdogIntervalNs, "the watchdog variables were meant for another process")
        unsetenv("WATCHDOG_USEC")
        unsetenv("WATCHDOG_PID")
        XCTAssertNil(Systemd.watchdogIntervalNs)
    }
}
