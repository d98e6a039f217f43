import Alerts
import Camera
import CDaemon
import Imaging
import Inspection
import ModelFile
import Platform

/// The inspection daemon's main loop: newest frame -> score -> debounce/cooldown -> GPIO, log,
/// images; plus the systemd watchdog, the status file and camera loss handling. Everything here
/// runs on one thread; capture and image writing have their own. Every wait is at most 100 ms, so
/// a stop signal is honoured within a fraction of a second.
public final class WatchLoop {
    let config: WatchConfig
    let inspector: Inspector
    let capture: CaptureThread
    let outputs: AlertOutputs?
    let trigger: GPIOLine?
    let log: EventLog
    let saver: ImageSaver?
    public private(set) var metrics = WatchMetrics()
    private var policy: AlertPolicy
    private var context: [[UInt8]] = []           // the last frames scored, oldest first
    private var failing = false                   // the last frame could not be scored
    private var pendingTrigger: UInt64? = nil
    private var watchdogDue: UInt64 = 0
    private var statusDue: UInt64 = 0
    private var statusFailed = false
    private var lastRetry: (reason: String, atNs: UInt64)? = nil

    public init(config: WatchConfig, inspector: Inspector, capture: CaptureThread, outputs: AlertOutputs?,
                trigger: GPIOLine?, log: EventLog, saver: ImageSaver?) {
        self.config = config
        self.inspector = inspector
        inspector.mapEveryFrame = false   // the map is smoothed only for alerts (`completeMap` below)
        self.capture = capture
        self.outputs = outputs
        self.trigger = trigger
        self.log = log
        self.saver = saver
        policy = AlertPolicy(required: config.debounceRequired, window: config.debounceWindow,
                             cooldownNs: UInt64(config.cooldownMs) * 1_000_000)
        metrics.threshold = Double(inspector.threshold)
    }

    /// Runs until SIGTERM/SIGINT or `max_frames`; returns the signal that stopped it (0 for max_frames).
    public func run() -> Int32 {
        warmUp()
        outputs?.setFault(false)
        outputs?.showDecision(reject: false)
        outputs?.setReady(true)
        Systemd.notify("READY=1\nSTATUS=inspecting")
        let watchdog = Systemd.watchdogIntervalNs
        while StopSignals.received == nil {
            if config.maxFrames > 0 && metrics.framesScored >= config.maxFrames { break }
            let now = Clock.nanoseconds()
            handleCaptureEvents()
            handleSaveOutcomes(saver?.finished() ?? [])
            if let watchdog, now >= watchdogDue {
                Systemd.notify("WATCHDOG=1")
                watchdogDue = now + watchdog
            }
            if now >= statusDue {
                writeStatus()
                statusDue = now + UInt64(config.statusIntervalMs) * 1_000_000
            }
            let untilDue = outputs?.tick(now: now, alive: metrics.cameraUp) ?? 100_000_000
            let waitMs = Int(max(min(untilDue, 100_000_000), 1_000_000) / 1_000_000)
            switch config.trigger {
            case .free:
                if let frame = capture.take(timeoutMs: waitMs) { score(frame.frame, frame.sequence, frame.capturedNs) }
            case .gpio:
                triggeredStep(waitMs: waitMs)
            }
        }
        let signal = StopSignals.received ?? 0
        Systemd.notify("STOPPING=1")
        capture.stop()
        handleCaptureEvents()
        handleSaveOutcomes(saver?.stop() ?? [])
        outputs?.shutDown()
        note(outputs?.driveErrors ?? 0)
        log.write(LogEvent("stop").with("reason", signal == 0 ? "max_frames" : "signal \(signal)")
            .with("frames_scored", metrics.framesScored).with("alerts", metrics.alerts))
        writeStatus()
        return signal
    }

    /// Scores one blank frame of the camera's size before READY=1 and discards the result. The
    /// first frame of a size plans the engine's buffers and measures its kernels (0.2 s on x86 at
    /// 256x256, 0.7 s at 512x512, seconds on a board or under emulation): done here, it falls under
    /// systemd's start timeout instead of the first watchdog interval, and not on the first
    /// triggered part's deadline.
    private func warmUp() {
        let g = capture.geometry
        let blank = [UInt8](repeating: 0, count: g.byteCount)
        let image = blank.withUnsafeBufferPointer { WatchLoop.image($0.baseAddress!, g) }
        let start = Clock.nanoseconds()
        var failure: String? = nil
        do { _ = try inspector.inspect(image) } catch { failure = error.message }
        var event = LogEvent("warm_up").with("ms", Double(Clock.nanoseconds() - start) / 1e6, digits: 4)
        if let failure { event = event.with("reason", failure) }   // the frames will report it too
        log.write(event)
    }

