import Foundation

/// Shared by every test target that reads ../shared/fixtures.
///
/// Finds the shared conformance fixtures: `$LOCKSTEP_FIXTURES`, else `../shared/fixtures` beside the package.
public enum Fixtures {
    /// The fixture root, or `nil` when it is absent (tests then report themselves as skipped).
    public static let root: URL? = {
        if let path = ProcessInfo.processInfo.environment["LOCKSTEP_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidate = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }()

    /// Whether the fixtures are present.
    public static var available: Bool {
        if root == nil {
            print("fixtures absent: set LOCKSTEP_FIXTURES or place ../shared/fixtures beside the package; fixture suites are SKIPPED")
        }
        return root != nil
    }

    /// The URL of a fixture file or folder.
    public static func url(_ relativePath: String) -> URL {
        root!.appendingPathComponent(relativePath)
    }

    /// Parses a JSON fixture file.
    public static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(relativePath)))
    }

    /// All `.json` files under a fixture folder, sorted.
    public static func jsonFiles(under relativePath: String) -> [URL] {
        let base = url(relativePath)
        guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var files: [URL] = []
        for case let file as URL in enumerator where file.pathExtension == "json" { files.append(file) }
        return files.sorted { $0.path < $1.path }
    }
}

/// Pass and fail counts of a conformance suite, printed in the "N passed, N failed" form.
public struct SuiteCounts {
    public let name: String
    public var passed = 0
    public var failed = 0
    public var skipped = 0
    public var failures: [String] = []

    public init(name: String) { self.name = name }

    public mutating func record(_ ok: Bool, _ caseName: @autoclosure () -> String) {
        if ok {
            passed += 1
        } else {
            failed += 1
            failures.append(caseName())
        }
    }

    public func report() {
        for failure in failures.prefix(20) { print("  FAIL \(name): \(failure)") }
        print("\(name): \(passed) passed, \(failed) failed" + (skipped > 0 ? ", \(skipped) skipped" : ""))
    }
}
