import ArgumentParser
import Chain
import ChainTestRunner
import Foundation
import Primitives
import StateTestRunner

/// `lockstep blocktest`: runs blockchain tests (execution-spec-tests and ethereum/tests) and reports counts.
struct BlockTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocktest",
        abstract: "Run blockchain-test JSON files or folders through Lockstep's chain (block validation and execution).",
        discussion: """
            Imports each test's genesis and blocks, rejects the blocks marked expectException (and checks that the
            reason Lockstep gives is one the fixture names), then compares the head with lastblockhash and the state
            with postState. Prints failures, then one line per network: passed, failed and skipped counts. Tests on
            forks Lockstep does not execute blocks for, or reaching an unimplemented precompile, are skipped, never
            counted as passed. Exits with status 1 when a test fails.
            """)

    @Argument(help: "Blockchain-test files or folders (searched recursively for .json files).")
    var paths: [String]

    @Option(name: .long, help: "Only run tests of this network (Cancun, Prague, …); repeatable.")
    var fork: [String] = []

    @Option(name: .long, help: "Only run tests whose name contains this text.")
    var filter: String?

    @Option(name: .long, help: "Write a JSON report (file, name, network, status, reason per test) to this file ('-' for standard output).")
    var json: String?

    @Option(name: .long, help: "How many failing tests to list (default 50).")
    var showFailures = 50

    @Flag(name: .long, help: "Print a line per file as it runs.")
    var verbose = false

    func validate() throws {
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no such file or folder: \(path)")
        }
    }

    func run() throws {
        let runner = BlockchainTestRunner(networks: Set(fork.map { $0.lowercased() }), nameFilter: filter)
        let files = paths.flatMap { StateTestRunner.files(at: $0) }
        let verbose = self.verbose
        let started = Date()
        let results = runWithLargeStack { () -> [BlockchainTestResultBox] in
            var all: [BlockchainTestResultBox] = []
            for (number, file) in files.enumerated() {
                let results = runner.run(file: file)
                if verbose {
                    let failed = results.filter { $0.status == .failed }.count
                    print("[\(number + 1)/\(files.count)] \(file.lastPathComponent): \(results.count) tests, \(failed) failed")
                }
                all += results.map(BlockchainTestResultBox.init)
            }
            return all
        }.map(\.result)
        let elapsed = Date().timeIntervalSince(started)

        var counts: [String: (passed: Int, failed: Int, skipped: Int)] = [:]
        for result in results {
            var c = counts[result.network] ?? (0, 0, 0)
            switch result.status {
            case .passed: c.passed += 1
            case .failed: c.failed += 1
            case .skipped: c.skipped += 1
            }
            counts[result.network] = c
        }
        let failures = results.filter { $0.status == .failed }
        for failure in failures.prefix(showFailures) {
            print("FAIL \(failure.file) \(failure.name) [\(failure.network)]: \(failure.reason)")
        }
        if failures.count > showFailures { print("… and \(failures.count - showFailures) more failures") }
        if results.isEmpty { print("no blockchain tests found for the given paths and filters") }
        let imported = results.reduce(0) { $0 + $1.blocksImported }
        let rejected = results.reduce(0) { $0 + $1.blocksRejected }
        print(String(format: "%d blocks imported, %d invalid blocks rejected in %.2f s", imported, rejected, elapsed))
        for (network, c) in counts.sorted(by: { $0.key < $1.key }) {
            print("\(network): \(c.passed) passed, \(c.failed) failed, \(c.skipped) skipped")
        }
        if let json {
            try writeReport(results, to: json)
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    func writeReport(_ results: [BlockchainTestResult], to path: String) throws {
        let rows: [[String: Any]] = results.map { result in
            ["file": result.file, "name": result.name, "network": result.network, "status": result.status.rawValue,
             "reason": result.reason, "blocksImported": result.blocksImported, "blocksRejected": result.blocksRejected]
        }
        let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
        if path == "-" {
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            try data.write(to: URL(fileURLWithPath: path))
        }
    }
}

/// Results cross from the worker thread in a box.
struct BlockchainTestResultBox: @unchecked Sendable {
    let result: BlockchainTestResult
}
