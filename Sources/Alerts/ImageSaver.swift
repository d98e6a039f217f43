import CDaemon
import CPlatform
import Imaging
import Platform

/// What to save for one alert: the frame, its anomaly map (drawn as a heatmap), and the frames
/// scored just before it. Bytes are 8-bit interleaved, as captured.
public final class SaveRequest {
    public let name: String
    public let width: Int, height: Int, channels: Int
    public let frame: [UInt8]
    public let context: [[UInt8]]
    public let map: [Float]
    public let mapWidth: Int, mapHeight: Int
    public let heatmapMax: Float

    public init(name: String, width: Int, height: Int, channels: Int, frame: [UInt8], context: [[UInt8]],
                map: [Float], mapWidth: Int, mapHeight: Int, heatmapMax: Float) {
        self.name = name
        self.width = width
        self.height = height
        self.channels = channels
        self.frame = frame
        self.context = context
        self.map = map
        self.mapWidth = mapWidth
        self.mapHeight = mapHeight
        self.heatmapMax = heatmapMax
    }
}

/// How a save went, reported back to the inference loop (which logs it and counts it).
public final class SaveOutcome {
    public let name: String
    public var files: [String] = []
    public var bytes = 0
    /// Why nothing (or not everything) was written: a cap, or the disk's error.
    public var skipped: String? = nil
    public var error: String? = nil
    init(name: String) { self.name = name }
}

/// Writes alert images on its own thread, so a full or slow disk never holds up inspection: a
/// request that finds the queue full is dropped and counted at once. Caps on files and bytes in the
/// folder (counting what was there at start) bound the disk use; past them, saves are skipped and
/// reported until files are removed. Only the inference loop calls the public methods.
public final class ImageSaver {
    public let folder: String
    public let maxFiles: Int, maxBytes: Int
    private let requests: OpaquePointer
    private let outcomes: OpaquePointer
    private var thread: UInt64 = 0
    private let stopping = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    // Owned by the writer thread once it runs.
    private var usedFiles = 0, usedBytes = 0
    public private(set) var dropped = 0
    /// Files and bytes in the folder at start (what the caps count from).
    public let initialFiles: Int, initialBytes: Int

    public init(folder: String, maxFiles: Int, maxBytes: Int, queue: Int) throws(SystemError) {
        try FileSystem.makeDirectories(folder)
        self.folder = folder
        self.maxFiles = maxFiles
        self.maxBytes = maxBytes
        requests = ei_mailbox_create(Int32(max(queue, 1)))!
        outcomes = ei_mailbox_create(256)!
        stopping.initialize(to: 0)
        var usage = (files: 0, bytes: 0)
        let code = withUnsafeMutablePointer(to: &usage) { pointer in
            ei_list_directory(folder, { context, _, bytes in
                let u = context!.assumingMemoryBound(to: (files: Int, bytes: Int).self)
                u.pointee.files += 1
                u.pointee.bytes += Int(bytes)
            }, pointer)
        }
        if code != 0 { throw SystemError("cannot read", path: folder, errno: code) }
        (usedFiles, usedBytes) = usage
        (initialFiles, initialBytes) = usage
        let started = ei_thread_start({ context in
            Unmanaged<ImageSaver>.fromOpaque(context!).takeUnretainedValue().writerLoop()
        }, Unmanaged.passUnretained(self).toOpaque(), &thread)
        if started != 0 { throw SystemError("cannot start the image writer thread", path: folder, errno: started) }
    }


    /// Queues a request; false (and counted as dropped) when the writer is still busy with earlier ones.
    public func submit(_ request: SaveRequest) -> Bool {
        let item = Unmanaged.passRetained(request).toOpaque()
        if ei_mailbox_post(requests, item) == 1 { return true }
        Unmanaged<SaveRequest>.fromOpaque(item).release()
        dropped += 1
        return false
    }

    /// Outcomes finished since the last call.
    public func finished() -> [SaveOutcome] {
        var result: [SaveOutcome] = []
        while let item = ei_mailbox_take(outcomes, 0) {
            result.append(Unmanaged<SaveOutcome>.fromOpaque(item).takeRetainedValue())
        }
        return result
    }

    /// Stops the writer: the save in progress completes, queued ones are abandoned (counted as dropped).
    public func stop() -> [SaveOutcome] {
        guard thread != 0 else { return [] }
        ei_atomic_store(stopping, 1)
        ei_mailbox_close(requests)
        ei_thread_join(thread)
        thread = 0
        return finished()
    }

    deinit {
        _ = stop()
        while let item = ei_mailbox_take(requests, 0) { Unmanaged<SaveRequest>.fromOpaque(item).release() }
        while let item = ei_mailbox_take(outcomes, 0) { Unmanaged<SaveOutcome>.fromOpaque(item).release() }
        ei_mailbox_destroy(requests)
        ei_mailbox_destroy(outcomes)
        stopping.deallocate()
    }

    private func writerLoop() {
        while true {
            guard let item = ei_mailbox_take(requests, 200) else {
                if ei_atomic_load(stopping) != 0 { return }
                continue
            }
            let request = Unmanaged<SaveRequest>.fromOpaque(item).takeRetainedValue()
            if ei_atomic_load(stopping) != 0 {
                let outcome = SaveOutcome(name: request.name)
                outcome.skipped = "stopping"
                report(outcome)
                continue
            }
            report(write(request))
        }
    }

    private func report(_ outcome: SaveOutcome) {
        let item = Unmanaged.passRetained(outcome).toOpaque()
        if ei_mailbox_post(outcomes, item) == 0 { Unmanaged<SaveOutcome>.fromOpaque(item).release() }
    }

    /// Writes frame, heatmap and context frames, each only while the caps allow it.
    func write(_ request: SaveRequest) -> SaveOutcome {
        let outcome = SaveOutcome(name: request.name)
        let frame = ImageSaver.image(request.frame, request)
        var pictures: [(String, Image)] = [("frame", frame)]
        let heatmap = request.map.withUnsafeBufferPointer {
            Heatmap.render(map: $0, mapWidth: request.mapWidth, mapHeight: request.mapHeight, over: frame,
                           maxValue: request.heatmapMax, alpha: 0.5)
        }
        pictures.append(("heatmap", heatmap))
        for (index, bytes) in request.context.enumerated() {
            pictures.append(("context-\(index + 1)", ImageSaver.image(bytes, request)))
        }
        for (suffix, picture) in pictures {
            if usedFiles >= maxFiles || usedBytes >= maxBytes {
                outcome.skipped = "cap reached: \(usedFiles) files, \(usedBytes) bytes in \(folder) (limits \(maxFiles) files, \(maxBytes) bytes)"
                break
            }
            let path = Path.join(folder, "\(request.name)-\(suffix).png")
            do { try ImageIO.savePNG(picture, path: path) } catch {
                outcome.error = error.message
                _ = ei_remove(path)   // no half-written file left to count or confuse
                break
            }
            let bytes = max(Int(ei_file_size(path)), 0)
            usedFiles += 1
            usedBytes += bytes
            outcome.bytes += bytes
            outcome.files.append(path)
        }
        return outcome
    }

    static func image(_ bytes: [UInt8], _ r: SaveRequest) -> Image {
        let plane = r.width * r.height
        var pixels = [Float](repeating: 0, count: plane * r.channels)
        for i in 0..<plane {
            for c in 0..<r.channels { pixels[c * plane + i] = Float(bytes[i * r.channels + c]) / 255 }
        }
        return Image(width: r.width, height: r.height, channels: r.channels, pixels: pixels)
    }
}
