import CGPIO
import Platform

/// Which output lines are wired, and how. Any may be nil (not used).
public struct AlertLineSettings {
    public var reject: GPIOLineSpec? = nil
    public var rejectPulseMs: Int = 100
    public var ok: GPIOLineSpec? = nil
    public var ng: GPIOLineSpec? = nil
    public var ready: GPIOLineSpec? = nil
    public var heartbeat: GPIOLineSpec? = nil
    public var heartbeatMs: Int = 500
    public var fault: GPIOLineSpec? = nil
    public var activeLow: Bool = false
    public init() {}
}

/// The GPIO outputs a PLC reads: a reject pulse per alert, OK/NG levels for the latest decision,
/// ready (inspecting) and a heartbeat toggling while frames are scored, and fault (camera lost,
/// inspection failing). Reject pulses are timed on their own thread (CGPIO's pulser): exactly
/// `rejectPulseMs` wide however long scoring takes, each followed by as long a low time, so every
/// alert is its own rising edge. Drive failures are counted, never fatal: inspection goes on.
public final class AlertOutputs {
    private let reject, ok, ng, ready, heartbeat, fault: GPIOLine?
    private let pulser: OpaquePointer?
    private let heartbeatNs: UInt64
    private var nextBeat: UInt64 = 0
    public private(set) var pulsesDropped = 0
    public private(set) var driveErrors = 0
    public private(set) var lastError: String? = nil

    public init(_ s: AlertLineSettings) throws(GPIOError) {
        func line(_ spec: GPIOLineSpec?, _ role: String) throws(GPIOError) -> GPIOLine? {
            guard let spec else { return nil }
            return try GPIOLine(output: spec, role: role, activeLow: s.activeLow)
        }
        let rejectLine = try line(s.reject, "reject")
        reject = rejectLine
        ok = try line(s.ok, "ok")
        ng = try line(s.ng, "ng")
        ready = try line(s.ready, "ready")
        heartbeat = try line(s.heartbeat, "heartbeat")
        fault = try line(s.fault, "fault")
        let width = Int32(max(s.rejectPulseMs, 1))
        pulser = rejectLine.flatMap { ei_gpio_pulser_create($0.fd, width, width) }
        if rejectLine != nil && pulser == nil { throw GPIOError("cannot start the reject pulse thread") }
        heartbeatNs = UInt64(max(s.heartbeatMs, 1)) * 1_000_000
    }

    public var lineCount: Int { [reject, ok, ng, ready, heartbeat, fault].reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
    deinit { if !stoppedPulser { ei_gpio_pulser_destroy(pulser) } }

    /// Queues a reject pulse (`now` is unused: the pulser keeps its own time).
    public func pulseReject(now: UInt64) {
        guard let pulser else { return }
        if ei_gpio_pulser_fire(pulser) == 0 { pulsesDropped += 1 }
    }

    /// Reject pulses given so far.
    public var pulses: Int {
        guard let pulser else { return 0 }
        var given: UInt64 = 0, errors: UInt64 = 0
        ei_gpio_pulser_stats(pulser, &given, &errors)
        return Int(given)
    }

    /// The latest decision: NG high and OK low for a rejected part, the reverse for a good one.
    public func showDecision(reject isReject: Bool) {
        drive(ng, isReject)
        drive(ok, !isReject)
    }

    public func setReady(_ on: Bool) { drive(ready, on) }
    public func setFault(_ on: Bool) { drive(fault, on) }

    /// Toggles the heartbeat while `alive`. Returns nanoseconds until the next toggle (for the
    /// caller's wait), at most 100 ms.
    public func tick(now: UInt64, alive: Bool) -> UInt64 {
        var next: UInt64 = 100_000_000
        if let pulser {
            var given: UInt64 = 0, errors: UInt64 = 0
            ei_gpio_pulser_stats(pulser, &given, &errors)
            if Int(errors) > pulseErrors {
                driveErrors += Int(errors) - pulseErrors
                pulseErrors = Int(errors)
                lastError = "cannot drive the reject line \(reject?.spec.description ?? "")"
            }
        }
        if let heartbeat, alive {
            if now >= nextBeat {
                drive(heartbeat, !heartbeat.value)
                nextBeat = now + heartbeatNs
            }
            next = min(next, nextBeat - now)
        }
        return next
    }

    /// Drives every line low before the requests are released: a stopped daemon shows not ready,
    /// no reject, no OK.
    public func shutDown() {
        if !stoppedPulser { ei_gpio_pulser_destroy(pulser) }   // ends a running pulse with the line low
        stoppedPulser = true
        for line in [ok, ng, ready, heartbeat, fault] { drive(line, false) }
    }
    private var stoppedPulser = false
    private var pulseErrors = 0

    private func drive(_ line: GPIOLine?, _ high: Bool) {
        guard let line else { return }
        do { try line.set(high) } catch {
            driveErrors += 1
            lastError = error.message
        }
    }
}
