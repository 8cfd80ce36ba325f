import Foundation
import FuzzTargets
import Testing

/// Every fuzz target replays its seed corpus and every regression (an input a fuzzer once crashed on, kept after
/// the fix) in an ordinary build: Tests/Fuzz/corpus/<target>/ and Tests/Fuzz/regressions/<target>/.
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ folder: String, _ target: FuzzTarget) -> [URL] {
        let directory = root.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seedCorpusRuns(_ target: FuzzTarget) throws {
        let files = Self.inputs("corpus", target)
        #expect(files.count >= 3, "Tests/Fuzz/corpus/\(target.rawValue) holds \(files.count) seeds")
        for file in files {
            target.run(Array(try Data(contentsOf: file)))
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func regressionsRun(_ target: FuzzTarget) throws {
        for file in Self.inputs("regressions", target) {
            target.run(Array(try Data(contentsOf: file)))
        }
    }

    /// The seeds are not only inputs that fail early: each target's corpus holds inputs its decoder accepts.
    @Test func seedsReachPastDecoding() throws {
        let accepted = Self.inputs("corpus", .transaction).filter { file in
            (try? Data(contentsOf: file)).map { data in FuzzTarget.decodesTransaction(Array(data)) } ?? false
        }
        #expect(accepted.count >= 6)
        let executes = Self.inputs("corpus", .execute).filter { file in
            (try? Data(contentsOf: file)).map { data in FuzzTarget.executes(Array(data)) } ?? false
        }
        #expect(executes.count >= 1)
    }
}
