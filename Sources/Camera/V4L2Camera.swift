import CCamera
import CPlatform
import Platform

/// One V4L2 capture device, set up and streaming. libv4l2 converts what the camera sends (YUYV,
/// MJPEG, RGB, GREY, ...) to gray or RGB; the optional region of interest is cut out here.
public final class V4L2Camera {
    public let path: String
    public let card: String
    /// The camera's full frame, and what `read` delivers (the region when one is set).
    public let sensorWidth: Int, sensorHeight: Int
    public let geometry: FrameGeometry
    public let framesPerSecond: Double
    /// What is read from libv4l2: "GREY", "YU12" (its Y plane) or "RGB3".
    public let pixelFormat: String
    private let camera: OpaquePointer
    private let stride: Int
    private let region: RegionOfInterest

    public init(_ settings: CameraSettings) throws(CameraError) {
        let path = try V4L2Camera.resolve(settings.device)
        var handle: OpaquePointer? = nil
        let code = ei_camera_open(path, &handle)
        guard code == 0, let handle else { throw CameraError.system("cannot open camera '\(path)'", code) }
        camera = handle
        self.path = path
        var identity = ei_camera_identity()
        let identified = ei_camera_identify(handle, &identity)
        card = identified == 0 ? V4L2Camera.text(&identity.card) : "?"
        // From here on, a throw must close the device: deinit does not run for a half-built object.
        do throws(CameraError) {
            guard identified == 0 else { throw CameraError.system("'\(path)' is not a V4L2 device", identified) }
            guard identity.can_capture != 0 else {
                throw CameraError("'\(path)' (\(card)) is not a video capture device with streaming I/O")
            }
            // Gray: the camera's own GREY when it has one; otherwise the Y plane of planar YUV 4:2:0,
            // which libv4lconvert produces from any format (it has no GREY output of its own).
            // Colour: RGB24, which libv4lconvert always produces.
            let choices: [UInt32] = settings.channels == 1 ? [V4L2Camera.fourcc("GREY"), V4L2Camera.fourcc("YU12")]
                                                           : [V4L2Camera.fourcc("RGB3")]
            var width: UInt32 = 0, height: UInt32 = 0, stride: UInt32 = 0
            var set: Int32 = 0
            var chosen = choices[0]
            for fourcc in choices {
                (width, height) = settings.width > 0 ? (UInt32(settings.width), UInt32(settings.height)) : (640, 480)
                set = ei_camera_set_format(handle, fourcc, &width, &height, &stride)
                chosen = fourcc
                if set == 0 { break }
            }
            pixelFormat = CameraCapabilities.fourccText(chosen)
            guard set == 0 else {
                throw CameraError.system("'\(path)' (\(card)) cannot deliver \(settings.channels == 1 ? "gray" : "RGB") frames", set)
            }
            if settings.width > 0, (Int(width), Int(height)) != (settings.width, settings.height) {
                throw CameraError("'\(path)' (\(card)) cannot capture \(settings.width)x\(settings.height); nearest is \(width)x\(height) (see 'edge-inspect cameras')")
            }
            sensorWidth = Int(width)
            sensorHeight = Int(height)
            self.stride = Int(stride) > 0 ? Int(stride) : Int(width) * settings.channels
            var fps = settings.framesPerSecond
            if fps > 0 {
                let rate = ei_camera_set_frame_rate(handle, &fps)
                if rate != 0 && rate != 95 /* ENOTSUP: the driver has no rate control */ {
                    throw CameraError.system("'\(path)' cannot set \(Format.fixed(settings.framesPerSecond, 1)) frames per second", rate)
                }
            }
            framesPerSecond = fps
            let full = RegionOfInterest(x: 0, y: 0, width: Int(width), height: Int(height))
            let region = settings.region ?? full
            guard region.x >= 0, region.y >= 0, region.width > 0, region.height > 0,
                  region.x + region.width <= Int(width), region.y + region.height <= Int(height) else {
                throw CameraError("region of interest \(region.x),\(region.y),\(region.width),\(region.height) is outside the \(width)x\(height) frame")
            }
            self.region = region
            geometry = FrameGeometry(width: region.width, height: region.height, channels: settings.channels)
            try V4L2Camera.applyControls(handle, settings, path: path)
            let started = ei_camera_start(handle, Int32(settings.buffers))
            guard started == 0 else { throw CameraError.system("cannot start streaming from '\(path)'", started) }
        } catch {
            ei_camera_close(handle)
            throw error
        }
    }

