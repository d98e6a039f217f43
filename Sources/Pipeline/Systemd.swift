import CDaemon

/// systemd's service notification protocol without libsystemd: datagrams to $NOTIFY_SOCKET.
/// Outside systemd (no $NOTIFY_SOCKET) every call is a no-op.
public enum Systemd {
    /// Sends one notification, e.g. "READY=1". Returns 0, -1 without systemd, or errno.
    @discardableResult
    public static func notify(_ message: String) -> Int32 { ei_sd_notify(message) }

    /// How often to send WATCHDOG=1: half of WatchdogSec, as sd_watchdog_enabled(3) advises; nil when
    /// no watchdog is asked for.
    public static var watchdogIntervalNs: UInt64? {
        let usec = ei_watchdog_usec()
        return usec > 0 ? usec * 1000 / 2 : nil
    }
}

/// SIGTERM and SIGINT set a flag; the loops poll it (every wait in the daemon has a timeout).
public enum StopSignals {
    public static func install() -> Int32 { ei_install_stop_signals() }
    /// The signal number that asked to stop, or nil.
    public static var received: Int32? {
        let s = ei_stop_signal()
        return s == 0 ? nil : s
    }
    public static func request(_ signal: Int32) { ei_request_stop(signal) }
}
