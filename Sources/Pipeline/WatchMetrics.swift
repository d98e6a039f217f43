import Platform

/// Live counters of the daemon, written as Prometheus text (the node_exporter textfile format, or
/// served as is): totals only ever grow while the process runs.
public struct WatchMetrics {
    public var framesCaptured: UInt64 = 0
    public var framesDropped: UInt64 = 0
    public var framesScored = 0
    public var anomalousFrames = 0
    public var alerts = 0
    public var suppressedAlerts = 0
    public var faults = 0
    public var inspectionErrors = 0
    public var cameraLosses = 0
    public var cameraReconnects = 0
    public var cameraRetries = 0
    public var cameraUp = true
    public var triggers = 0
    public var deadlineMisses = 0
    public var imagesSaved = 0
    public var imageBytesSaved = 0
    public var saveSkipped = 0
    public var saveDropped = 0
    public var saveErrors = 0
    public var logWriteErrors = 0
    public var gpioErrors = 0
    public var lastScore: Double = 0
    public var threshold: Double = 0
    public var latency = LatencyWindow()      // capture -> decision, seconds
    public var inference = LatencyWindow()    // preprocessing + inference + scoring, seconds
    public var startedNs: UInt64 = Clock.nanoseconds()

    public init() {}

    public func prometheusText(now: UInt64 = Clock.nanoseconds()) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: String) {
            out += "# HELP edge_inspect_\(name) \(help)\n# TYPE edge_inspect_\(name) \(type)\n"
            out += "edge_inspect_\(name) \(value)\n"
        }
        func counter(_ name: String, _ help: String, _ value: Int) { metric(name, "counter", help, "\(value)") }
        func summary(_ name: String, _ help: String, _ window: LatencyWindow) {
            out += "# HELP edge_inspect_\(name) \(help)\n# TYPE edge_inspect_\(name) summary\n"
            for q in [0.5, 0.9, 0.99] {
                let value = window.quantile(q).map { Format.general($0, 6) } ?? "NaN"
                out += "edge_inspect_\(name){quantile=\"\(Format.general(q, 2))\"} \(value)\n"
            }
            out += "edge_inspect_\(name)_count \(window.count)\n"
        }
        counter("frames_captured_total", "Frames delivered by the camera.", Int(framesCaptured))
        counter("frames_dropped_total", "Frames replaced by a newer one before inference took them.", Int(framesDropped))
        counter("frames_scored_total", "Frames scored by the model.", framesScored)
        counter("anomalous_frames_total", "Scored frames above the threshold.", anomalousFrames)
        counter("alerts_total", "Alerts raised (after debounce and cooldown).", alerts)
        counter("alerts_suppressed_total", "Confirmed anomalies held back by the cooldown.", suppressedAlerts)
        counter("faults_total", "Times the fault output was raised.", faults)
        counter("inspection_errors_total", "Frames that could not be scored.", inspectionErrors)
        counter("camera_losses_total", "Times the camera was lost.", cameraLosses)
        counter("camera_reconnects_total", "Times the camera was reopened after a loss.", cameraReconnects)
        counter("camera_retries_total", "Failed tries to reopen a lost camera.", cameraRetries)
        metric("camera_up", "gauge", "1 while frames arrive from the camera.", cameraUp ? "1" : "0")
        counter("triggers_total", "Trigger edges received.", triggers)
        counter("trigger_deadline_misses_total", "Triggered parts without a decision in time.", deadlineMisses)
        counter("images_saved_total", "Alert images written.", imagesSaved)
        counter("image_bytes_saved_total", "Bytes of alert images written.", imageBytesSaved)
        counter("image_saves_skipped_total", "Alert image sets not (fully) written: a cap was reached.", saveSkipped)
        counter("image_saves_dropped_total", "Alert image sets dropped: the disk was still busy.", saveDropped)
        counter("image_save_errors_total", "Alert image writes that failed.", saveErrors)
        counter("log_write_errors_total", "Event log lines that could not be written to the file.", logWriteErrors)
        counter("gpio_errors_total", "GPIO outputs that could not be driven.", gpioErrors)
        metric("last_score", "gauge", "Score of the latest scored frame.", Format.general(lastScore, 6))
        metric("threshold", "gauge", "Score threshold in use.", Format.general(threshold, 6))
        summary("latency_seconds", "Capture to decision, over the last 1024 frames.", latency)
        summary("inference_seconds", "Preprocessing, inference and scoring, over the last 1024 frames.", inference)
        metric("uptime_seconds", "gauge", "Seconds since start.", Format.fixed(Double(now - startedNs) / 1e9, 1))
        return out
    }
}
