import CPlatform

/// An operating-system failure, already phrased for a person: "cannot open 'x.eim': No such file or directory".
public struct SystemError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public init(_ what: String, path: String, errno code: Int32) {
        message = "\(what) '\(path)': \(String(cString: ei_strerror(code)))"
    }
    public var description: String { message }
}
