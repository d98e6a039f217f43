import Alerts
import Kernels
import Camera
import Inspection
import ModelFile
import Pipeline
import Platform

/// `edge-inspect watch`: the inspection daemon (camera -> model -> GPIO / log / images).
enum WatchCommand {
    static var help: String {
        var text = """
            edge-inspect watch: inspect camera frames continuously, raise alerts on GPIO lines and in a log

            Usage: edge-inspect watch --config FILE [--KEY VALUE]... [--check]
                   edge-inspect watch --model MODEL --camera DEVICE [--KEY VALUE]...

            The config file has one 'key = value' per line; lines starting with '#' are comments.
            Every key is also a flag, with dashes for underscores (reject_pulse_ms: --reject-pulse-ms),
            and flags override the file. Sizes take K, M, G suffixes; booleans are true/false.

              --config FILE      read keys from FILE first
              --check            validate the configuration, open the model, camera and GPIO lines, then exit
              --help             this text

            Keys:

            """
        for (key, meaning) in WatchConfig.keys {
            var name = "  " + key
            while name.count < 24 { name += " " }
            text += name + meaning + "\n"
        }
        text += """

            Events go to stdout (and log_file) as JSON lines: start, alert, images_saved, camera_lost,
            camera_retry, camera_reconnected, fault, fault_cleared, deadline_miss, frame_error, gpio_error,
            status_error, frame (only with log_frames), stop. docs/watch.md describes each.
            Under systemd (Type=notify) it sends READY=1, WATCHDOG=1 every WatchdogSec/2, and STOPPING=1.
            SIGTERM or SIGINT stop it within a second, lines driven low and released.
            Exit codes: 0 stopped by a signal or max_frames, 2 bad configuration or startup failure.
            """
        return text
    }

    static func run(_ rawArgs: ArraySlice<String>) -> Int32 {
        if rawArgs.contains("--help") { Console.out(help); return ExitCode.ok }
        var config = WatchConfig()
        var check = false
        do throws(ConfigError) {
            var flags: [(name: String, value: String)] = []
            var configPath: String? = nil
            var rest = rawArgs
            while let arg = rest.popFirst() {
                if arg == "--check" { check = true; continue }
                guard arg.hasPrefix("--") else { throw ConfigError("unexpected argument '\(arg)'") }
                guard let value = rest.popFirst() else { throw ConfigError("\(arg) needs a value") }
                if arg == "--config" { configPath = value; continue }
                let key = String(String(arg.dropFirst(2)).map { $0 == "-" ? "_" : $0 })
                guard WatchConfig.isKey(key) else { throw ConfigError("unknown option \(arg)") }
                flags.append((arg, value))
            }
            if let configPath {
                let file: MappedFile
                do { file = try MappedFile(path: configPath) } catch { throw ConfigError(error.message) }
                try config.load(text: String(decoding: file.bytes, as: UTF8.self), origin: configPath)
            }
            try config.apply(flags: flags)
            try config.validate()
        } catch {
            Console.err("edge-inspect watch: \(error.message)\nRun 'edge-inspect watch --help' for the keys.")
            return ExitCode.error
        }
        return start(config, checkOnly: check)
    }

    static func fail(_ message: String) -> Int32 {
        Console.err("edge-inspect watch: \(message)")
        return ExitCode.error
    }

    static func start(_ config: WatchConfig, checkOnly: Bool) -> Int32 {
        let inspector: Inspector
        do {
            inspector = try Inspector(modelPath: config.model, threshold: config.threshold,
                                      threads: config.threads > 0 ? config.threads : min(ThreadPoolSize.cores, 64))
        } catch {
            return fail(error.message)
        }
        var camera = config.camera
        camera.channels = inspector.model.metadata.inputChannels
        // Optional so this function can let go of it: once the capture thread owns the camera, a
        // reference kept here would hold the device open after it is lost (and the driver could not
        // be unloaded or rebound).
        var source: FrameSource?
        do { source = try FrameSource.open(camera) } catch { return fail(error.message) }
        let summary = source!.summary

        let outputs: AlertOutputs?
        let trigger: GPIOLine?
        do throws(GPIOError) {
            let l = config.lines
            let any = [l.reject, l.ok, l.ng, l.ready, l.heartbeat, l.fault].contains { $0 != nil }
            outputs = any ? try AlertOutputs(l) : nil
            if config.trigger == .gpio, let spec = config.triggerLine {
                trigger = try GPIOLine(edgeInput: spec, role: "trigger", activeLow: l.activeLow,
                                       edges: config.triggerEdges, debounceMicroseconds: config.triggerDebounceUs)
            } else {
                trigger = nil
            }
        } catch {
            return fail(error.message)
        }
        if checkOnly {
            Console.out("configuration ok: model \(config.model), camera \(summary), \(outputs?.lineCount ?? 0) output lines\(trigger == nil ? "" : ", trigger input")")
            return ExitCode.ok
        }

        let log = EventLog(path: config.logFile, maxBytes: config.logMaxBytes, keep: config.logKeep,
                           stdout: config.logStdout)
        let saver: ImageSaver?
        do {
            saver = try config.saveDir.map { (dir) throws(SystemError) in
                try ImageSaver(folder: dir, maxFiles: config.saveMaxFiles, maxBytes: config.saveMaxBytes,
                               queue: config.saveQueue)
            }
        } catch {
            return fail(error.message)
        }
        let signals = StopSignals.install()
        if signals != 0 { return fail("cannot install signal handlers (errno \(signals))") }
        let capture = CaptureThread(source: source!, settings: camera, frameTimeoutMs: config.frameTimeoutMs,
                                    backoff: Backoff(minimumMs: config.reconnectMinMs, maximumMs: config.reconnectMaxMs))
        source = nil
        log.write(LogEvent("start").with("model", config.model).with("camera", summary)
            .with("threshold", Double(inspector.threshold)).with("threads", inspector.threads)
            .with("trigger", config.trigger == .gpio ? "gpio" : "free")
            .with("debounce", "\(config.debounceRequired)/\(config.debounceWindow)")
            .with("cooldown_ms", config.cooldownMs).with("gpio_outputs", outputs?.lineCount ?? 0))
        do { try capture.start() } catch { return fail(error.message) }
        let loop = WatchLoop(config: config, inspector: inspector, capture: capture, outputs: outputs,
                             trigger: trigger, log: log, saver: saver)
        _ = loop.run()
        return ExitCode.ok
    }
}

/// Cores online, the default thread count (same rule as the score command).
enum ThreadPoolSize {
    static var cores: Int { ThreadPool.coreCount }
}
