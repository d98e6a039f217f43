import Alerts
import Camera
import Platform

/// Value syntax of the watch configuration, each with an error that says what is expected.
enum Parse {
    static func integer(_ v: String, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let n = Int(v), range.contains(n) else {
            throw ConfigError("expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(v)'")
        }
        return n
    }

    static func positive(_ v: String) throws(ConfigError) -> Double {
        guard let x = Format.parseDouble(v), x.isFinite, x > 0 else { throw ConfigError("expected a positive number, got '\(v)'") }
        return x
    }

    static func bool(_ v: String) throws(ConfigError) -> Bool {
        switch v {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ConfigError("expected true or false, got '\(v)'")
        }
    }

    /// "1048576", "512K", "10M", "2G" (powers of 1024).
    static func bytes(_ v: String, minimum: Int) throws(ConfigError) -> Int {
        var digits = v
        var unit = 1
        switch v.last {
        case "K", "k": unit = 1 << 10
        case "M", "m": unit = 1 << 20
        case "G", "g": unit = 1 << 30
        default: break
        }
        if unit > 1 { digits = String(v.dropLast()) }
        guard let n = Int(digits), n >= 0, n <= Int.max / unit, n * unit >= minimum else {
            throw ConfigError("expected a size in bytes of at least \(minimum) (suffixes K, M, G allowed), got '\(v)'")
        }
        return n * unit
    }

    static func region(_ v: String) throws(ConfigError) -> RegionOfInterest {
        let parts = v.split(separator: ",").map { WatchConfig.trim(String($0)) }
        guard parts.count == 4, let x = Int(parts[0]), let y = Int(parts[1]), let w = Int(parts[2]), let h = Int(parts[3]),
              x >= 0, y >= 0, w > 0, h > 0 else {
            throw ConfigError("expected x,y,width,height (whole numbers, width and height above 0), got '\(v)'")
        }
        return RegionOfInterest(x: x, y: y, width: w, height: h)
    }

    static func controls(_ v: String) throws(ConfigError) -> [(name: String, value: Int)] {
        var result: [(name: String, value: Int)] = []
        for item in v.split(separator: ",") {
            let text = WatchConfig.trim(String(item))
            guard let equals = text.utf8.lastIndex(of: UInt8(ascii: "=")) else {
                throw ConfigError("expected Name=value for each control, got '\(text)'")
            }
            let name = WatchConfig.trim(String(text[..<equals]))
            let valueText = WatchConfig.trim(String(text[text.utf8.index(after: equals)...]))
            guard !name.isEmpty, let value = Int(valueText) else {
                throw ConfigError("expected Name=value (a whole number) for each control, got '\(text)'")
            }
            result.append((name, value))
        }
        return result
    }

    static func line(_ v: String) throws(ConfigError) -> GPIOLineSpec? {
        if v.isEmpty { return nil }
        guard let spec = GPIOLineSpec.parse(v) else {
            throw ConfigError("expected a GPIO line as chip:offset (gpiochip0:17) or a line name, got '\(v)'")
        }
        return spec
    }

    static func debounce(_ v: String) throws(ConfigError) -> (Int, Int) {
        let parts = v.split(separator: "/")
        guard parts.count == 2, let n = Int(String(parts[0])), let m = Int(String(parts[1])), n >= 1, m >= n, m <= 64 else {
            throw ConfigError("expected N/M with 1 <= N <= M <= 64 (e.g. 2/3), got '\(v)'")
        }
        return (n, m)
    }
}
