/// How to open and set up a camera. Zero or nil means "leave the driver's choice".
public struct CameraSettings {
    /// "/dev/video0", or "name:<text>": the first capture device whose card name contains <text>.
    public var device: String
    public var width: Int = 0
    public var height: Int = 0
    public var framesPerSecond: Double = 0
    /// 1 (gray) or 3 (RGB): what the model takes. libv4l converts the camera's format to it.
    public var channels: Int = 1
    public var region: RegionOfInterest? = nil
    /// Fixed exposure (driver units, usually 100 µs) and gain: automatic control is switched off.
    public var exposure: Int? = nil
    public var gain: Int? = nil
    /// Other controls by their V4L2 name, e.g. ("OSD Text Mode", 2) for vivid.
    public var controls: [(name: String, value: Int)] = []
    public var buffers: Int = 4

    public init(device: String) { self.device = device }
}