    // MARK: triggered mode

    /// One part per edge: wait for the edge, then for the first frame captured after it; the
    /// decision must come within the deadline, or the part counts as missed.
    private func triggeredStep(waitMs: Int) {
        guard let trigger else { return }
        if let edge = pendingTrigger {
            let deadline = edge + UInt64(config.triggerDeadlineMs) * 1_000_000
            let now = Clock.nanoseconds()
            if now >= deadline {
                missDeadline(edge, reason: "no frame captured after the trigger in time")
                return
            }
            let wait = min(waitMs, Int((deadline - now) / 1_000_000) + 1)
            guard let frame = capture.take(timeoutMs: wait), frame.capturedNs >= edge else { return }
            pendingTrigger = nil
            score(frame.frame, frame.sequence, frame.capturedNs)
            let done = Clock.nanoseconds()
            if done > deadline {
                missDeadline(edge, reason: "decision took \(Format.fixed(Double(done - edge) / 1e6, 1)) ms")
            }
            return
        }
        do {
            if let edge = try trigger.waitForEdge(timeoutMs: waitMs) {
                metrics.triggers += 1
                pendingTrigger = edge
            }
        } catch {
            raiseFault("trigger input failed: \(error.message)")
            ei_sleep_ms(Int32(waitMs))
        }
    }

    private func missDeadline(_ edge: UInt64, reason: String) {
        pendingTrigger = nil
        metrics.deadlineMisses += 1
        log.write(LogEvent("deadline_miss").with("reason", reason).with("deadline_ms", config.triggerDeadlineMs)
            .with("rejected", config.triggerMissRejects))
        if config.triggerMissRejects {
            outputs?.pulseReject(now: Clock.nanoseconds())
            outputs?.showDecision(reject: true)
        }
        _ = edge
    }

    // MARK: scoring

    private func score(_ frame: UnsafePointer<UInt8>, _ sequence: UInt64, _ capturedNs: UInt64) {
        let g = capture.geometry
        let image = WatchLoop.image(frame, g)
        let result: Inspection
        do { result = try inspector.inspect(image) } catch {
            metrics.inspectionErrors += 1
            if !failing {
                failing = true
                raiseFault("cannot score frames: \(error.message)")
            }
            return
        }
        if failing {
            failing = false
            clearFaultIfHealthy("frames are scored again")
        }
        let now = Clock.nanoseconds()
        metrics.framesScored += 1
        metrics.lastScore = Double(result.score)
        metrics.latency.add(Double(now - capturedNs) / 1e9)
        metrics.inference.add(Double(result.nanoseconds) / 1e9)
        if result.anomalous { metrics.anomalousFrames += 1 }
        let decision = policy.decide(anomalous: result.anomalous, now: now)
        outputs?.showDecision(reject: decision.confirmed)
        if decision.suppressed { metrics.suppressedAlerts += 1 }
        let frameBytes = [UInt8](UnsafeBufferPointer(start: frame, count: g.byteCount))
        if config.logFrames {
            log.write(LogEvent("frame").with("sequence", Int(sequence)).with("score", Double(result.score))
                .with("anomalous", result.anomalous).with("ms", Double(result.nanoseconds) / 1e6, digits: 4)
                .with("latency_ms", Double(now - capturedNs) / 1e6, digits: 4))
        }
        if decision.alert {
            metrics.alerts += 1
            outputs?.pulseReject(now: now)
            let name = WatchLoop.alertName(metrics.alerts)
            var event = LogEvent("alert").with("sequence", Int(sequence)).with("score", Double(result.score))
                .with("threshold", Double(result.threshold))
                .with("debounce", "\(config.debounceRequired)/\(config.debounceWindow)")
                .with("latency_ms", Double(now - capturedNs) / 1e6, digits: 4)
            // The saver keeps the map past this frame: copy it out of the reused buffer (alerts only).
            if let saver {
                inspector.completeMap()
                let request = SaveRequest(name: name, width: g.width, height: g.height, channels: g.channels,
                                          frame: frameBytes, context: context.reversed(), map: Array(result.map),
                                          mapWidth: result.mapWidth, mapHeight: result.mapHeight,
                                          heatmapMax: 2 * result.mapThreshold)
                let queued = saver.submit(request)
                event = event.with("images", queued ? name : "dropped: the disk is still busy with earlier alerts")
                if !queued { metrics.saveDropped += 1 }
            }
            log.write(event)
        }
        if config.saveContext > 0 && saver != nil {
            context.append(frameBytes)
            if context.count > config.saveContext { context.removeFirst() }
        }
        note(outputs?.driveErrors ?? 0)
        metrics.logWriteErrors = log.writeErrors
    }

