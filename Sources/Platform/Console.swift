import CPlatform

/// Unbuffered line output: each line reaches the pipe at once (streaming JSON lines, and output that
/// must survive a crash or an emulator that loses buffered stdout).
public enum Console {
    public static func out(_ line: String) { write(line, fd: 1) }
    public static func err(_ line: String) { write(line, fd: 2) }

    static func write(_ line: String, fd: Int32) {
        var text = line
        text.append("\n")
        text.withUTF8 { _ = ei_write_fd(fd, $0.baseAddress, $0.count) }
    }
}

public enum Process {
    /// The command-line arguments, program name first.
    public static var arguments: [String] {
        (0..<Int(ei_argc())).map { ei_argv(Int32($0)).map { String(cString: $0) } ?? "" }
    }
    public static func exit(_ code: Int32) -> Never { ei_exit(code) }
    public static var peakResidentBytes: Int { Int(ei_peak_rss_bytes()) }
    /// An environment variable's value, nil when unset.
    public static func environment(_ name: String) -> String? { ei_getenv(name).map { String(cString: $0) } }
}

public enum Clock {
    public static func nanoseconds() -> UInt64 { ei_now_ns() }
    /// CPU time of the calling thread: what `bench --clock cpu` reads on a busy machine.
    public static func threadCPUNanoseconds() -> UInt64 { ei_thread_cpu_ns() }
}
