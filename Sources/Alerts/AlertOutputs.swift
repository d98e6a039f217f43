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
/// inspection failing). Pulses end (and queued ones start) from `tick`, which the loop calls at least every 100 ms, so
/// nothing here sleeps. Drive failures are counted, never fatal: inspection goes on.
public final class AlertOutputs {
    private let reject, ok, ng, ready, heartbeat, fault: GPIOLine?
    private let pulseNs: UInt64, heartbeatNs: UInt64
    private var pulseEnds: UInt64 = 0     // reject is high until then (0: low)
    private var lowUntil: UInt64 = 0      // after a pulse, reject stays low until then
    private var pendingPulses = 0         // alerts whose pulse has not started yet
    private var nextBeat: UInt64 = 0
    public private(set) var driveErrors = 0
    public private(set) var lastError: String? = nil

    public init(_ s: AlertLineSettings) throws(GPIOError) {
        func line(_ spec: GPIOLineSpec?, _ role: String) throws(GPIOError) -> GPIOLine? {
            guard let spec else { return nil }
            return try GPIOLine(output: spec, role: role, activeLow: s.activeLow)
        }
        reject = try line(s.reject, "reject")
        ok = try line(s.ok, "ok")
        ng = try line(s.ng, "ng")
        ready = try line(s.ready, "ready")
        heartbeat = try line(s.heartbeat, "heartbeat")
        fault = try line(s.fault, "fault")
        pulseNs = UInt64(max(s.rejectPulseMs, 1)) * 1_000_000
        heartbeatNs = UInt64(max(s.heartbeatMs, 1)) * 1_000_000
    }

    public var lineCount: Int { [reject, ok, ng, ready, heartbeat, fault].reduce(0) { $0 + ($1 == nil ? 0 : 1) } }
    public var rejectActive: Bool { reject?.value ?? false }

    /// One reject pulse per alert: a PLC counts rising edges, so an alert that comes while a pulse
    /// is high (or while the line is in the low gap after one) is queued, never merged into it.
    /// Pulses end from `tick`; when scoring a frame takes longer than the pulse width, the pulse
    /// lasts until the next tick, and the low gap after it is the pulse width again.
    public func pulseReject(now: UInt64) {
        pendingPulses += 1
        _ = advancePulses(now)
    }

    /// Ends a due pulse, starts a queued one after its gap; returns when it is next due (0: nothing).
    private func advancePulses(_ now: UInt64) -> UInt64 {
        if pulseEnds != 0, now >= pulseEnds {
            pulseEnds = 0
            drive(reject, false)
            lowUntil = now + pulseNs
        }
        if pulseEnds == 0, pendingPulses > 0, now >= lowUntil {
            pendingPulses -= 1
            pulseEnds = now + pulseNs
            drive(reject, true)
        }
        if pulseEnds != 0 { return pulseEnds }
        return pendingPulses > 0 ? lowUntil : 0
    }

    /// The latest decision: NG high and OK low for a rejected part, the reverse for a good one.
    public func showDecision(reject isReject: Bool) {
        drive(ng, isReject)
        drive(ok, !isReject)
    }

    public func setReady(_ on: Bool) { drive(ready, on) }
    public func setFault(_ on: Bool) { drive(fault, on) }

    /// Ends a due reject pulse; toggles the heartbeat while `alive`. Returns nanoseconds until the
    /// next thing due (for the caller's wait), at most 100 ms.
    public func tick(now: UInt64, alive: Bool) -> UInt64 {
        var next: UInt64 = 100_000_000
        let due = advancePulses(now)
        if due > now { next = min(next, due - now) }
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
        for line in [reject, ok, ng, ready, heartbeat, fault] { drive(line, false) }
    }

    private func drive(_ line: GPIOLine?, _ high: Bool) {
        guard let line else { return }
        do { try line.set(high) } catch {
            driveErrors += 1
            lastError = error.message
        }
    }
}