    deinit { ei_camera_close(camera) }

    /// Waits up to `timeoutMs` for the next frame and copies it (its region) into `target`
    /// (`geometry.byteCount` bytes). Returns false on timeout.
    public func read(into target: UnsafeMutablePointer<UInt8>, timeoutMs: Int) throws(CameraError) -> Bool {
        var data: UnsafePointer<UInt8>? = nil
        var bytes = 0
        var sequence: UInt32 = 0
        let got = ei_camera_next_frame(camera, Int32(timeoutMs), &data, &bytes, &sequence)
        if got < 0 { throw CameraError.system("camera '\(path)' (\(card)) failed", -got) }
        guard got == 1, let data else { return false }
        defer { _ = ei_camera_release(camera) }
        let needed = (sensorHeight - 1) * stride + sensorWidth * geometry.channels
        guard bytes >= needed else {
            throw CameraError("camera '\(path)' delivered a short frame (\(bytes) of \(needed) bytes)")
        }
        region.copy(from: data, stride: stride, channels: geometry.channels, into: target)
        return true
    }

    /// A device path, or the first capture device whose card name contains the text after "name:".
    public static func resolve(_ device: String) throws(CameraError) -> String {
        guard device.hasPrefix("name:") else { return device }
        let wanted = String(device.dropFirst(5))
        var seen: [String] = []
        for listing in CameraListing.all() where listing.canCapture {
            if V4L2Camera.text(listing.card, contains: wanted) { return listing.path }
            seen.append("'\(listing.card)' (\(listing.path))")
        }
        let found = seen.isEmpty ? "no capture devices were found" : "found: " + seen.joined(separator: ", ")
        throw CameraError("no camera whose name contains '\(wanted)'; \(found)", lost: true)
    }

    /// Substring test on UTF-8 bytes (String.contains(String) needs Foundation or the regex module).
    static func text(_ text: String, contains part: String) -> Bool {
        let haystack = Array(text.utf8), needle = Array(part.utf8)
        if needle.isEmpty { return true }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    static func fourcc(_ code: StaticString) -> UInt32 {
        let p = code.utf8Start
        return UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
    }

    static func text<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func applyControls(_ handle: OpaquePointer, _ settings: CameraSettings, path: String) throws(CameraError) {
        if let exposure = settings.exposure {
            let code = ei_camera_fix_exposure(handle, Int64(exposure))
            if code != 0 { throw CameraError.system("'\(path)' cannot fix the exposure at \(exposure)", code) }
        }
        if let gain = settings.gain {
            let code = ei_camera_fix_gain(handle, Int64(gain))
            if code != 0 { throw CameraError.system("'\(path)' cannot fix the gain at \(gain)", code) }
        }
        for control in settings.controls {
            var id: UInt32 = 0
            var minimum: Int64 = 0, maximum: Int64 = 0
            var type: Int32 = 0
            guard ei_camera_find_control(handle, control.name, &id, &minimum, &maximum, &type) == 0 else {
                throw CameraError("'\(path)' has no control named '\(control.name)' (see 'edge-inspect cameras \(path)')")
            }
            guard Int64(control.value) >= minimum, Int64(control.value) <= maximum else {
                throw CameraError("control '\(control.name)' of '\(path)' takes \(minimum)...\(maximum), not \(control.value)")
            }
            let code = ei_camera_set_control(handle, id, Int64(control.value))
            if code != 0 { throw CameraError.system("'\(path)' cannot set '\(control.name)' to \(control.value)", code) }
        }
    }
}
