import CDaemon
import Imaging
import Platform

/// A camera stand-in: the PNG/JPEG files of a folder, in name order, looping at a fixed rate.
/// The folder is listed again at the start of every pass, so replacing its files changes the
/// scene; a folder that disappears behaves like an unplugged camera. Used for trials without a
/// camera, for replaying recorded parts, and by the tests.
public final class ImageFolderSource {
    public let folder: String
    public let geometry: FrameGeometry
    private let region: RegionOfInterest?
    private let interval: UInt64
    private var files: [String] = []
    private var next = 0
    private var due: UInt64 = 0

    public init(folder: String, settings: CameraSettings) throws(CameraError) {
        self.folder = folder
        let fps = settings.framesPerSecond > 0 ? settings.framesPerSecond : 10
        interval = UInt64(1e9 / fps)
        region = settings.region
        files = try ImageFolderSource.list(folder)
        let first = try ImageFolderSource.load(Path.join(folder, files[0]), channels: settings.channels)
        if let r = settings.region {
            guard r.x >= 0, r.y >= 0, r.width > 0, r.height > 0, r.x + r.width <= first.width,
                  r.y + r.height <= first.height else {
                throw CameraError("region of interest \(r.x),\(r.y),\(r.width),\(r.height) is outside the \(first.width)x\(first.height) images of '\(folder)'")
            }
            geometry = FrameGeometry(width: r.width, height: r.height, channels: settings.channels)
        } else {
            geometry = FrameGeometry(width: first.width, height: first.height, channels: settings.channels)
        }
        fullWidth = first.width
        fullHeight = first.height
    }

    private let fullWidth: Int, fullHeight: Int

    /// Waits until the next frame is due (at most `timeoutMs`), then decodes it into `target`.
    public func read(into target: UnsafeMutablePointer<UInt8>, timeoutMs: Int) throws(CameraError) -> Bool {
        let now = Clock.nanoseconds()
        if due == 0 { due = now }
        if now < due {
            let wait = min(Int((due - now) / 1_000_000) + 1, max(timeoutMs, 0))
            ei_sleep_ms(Int32(wait))
            if Clock.nanoseconds() < due { return false }
        }
        due = max(due + interval, Clock.nanoseconds() - interval)   // no burst after a stall
        if next >= files.count {
            files = try ImageFolderSource.list(folder)
            next = 0
        }
        let path = Path.join(folder, files[next])
        next += 1
        let image = try ImageFolderSource.load(path, channels: geometry.channels)
        guard image.width == fullWidth, image.height == fullHeight else {
            throw CameraError("'\(path)' is \(image.width)x\(image.height); the images of '\(folder)' must all be \(fullWidth)x\(fullHeight)")
        }
        let r = region ?? RegionOfInterest(x: 0, y: 0, width: fullWidth, height: fullHeight)
        let channels = geometry.channels, plane = fullWidth * fullHeight
        image.pixels.withUnsafeBufferPointer { pixels in
            let source = pixels.baseAddress!
            for row in 0..<r.height {
                for column in 0..<r.width {
                    let from = (r.y + row) * fullWidth + r.x + column
                    let to = (row * r.width + column) * channels
                    for channel in 0..<channels {
                        let value = source[channel * plane + from]
                        target[to + channel] = UInt8(max(0, min(255, value * 255 + 0.5)))
                    }
                }
            }
        }
        return true
    }

    static func list(_ folder: String) throws(CameraError) -> [String] {
        var names: [String] = []
        let code = withUnsafeMutablePointer(to: &names) { pointer in
            ei_list_directory(folder, { context, name, _ in
                let text = String(cString: name!)
                let lower = text.lowercased()
                if lower.hasSuffix(".png") || lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg") {
                    context!.assumingMemoryBound(to: [String].self).pointee.append(text)
                }
            }, pointer)
        }
        if code != 0 { throw CameraError.system("cannot read image folder '\(folder)'", code) }
        guard !names.isEmpty else { throw CameraError("image folder '\(folder)' has no .png or .jpg files", lost: true) }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func load(_ path: String, channels: Int) throws(CameraError) -> Image {
        let image: Image
        do { image = try ImageIO.load(path: path) } catch { throw CameraError(error.message) }
        return channels == 1 ? image.gray() : image.rgb()
    }
}
