import CPlatform

public enum FileSystem {
    public static func write(_ bytes: [UInt8], to path: String) throws(SystemError) {
        let code = bytes.withUnsafeBytes { ei_write_file(path, $0.baseAddress, $0.count) }
        if code != 0 { throw SystemError("cannot write", path: path, errno: code) }
    }
    /// Writes a sibling temporary file and renames it over `path`: readers (and a board that loses
    /// power mid-write) see the old file or the new one, never half of one. Safe when `path` is
    /// currently mapped: the mapping keeps the old contents.
    public static func replace(_ path: String, with bytes: [UInt8]) throws(SystemError) {
        let temporary = path + ".tmp"
        try write(bytes, to: temporary)
        let code = ei_rename(temporary, path)
        if code != 0 { throw SystemError("cannot replace", path: path, errno: code) }
    }

    public static func isDirectory(_ path: String) -> Bool { ei_is_directory(path) != 0 }
    public static func makeDirectories(_ path: String) throws(SystemError) {
        let code = ei_make_directories(path)
        if code != 0 { throw SystemError("cannot create directory", path: path, errno: code) }
    }
}

/// Path arithmetic on '/'-separated strings (no Foundation on the board).
public enum Path {
    /// "a/b/c.png" -> "a/b"; "c.png" -> ".".
    public static func directory(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == path.utf8.startIndex ? "/" : String(path[..<slash])
    }
    /// "a/b/c.png" -> "c.png".
    public static func fileName(_ path: String) -> String {
        path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(path[path.utf8.index(after: $0)...]) } ?? path
    }
    /// "a/b/c.png" -> "c".
    public static func stem(_ path: String) -> String {
        let name = fileName(path)
        guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")), dot != name.utf8.startIndex else { return name }
        return String(name[..<dot])
    }
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
