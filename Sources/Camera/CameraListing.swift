import CCamera
import Platform

/// The V4L2 devices present, for `edge-inspect cameras` and for opening a camera by name.
public struct CameraListing {
    public var path: String
    public var driver: String
    public var card: String
    public var busInfo: String
    public var canCapture: Bool

    public static func all() -> [CameraListing] {
        var result: [CameraListing] = []
        var index: Int32 = 0
        while true {
            var buffer = [CChar](repeating: 0, count: 64)
            guard ei_camera_device_path(index, &buffer, 64) == 0 else { break }
            index += 1
            let path = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            var identity = ei_camera_identity()
            guard ei_camera_probe(path, &identity) == 0 else { continue }
            result.append(CameraListing(path: path, driver: V4L2Camera.text(&identity.driver),
                                        card: V4L2Camera.text(&identity.card),
                                        busInfo: V4L2Camera.text(&identity.bus_info),
                                        canCapture: identity.can_capture != 0))
        }
        return result
    }
}

/// What one device can deliver: formats, their sizes and frame rates, and its controls.
public enum CameraCapabilities {
    /// Human-readable lines describing the device at `path`.
    public static func describe(path: String) throws(CameraError) -> [String] {
        var handle: OpaquePointer? = nil
        let code = ei_camera_open(path, &handle)
        guard code == 0, let handle else { throw CameraError.system("cannot open camera '\(path)'", code) }
        defer { ei_camera_close(handle) }
        var lines: [String] = []
        var index: UInt32 = 0
        while true {
            var fourcc: UInt32 = 0
            var emulated: Int32 = 0
            var description = [CChar](repeating: 0, count: 64)
            guard ei_camera_format(handle, index, &fourcc, &description, 64, &emulated) == 0 else { break }
            index += 1
            let name = description.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            lines.append("  format \(fourccText(fourcc)) \(name)\(emulated != 0 ? " (converted by libv4l)" : "")")
            lines += sizes(handle, fourcc)
        }
        lines.append("  controls:")
        var control: UInt32 = 0
        while true {
            var name = [CChar](repeating: 0, count: 64)
            var type: Int32 = 0
            var minimum: Int64 = 0, maximum: Int64 = 0, value: Int64 = 0
            guard ei_camera_control_at(handle, control, &name, 64, &type, &minimum, &maximum, &value) == 0 else { break }
            control += 1
            let text = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            lines.append("    \(text) = \(value) (\(minimum)...\(maximum))")
        }
        return lines
    }

    private static func sizes(_ handle: OpaquePointer, _ fourcc: UInt32) -> [String] {
        var lines: [String] = []
        var index: UInt32 = 0
        while true {
            var minW: UInt32 = 0, minH: UInt32 = 0, maxW: UInt32 = 0, maxH: UInt32 = 0, stepW: UInt32 = 0, stepH: UInt32 = 0
            guard ei_camera_size(handle, fourcc, index, &minW, &minH, &maxW, &maxH, &stepW, &stepH) == 0 else { break }
            index += 1
            if stepW == 0 {
                lines.append("    \(maxW)x\(maxH) at \(rates(handle, fourcc, maxW, maxH))")
            } else {
                lines.append("    \(minW)x\(minH) to \(maxW)x\(maxH) in steps of \(stepW)x\(stepH)")
            }
            if index >= 64 { break }
        }
        return lines
    }

    private static func rates(_ handle: OpaquePointer, _ fourcc: UInt32, _ width: UInt32, _ height: UInt32) -> String {
        var rates: [String] = []
        var index: UInt32 = 0
        while index < 32 {
            var numerator: UInt32 = 0, denominator: UInt32 = 0
            var stepwise: Int32 = 0
            guard ei_camera_interval(handle, fourcc, width, height, index, &numerator, &denominator, &stepwise) == 0,
                  numerator > 0 else { break }
            index += 1
            let fps = Double(denominator) / Double(numerator)
            rates.append((stepwise != 0 ? "up to " : "") + Format.general(fps, 4))
        }
        return rates.isEmpty ? "(rate not reported)" : rates.joined(separator: ", ") + " fps"
    }

    static func fourccText(_ code: UInt32) -> String {
        var text = ""
        for shift in [0, 8, 16, 24] {
            let byte = UInt8((code >> UInt32(shift)) & 0xff)
            text.unicodeScalars.append(Unicode.Scalar(byte >= 32 && byte < 127 ? byte : UInt8(ascii: "?")))
        }
        return text
    }
}
