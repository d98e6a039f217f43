/// Why a model file was rejected. `message` is one sentence a person can act on; the CLI prints it
/// after the file name.
public struct ModelFileError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case tooSmall            // shorter than the header
        case badMagic            // not an EdgeInspect model file
        case unsupportedVersion  // version other than the one this build reads
        case sizeMismatch        // header's file size disagrees with the bytes given (truncated or padded)
        case checksumMismatch    // CRC-32 differs: corrupted in storage or transfer
        case badLayout           // a section offset/size is out of bounds, overlaps, wraps or is misplaced
        case badMetadata         // malformed record, wrong type, duplicate or missing key, bad value
        case badGraph            // malformed node, wrong arity, bad reference, unused node, bad attribute
        case unknownOp           // op code this build does not implement
        case cycle               // a node reads a value that is not computed before it
        case badTensor           // malformed tensor entry, payload out of bounds, bad dtype or scales
        case shapeMismatch       // shapes disagree along a graph edge or with a weight
        case limitExceeded       // a count or size past this build's hard limits
    }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