    static func image(_ frame: UnsafePointer<UInt8>, _ g: FrameGeometry) -> Image {
        let plane = g.width * g.height
        let pixels = [Float](unsafeUninitializedCapacity: plane * g.channels) { out, initialized in
            for c in 0..<g.channels {
                let target = out.baseAddress! + c * plane
                for i in 0..<plane { target[i] = Float(frame[i * g.channels + c]) * (1 / 255) }
            }
            initialized = plane * g.channels
        }
        return Image(width: g.width, height: g.height, channels: g.channels, pixels: pixels)
    }

    static func alertName(_ index: Int) -> String {
        let stamp = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            ei_format_utc_compact(ei_wall_ns(), buffer.baseAddress!, 32)
            return String(cString: buffer.baseAddress!)
        }
        return "\(stamp)-alert\(index)"
    }

    // MARK: camera state, faults, saving, status

    private func handleCaptureEvents() {
        metrics.framesCaptured = capture.published
        metrics.framesDropped = capture.dropped
        for event in capture.pendingEvents() {
            switch event.kind {
            case .lost:
                metrics.cameraLosses += 1
                metrics.cameraUp = false
                policy.reset()
                context.removeAll()
                lastRetry = nil
                raiseFault(event.message, event: "camera_lost", wallNs: event.wallNs)
            case .reconnected:
                metrics.cameraReconnects += 1
                metrics.cameraUp = true
                log.write(LogEvent("camera_reconnected", wallNs: event.wallNs).with("camera", event.message)
                    .with("retries", metrics.cameraRetries))
                clearFaultIfHealthy("camera back")
            case .reconnectFailed:
                // Every try is counted; one is logged when the reason changes, then once a minute,
                // so a camera unplugged over a weekend does not fill the log.
                metrics.cameraRetries += 1
                if let last = lastRetry, last.reason == event.message, event.monotonicNs - last.atNs < 60_000_000_000 {
                    break
                }
                lastRetry = (event.message, event.monotonicNs)
                log.write(LogEvent("camera_retry", wallNs: event.wallNs).with("reason", event.message)
                    .with("next_try_ms", event.retryMs).with("retries", metrics.cameraRetries))
            case .frameError:
                log.write(LogEvent("frame_error", wallNs: event.wallNs).with("reason", event.message))
            }
        }
    }

    private func raiseFault(_ reason: String, event: String = "fault", wallNs: UInt64 = ei_wall_ns()) {
        metrics.faults += 1
        outputs?.setFault(true)
        outputs?.setReady(false)
        log.write(LogEvent(event, wallNs: wallNs).with("reason", reason))
        Systemd.notify("STATUS=fault: \(reason)")
    }

    private func clearFaultIfHealthy(_ reason: String) {
        guard metrics.cameraUp && !failing else { return }
        outputs?.setFault(false)
        outputs?.setReady(true)
        log.write(LogEvent("fault_cleared").with("reason", reason))
        Systemd.notify("STATUS=inspecting")
    }

    private func handleSaveOutcomes(_ outcomes: [SaveOutcome]) {
        for outcome in outcomes {
            metrics.imagesSaved += outcome.files.count
            metrics.imageBytesSaved += outcome.bytes
            var event = LogEvent("images_saved").with("name", outcome.name).with(
                "files", strings: outcome.files).with("bytes", outcome.bytes)
            if let skipped = outcome.skipped {
                metrics.saveSkipped += 1
                event = event.with("skipped", skipped)
            }
            if let error = outcome.error {
                metrics.saveErrors += 1
                event = event.with("error", error)
            }
            log.write(event)
        }
    }

    private func note(_ gpioErrors: Int) {
        if gpioErrors > metrics.gpioErrors, let reason = outputs?.lastError {
            log.write(LogEvent("gpio_error").with("reason", reason))
        }
        metrics.gpioErrors = gpioErrors
    }

    private func writeStatus() {
        guard let path = config.statusFile else { return }
        metrics.framesCaptured = capture.published
        metrics.framesDropped = capture.dropped
        metrics.logWriteErrors = log.writeErrors
        do {
            try FileSystem.replace(path, with: Array(metrics.prometheusText().utf8))
            statusFailed = false
        } catch {
            if !statusFailed { log.write(LogEvent("status_error").with("reason", error.message)) }
            statusFailed = true
        }
    }
}
