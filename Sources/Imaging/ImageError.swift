/// Why an image could not be read, written or processed. `message` is one sentence a person can
/// act on; for files it starts with the path.
public struct ImageError: Error, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
