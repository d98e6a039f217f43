import CPlatform

/// Number formatting through C's printf: Embedded Swift's own float printing is not
/// guaranteed to be round-trip short or fixed-precision.
public enum Format {
    /// Fixed-point, e.g. fixed(0.12345, 3) == "0.123".
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        render { ei_format_double($0, $1, value, Int32(digits)) }
    }
    /// Shortest of %g with `digits` significant digits, e.g. general(1e-7, 4) == "1e-07".
    public static func general(_ value: Double, _ digits: Int = 6) -> String {
        render { ei_format_general($0, $1, value, Int32(digits)) }
    }

    private static func render(_ body: (UnsafeMutablePointer<CChar>, Int32) -> Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let n = Int(body(buffer.baseAddress!, 64))
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n).bindMemory(to: UInt8.self), as: UTF8.self)
        }
    }

    /// Parses a decimal number; nil for anything else. (Float(String) needs a runtime hook that
    /// Embedded Swift does not ship.)
    public static func parseDouble(_ text: String) -> Double? {
        var value = 0.0
        return ei_parse_double(text, &value) == 1 ? value : nil
    }

    /// A JSON string literal with quotes and escapes.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for unit in s.utf8 {
            switch unit {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            case 0..<0x20:
                let hex: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
                out += "\\u00"
                out.append(hex[Int(unit >> 4)])
                out.append(hex[Int(unit & 15)])
            default:
                out.unicodeScalars.append(Unicode.Scalar(unit))
            }
        }
        return out + "\""
    }
}
