import CPlatform

/// A camera failure phrased for a person. `lost` is true when the device went away (unplugged,
/// driver unloaded or reset): the daemon then reconnects instead of giving up.
public struct CameraError: Error {
    public let message: String
    public let lost: Bool
    public init(_ message: String, lost: Bool = false) {
        self.message = message
        self.lost = lost
    }
    /// errno values that mean "the device is gone or broken; reopen it".
    static func isLoss(_ code: Int32) -> Bool {
        code == 19 /* ENODEV */ || code == 5 /* EIO */ || code == 2 /* ENOENT */ || code == 6 /* ENXIO */
            || code == 32 /* EPIPE */ || code == 108 /* ESHUTDOWN */
    }
    static func system(_ what: String, _ code: Int32) -> CameraError {
        CameraError("\(what): \(String(cString: ei_strerror(code)))", lost: isLoss(code))
    }
}
