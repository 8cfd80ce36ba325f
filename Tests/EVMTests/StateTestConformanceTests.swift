import EVM
import Foundation
import Primitives
import StateTestRunner
import FixtureSupport
import Testing

/// The public state tests of ../shared/fixtures (ethereum/tests GeneralStateTests and EEST state_tests) for
/// Cancun, Prague and Osaka, including the KZG (EIP-4844) and BLS12-381 (EIP-2537) precompile suites. Prints
/// per-fork passed/failed counts.
@Suite("State tests")
struct StateTestConformanceTests {
    static var available: Bool { Fixtures.available }
    static var fixtures: URL? { Fixtures.root }

    static func run(_ relativePath: String, suite: String) -> [StateTestResult] {
        let runner = StateTestRunner()
        let files = StateTestRunner.files(at: fixtures!.appendingPathComponent(relativePath).path)
        let results = runWithLargeStack { files.flatMap { runner.run(file: $0) } }
        var counts: [String: (Int, Int)] = [:]
        for result in results {
            var c = counts[result.fork] ?? (0, 0)
            switch result.status {
            case .passed: c.0 += 1
            case .failed:
                c.1 += 1
                print("  FAIL \(suite) \(result.file) \(result.name) \(result.fork)[\(result.index)]: \(result.reason)")
            }
            counts[result.fork] = c
        }
        for (fork, c) in counts.sorted(by: { $0.key < $1.key }) {
            print("\(suite) \(fork): \(c.0) passed, \(c.1) failed")
        }
        return results
    }

    @Test("ethereum/tests GeneralStateTests (Cancun)", .enabled(if: available))
    func generalStateTests() {
        let results = Self.run("ethtests/GeneralStateTests", suite: "GeneralStateTests")
        #expect(results.count > 15_000)
        #expect(results.filter { $0.status == .failed }.isEmpty)
    }

    @Test("execution-spec-tests state_tests (Cancun, Prague, Osaka)", .enabled(if: available))
    func executionSpecStateTests() {
        let results = Self.run("eest/state_tests", suite: "EEST state_tests")
        #expect(results.count > 10_000)
        #expect(results.filter { $0.status == .failed }.isEmpty)
    }

    @Test("The EELS-filled benchmark programs use exactly revm's gas", .enabled(if: available))
    func benchmarkPrograms() {
        let bench = Self.fixtures!.deletingLastPathComponent().appendingPathComponent("bench/statetests")
        let runner = StateTestRunner()
        let files = StateTestRunner.files(at: bench.path)
        let results = runWithLargeStack { files.flatMap { runner.run(file: $0) } }
        for result in results where result.status != .passed { print("  FAIL bench \(result.name): \(result.reason)") }
        print("bench/statetests: \(results.filter { $0.status == .passed }.count) passed of \(results.count)")
        #expect(!results.isEmpty)
        #expect(results.allSatisfy { $0.status == .passed })
    }
}
