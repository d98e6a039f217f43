import CGPIO
import CPlatform

public struct GPIOError: Error {
    public let message: String
    public init(_ message: String) { self.message = message }
    static func system(_ what: String, _ code: Int32) -> GPIOError {
        GPIOError("\(what): \(String(cString: ei_strerror(code)))")
    }
}

/// Which line: "gpiochip0:17" or "/dev/gpiochip0:17" (chip and offset), or a line name as the
/// device tree or gpio-sim gives it ("REJECT", or "name:REJECT" when the name contains a colon).
public enum GPIOLineSpec: Equatable {
    case chip(path: String, offset: UInt32)
    case name(String)

    public static func parse(_ text: String) -> GPIOLineSpec? {
        if text.isEmpty { return nil }
        if text.hasPrefix("name:") {
            let name = String(text.dropFirst(5))
            return name.isEmpty ? nil : .name(name)
        }
        guard let colon = text.utf8.lastIndex(of: UInt8(ascii: ":")) else { return .name(text) }
        let chip = String(text[..<colon])
        guard let offset = UInt32(String(text[text.utf8.index(after: colon)...])), !chip.isEmpty else { return nil }
        return .chip(path: chip.hasPrefix("/") ? chip : "/dev/" + chip, offset: offset)
    }

    public var description: String {
        switch self {
        case .chip(let path, let offset): return "\(path):\(offset)"
        case .name(let name): return "'\(name)'"
        }
    }

    /// The chip path and offset, looking a name up on every chip.
    func locate() throws(GPIOError) -> (String, UInt32) {
        switch self {
        case .chip(let path, let offset): return (path, offset)
        case .name(let name):
            var buffer = [CChar](repeating: 0, count: 300)
            var offset: UInt32 = 0
            let code = ei_gpio_find_line(name, &buffer, 300, &offset)
            if code == 2 /* ENOENT */ { throw GPIOError("no GPIO chip has a line named '\(name)'") }
            if code == 17 /* EEXIST */ { throw GPIOError("more than one GPIO line is named '\(name)'; use chip:offset") }
            if code != 0 { throw GPIOError.system("cannot look up GPIO line '\(name)'", code) }
            return (buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }, offset)
        }
    }
}

/// One requested GPIO line. The request (and with it the line) is released when this is freed.
public final class GPIOLine {
    public let spec: GPIOLineSpec
    public let role: String
    let fd: Int32
    public private(set) var value: Bool

    /// Requests an output, driven to `initial` at once.
    public init(output spec: GPIOLineSpec, role: String, activeLow: Bool, initial: Bool = false) throws(GPIOError) {
        let (chip, offset, chipFD) = try GPIOLine.openChip(of: spec, role: role)
        defer { _ = ei_gpio_close(chipFD) }
        let line = ei_gpio_request_output(chipFD, offset, "edge-inspect-" + role, activeLow ? 1 : 0, initial ? 1 : 0)
        guard line >= 0 else {
            throw GPIOError.system("cannot request \(spec.description) (\(chip) line \(offset)) as the \(role) output", -line)
        }
        self.spec = spec
        self.role = role
        fd = line
        value = initial
    }

    /// Requests an input that reports edges (1 rising, 2 falling, 3 both), debounced by the kernel.
    public init(edgeInput spec: GPIOLineSpec, role: String, activeLow: Bool, edges: Int32, debounceMicroseconds: UInt32)
        throws(GPIOError) {
        let (chip, offset, chipFD) = try GPIOLine.openChip(of: spec, role: role)
        defer { _ = ei_gpio_close(chipFD) }
        var line = ei_gpio_request_edge_input(chipFD, offset, "edge-inspect-" + role, activeLow ? 1 : 0, edges,
                                              debounceMicroseconds)
        if line == -22 /* EINVAL */ && debounceMicroseconds > 0 {
            // Chips without debounce support refuse the attribute: run without it.
            line = ei_gpio_request_edge_input(chipFD, offset, "edge-inspect-" + role, activeLow ? 1 : 0, edges, 0)
        }
        guard line >= 0 else {
            throw GPIOError.system("cannot request \(spec.description) (\(chip) line \(offset)) as the \(role) input", -line)
        }
        self.spec = spec
        self.role = role
        fd = line
        value = false
    }

    deinit { _ = ei_gpio_close(fd) }

    /// The chip a line lives on, opened for one request; the caller closes it.
    private static func openChip(of spec: GPIOLineSpec, role: String) throws(GPIOError)
        -> (chip: String, offset: UInt32, fd: Int32) {
        let (chip, offset) = try spec.locate()
        let chipFD = ei_gpio_open_chip(chip)
        guard chipFD >= 0 else { throw GPIOError.system("cannot open GPIO chip '\(chip)' for the \(role) line", -chipFD) }
        return (chip, offset, chipFD)
    }

    /// Drives an output; does nothing when it already has that value.
    public func set(_ high: Bool) throws(GPIOError) {
        if high == value { return }
        let code = ei_gpio_set(fd, high ? 1 : 0)
        if code != 0 { throw GPIOError.system("cannot drive the \(role) line \(spec.description)", code) }
        value = high
    }

    /// Waits up to `timeoutMs` for an edge; its CLOCK_MONOTONIC time, or nil on timeout.
    public func waitForEdge(timeoutMs: Int) throws(GPIOError) -> UInt64? {
        var timestamp: UInt64 = 0
        var rising: Int32 = 0
        let got = ei_gpio_wait_edge(fd, Int32(timeoutMs), &timestamp, &rising)
        if got < 0 { throw GPIOError.system("the \(role) input \(spec.description) failed", -got) }
        return got == 1 ? timestamp : nil
    }
}
