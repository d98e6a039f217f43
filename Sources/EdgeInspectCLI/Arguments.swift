import Kernels
import Platform

/// A small option parser: `--name value`, `--flag`, positionals, and `--` to end options.
/// (swift-argument-parser needs Foundation and reflection, which the board build has not.)
struct Arguments {
    var positionals: [String] = []
    private var values: [String: String] = [:]
    private var flags: [String] = []

    struct Failure: Error { let message: String }

    /// valueOptions take an argument; flagOptions do not. Anything else starting with "--" is an error.
    init(_ args: ArraySlice<String>, valueOptions: [String], flagOptions: [String]) throws(Failure) {
        var rest = args
        var optionsEnded = false
        while let arg = rest.popFirst() {
            if optionsEnded || !arg.hasPrefix("-") || arg == "-" {
                positionals.append(arg)
            } else if arg == "--" {
                optionsEnded = true
            } else if valueOptions.contains(arg) {
                guard let value = rest.popFirst() else { throw Failure(message: "\(arg) needs a value") }
                values[arg] = value
            } else if flagOptions.contains(arg) {
                flags.append(arg)
            } else {
                throw Failure(message: "unknown option \(arg)")
            }
        }
    }

    func value(_ name: String) -> String? { values[name] }
    func flag(_ name: String) -> Bool { flags.contains(name) }

    func float(_ name: String) throws(Failure) -> Float? {
        guard let text = values[name] else { return nil }
        guard let v = Format.parseDouble(text).map(Float.init), v.isFinite else { throw Failure(message: "\(name) needs a number, got '\(text)'") }
        return v
    }
}

extension Arguments {
    /// --threads N: 1...64, default one per core.
    func threads() throws(Failure) -> Int {
        guard let text = value("--threads") else { return min(ThreadPool.coreCount, 64) }
        guard let n = Int(text), n >= 1, n <= 64 else { throw Failure(message: "--threads needs a whole number from 1 to 64, got '\(text)'") }
        return n
    }
}

/// Exit codes, distinct so a PLC script or CI can tell a rejected part from a broken setup.
enum ExitCode {
    static let ok: Int32 = 0          // every image inspected, none anomalous
    static let anomalous: Int32 = 1   // every image inspected, at least one anomalous
    static let error: Int32 = 2       // usage error, or a model or image could not be used
}
