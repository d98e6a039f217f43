/// A failure of one inspection step, phrased for the person at the line: what, which file, why.
public struct InspectionError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
