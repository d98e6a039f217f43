import Platform

/// Where frames come from: a V4L2 camera, or a folder of images standing in for one. (An enum, not
/// a protocol existential, so it stays inside the Embedded Swift subset.)
public enum FrameSource {
    case camera(V4L2Camera)
    case folder(ImageFolderSource)

    /// Opens what `settings.device` names: "file:<folder>" or a camera (path or "name:<text>").
    public static func open(_ settings: CameraSettings) throws(CameraError) -> FrameSource {
        if settings.device.hasPrefix("file:") {
            return .folder(try ImageFolderSource(folder: String(settings.device.dropFirst(5)), settings: settings))
        }
        return .camera(try V4L2Camera(settings))
    }

    public var geometry: FrameGeometry {
        switch self {
        case .camera(let c): return c.geometry
        case .folder(let f): return f.geometry
        }
    }

    /// One line for the log: what was opened and how it is set up.
    public var summary: String {
        switch self {
        case .camera(let c):
            let rate = c.framesPerSecond > 0 ? " at " + Format.general(c.framesPerSecond, 4) + " fps" : ""
            return "\(c.path) '\(c.card)' \(c.pixelFormat) \(c.sensorWidth)x\(c.sensorHeight)\(rate), inspecting \(c.geometry.width)x\(c.geometry.height)"
        case .folder(let f):
            return "image folder \(f.folder), \(f.geometry.width)x\(f.geometry.height)"
        }
    }

    /// Waits up to `timeoutMs` for a frame and writes it into `target` (`geometry.byteCount` bytes).
    public func read(into target: UnsafeMutablePointer<UInt8>, timeoutMs: Int) throws(CameraError) -> Bool {
        switch self {
        case .camera(let c): return try c.read(into: target, timeoutMs: timeoutMs)
        case .folder(let f): return try f.read(into: target, timeoutMs: timeoutMs)
        }
    }
}
