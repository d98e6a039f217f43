import Camera
import CDaemon
import Platform

/// Something the capture thread wants the inference loop to log and act on.
public final class CaptureEvent {
    public enum Kind { case lost, reconnected, reconnectFailed, frameError }
    public let kind: Kind
    public let message: String
    /// For reconnectFailed: milliseconds until the next try.
    public let retryMs: Int
    /// When it happened (wall clock): the loop may log it later, after a long inference.
    public let wallNs: UInt64
    public let monotonicNs: UInt64
    init(_ kind: Kind, _ message: String, retryMs: Int = 0) {
        self.kind = kind
        self.message = message
        self.retryMs = retryMs
        wallNs = ei_wall_ns()
        monotonicNs = Clock.nanoseconds()
    }
}

/// Reconnection timing: the first retry after `minimumMs`, doubling up to `maximumMs`.
public struct Backoff {
    public let minimumMs: Int, maximumMs: Int
    public private(set) var currentMs: Int
    public init(minimumMs: Int, maximumMs: Int) {
        self.minimumMs = max(minimumMs, 1)
        self.maximumMs = max(maximumMs, self.minimumMs)
        currentMs = self.minimumMs
    }
    /// The delay to wait now; the next one is twice as long (capped).
    public mutating func next() -> Int {
        let delay = currentMs
        currentMs = min(currentMs * 2, maximumMs)
        return delay
    }
    public mutating func reset() { currentMs = minimumMs }
}

/// Reads frames on its own thread as fast as the source delivers them and hands each over through
/// a newest-wins triple buffer: capture never waits for inference, and frames inference had no
/// time for are counted as dropped. When the source fails it is closed and reopened with back-off;
/// what happened reaches the inference loop as events (only that loop logs and drives lines).
public final class CaptureThread {
    public let geometry: FrameGeometry
    private let settings: CameraSettings
    private let frameTimeoutNs: UInt64
    private var backoff: Backoff
    private var source: FrameSource?
    private let buffers: UnsafeMutablePointer<UInt8>
    private let exchange: OpaquePointer
    private let events: OpaquePointer
    private let stopFlag = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    private var thread: UInt64 = 0
    private var consumerBuffer: Int32 = 1

    public init(source: FrameSource, settings: CameraSettings, frameTimeoutMs: Int, backoff: Backoff) {
        self.source = source
        self.settings = settings
        geometry = source.geometry
        frameTimeoutNs = UInt64(max(frameTimeoutMs, 1)) * 1_000_000
        self.backoff = backoff
        buffers = .allocate(capacity: 3 * geometry.byteCount)
        buffers.initialize(repeating: 0, count: 3 * geometry.byteCount)
        exchange = ei_frame_exchange_create()!
        events = ei_mailbox_create(64)!
        stopFlag.initialize(to: 0)
    }

    deinit {
        stop()
        while let item = ei_mailbox_take(events, 0) { Unmanaged<CaptureEvent>.fromOpaque(item).release() }
        ei_mailbox_destroy(events)
        ei_frame_exchange_destroy(exchange)
        buffers.deallocate()
        stopFlag.deallocate()
    }

    public func start() throws(SystemError) {
        let code = ei_thread_start({ context in
            Unmanaged<CaptureThread>.fromOpaque(context!).takeUnretainedValue().captureLoop()
        }, Unmanaged.passUnretained(self).toOpaque(), &thread)
        if code != 0 { throw SystemError("cannot start the capture thread", path: settings.device, errno: code) }
    }

    /// Asks the thread to end and waits for it (it checks the flag at least every 100 ms).
    public func stop() {
        guard thread != 0 else { return }
        ei_atomic_store(stopFlag, 1)
        ei_thread_join(thread)
        thread = 0
        source = nil
    }

    /// Inference side: waits up to `timeoutMs` for a frame newer than the last one taken. The bytes
    /// stay valid until the next call.
    public func take(timeoutMs: Int) -> (frame: UnsafePointer<UInt8>, sequence: UInt64, capturedNs: UInt64)? {
        var sequence: UInt64 = 0, captured: UInt64 = 0
        guard ei_frame_exchange_take(exchange, &consumerBuffer, Int32(timeoutMs), &sequence, &captured) == 1 else {
            return nil
        }
        return (UnsafePointer(buffers + Int(consumerBuffer) * geometry.byteCount), sequence, captured)
    }

    public var published: UInt64 { ei_frame_exchange_published(exchange) }
    public var dropped: UInt64 { ei_frame_exchange_dropped(exchange) }

    public func pendingEvents() -> [CaptureEvent] {
        var result: [CaptureEvent] = []
        while let item = ei_mailbox_take(events, 0) {
            result.append(Unmanaged<CaptureEvent>.fromOpaque(item).takeRetainedValue())
        }
        return result
    }

    private func post(_ event: CaptureEvent) {
        let item = Unmanaged.passRetained(event).toOpaque()
        if ei_mailbox_post(events, item) == 0 { Unmanaged<CaptureEvent>.fromOpaque(item).release() }
    }

    private func captureLoop() {
        var producer: Int32 = 0
        var sequence: UInt64 = 0
        var lastFrame = Clock.nanoseconds()
        var retryAt: UInt64 = 0
        var failuresInARow = 0
        while ei_atomic_load(stopFlag) == 0 {
            let now = Clock.nanoseconds()
            guard let current = source else {
                if now < retryAt {
                    ei_sleep_ms(Int32(min((retryAt - now) / 1_000_000 + 1, 100)))
                    continue
                }
                reconnect(&retryAt)
                lastFrame = Clock.nanoseconds()
                continue
            }
            do {
                let target = buffers + Int(producer) * geometry.byteCount
                if try current.read(into: target, timeoutMs: 100) {
                    sequence += 1
                    lastFrame = Clock.nanoseconds()
                    failuresInARow = 0
                    ei_frame_exchange_publish(exchange, &producer, sequence, lastFrame)
                } else if Clock.nanoseconds() - lastFrame > frameTimeoutNs {
                    lose("no frame from \(settings.device) for \(frameTimeoutNs / 1_000_000) ms", &retryAt)
                }
            } catch {
                failuresInARow += 1
                if error.lost || failuresInARow >= 10 {
                    lose(error.message, &retryAt)
                } else {
                    post(CaptureEvent(.frameError, error.message))
                }
            }
        }
    }

    private func lose(_ reason: String, _ retryAt: inout UInt64) {
        source = nil   // closes the device, releasing its buffers
        post(CaptureEvent(.lost, reason))
        retryAt = Clock.nanoseconds() + UInt64(backoff.next()) * 1_000_000
    }

    private func reconnect(_ retryAt: inout UInt64) {
        do throws(CameraError) {
            let reopened = try FrameSource.open(settings)
            guard reopened.geometry == geometry else {
                let g = reopened.geometry
                throw CameraError("it came back delivering \(g.width)x\(g.height)x\(g.channels), not \(geometry.width)x\(geometry.height)x\(geometry.channels)")
            }
            source = reopened
            backoff.reset()
            post(CaptureEvent(.reconnected, reopened.summary))
        } catch {
            let delay = backoff.next()
            retryAt = Clock.nanoseconds() + UInt64(delay) * 1_000_000
            post(CaptureEvent(.reconnectFailed, error.message, retryMs: delay))
        }
    }
}
