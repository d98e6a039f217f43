import Foundation
import XCTest

extension XCTestCase {
    func scratchFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("edge-inspect-field-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }
}

enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let model = root.appendingPathComponent("weights/synthetic-texture.eim").path
    static func sample(_ name: String) -> URL { root.appendingPathComponent("samples/\(name)") }

    /// SwiftPM puts the executable beside the test bundle.
    static var binary: URL {
        let here = Bundle.main.bundleURL
        let candidates = [here.appendingPathComponent("edge-inspect"),
                          here.deletingLastPathComponent().appendingPathComponent("edge-inspect")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }
}
