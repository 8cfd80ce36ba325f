import ArgumentParser
import EVM
import Foundation
import Primitives
import JSONRPCClient
import State
import StateTestRunner
import Synchronization

/// `lockstep statetest`: runs ethereum/tests and execution-spec-tests state tests and reports per-fork counts.
struct StateTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statetest",
        abstract: "Run state-test JSON files or folders (ethereum/tests and EEST formats) through Lockstep's EVM.",
        discussion: """
            Checks the post-state root, the logs hash and expectException of every case, and prints one line per
            fork: passed and failed counts. Exits with status 1 when a case fails.

            With --trace, an EIP-3155 trace of every executed case goes to standard error, in the format of
            ../shared/tools/eels-statetest, so that `diff` shows the first diverging opcode.

            With --forked URL, each case's pre-state is loaded into the JSON-RPC state server at URL
            (Tests/Support/state_server.py; it answers lockstep_setState) and the case executes against forked
            state, so every read of the pre-state goes over HTTP. A failed remote read fails the case.
            """)

    @Argument(help: "State-test files or folders (searched recursively for .json files).")
    var paths: [String]

    @Option(name: .long, help: "Only run this fork (Cancun, Prague or Osaka); repeatable.")
    var fork: [String] = []

    @Option(name: .long, help: "Only run tests whose name contains this text.")
    var filter: String?

    @Option(name: .long, help: "Write a JSON report (name, fork, index, status, reason per case) to this file ('-' for standard output).")
    var json: String?

    @Flag(name: .long, help: "Write an EIP-3155 trace of each case to standard error.")
    var trace = false

    @Flag(name: .long, help: "Re-execute each case statelessly from an execution witness (proofs against the pre-state root).")
    var stateless = false

    @Option(name: .long, help: ArgumentHelp("Serve each pre-state from this JSON-RPC state server and execute through forked state.", valueName: "url"))
    var forked: String?

    @Option(name: .long, help: "How many failing cases to list (default 50).")
    var showFailures = 50

    @Flag(name: .long, help: "Print a line per file as it runs.")
    var verbose = false

    func validate() throws {
        for name in fork {
            guard let parsed = Fork(name: name), StateTestRunner.supportedForks.contains(parsed) else {
                throw ValidationError("unsupported fork '\(name)': use Cancun, Prague or Osaka")
            }
        }
        if forked != nil && stateless {
            throw ValidationError("--forked and --stateless are different execution modes: choose one")
        }
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no such file or folder: \(path)")
        }
    }

    func run() throws {
        var configured = StateTestRunner(forks: Set(fork.compactMap { Fork(name: $0) }), nameFilter: filter)
        if trace { configured.makeTracer = { EIP3155Tracer() } }
        configured.viaWitness = stateless
        let counter = ForkedReadCounter()
        if let forked {
            let client = JSONRPCClient(url: forked, timeoutMilliseconds: 10_000)
            configured.makeBackend = ForkedStateTestBackend.make(client: client) { counter.started($0) }
        }
        let runner = configured
        let files = paths.flatMap { StateTestRunner.files(at: $0) }
        let verbose = self.verbose
        let results = runWithLargeStack { () -> [StateTestResultBox] in
            var all: [StateTestResultBox] = []
            for (number, file) in files.enumerated() {
                let results = runner.run(file: file)
                if verbose {
                    let failed = results.filter { $0.status == .failed }.count
                    print("[\(number + 1)/\(files.count)] \(file.lastPathComponent): \(results.count) cases, \(failed) failed")
                }
                all += results.map(StateTestResultBox.init)
            }
            return all
        }.map(\.result)

        var counts: [String: (passed: Int, failed: Int)] = [:]
        for result in results {
            var c = counts[result.fork] ?? (0, 0)
            switch result.status {
            case .passed: c.passed += 1
            case .failed: c.failed += 1
            }
            counts[result.fork] = c
        }
        let failures = results.filter { $0.status == .failed }
        for failure in failures.prefix(showFailures) {
            print("FAIL \(failure.file) \(failure.name) \(failure.fork)[\(failure.index)] " +
                  "(d=\(failure.indexes.data) g=\(failure.indexes.gas) v=\(failure.indexes.value)): \(failure.reason)")
        }
        if failures.count > showFailures { print("… and \(failures.count - showFailures) more failures") }
        if results.isEmpty { print("no state-test cases found for the given paths and filters") }
        for (forkName, c) in counts.sorted(by: { $0.key < $1.key }) {
            let total = c.passed + c.failed
            let rate = total > 0 ? String(format: "%.2f", Double(c.passed) * 100 / Double(total)) : "-"
            print("\(forkName): \(c.passed) passed, \(c.failed) failed (\(rate)%)")
        }
        if forked != nil {
            let totals = counter.totals()
            print("forked: \(totals.backends) pre-states served over JSON-RPC, \(totals.reads) remote reads " +
                  "(\(totals.coalesced) coalesced)")
        }
        if let json {
            try writeReport(results, to: json)
        }
        if !failures.isEmpty { throw ExitCode(1) }
    }

    func writeReport(_ results: [StateTestResult], to path: String) throws {
        let rows: [[String: Any]] = results.map { result in
            ["file": result.file, "name": result.name, "fork": result.fork, "index": result.index,
             "indexes": ["data": result.indexes.data, "gas": result.indexes.gas, "value": result.indexes.value],
             "status": result.status.rawValue, "reason": result.reason]
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

/// Results cross from the worker thread as a Sendable box (the tuple member keeps the struct from being
/// inferred Sendable).
struct StateTestResultBox: @unchecked Sendable {
    let result: StateTestResult
}

/// Adds up the remote reads of the forked backends of a run. Cases run one after another, so a backend's reads are
/// counted when the next one starts (and the last one's at the end).
final class ForkedReadCounter: Sendable {
    private struct Counts {
        var reads = 0, coalesced = 0, backends = 0
        var current: ForkedState?
    }
    private let counts = Mutex(Counts())

    func started(_ backend: ForkedState) {
        counts.withLock { counts in
            if let previous = counts.current {
                counts.reads += previous.remoteReads
                counts.coalesced += previous.coalescedReads
            }
            counts.current = backend
            counts.backends += 1
        }
    }

    func totals() -> (reads: Int, coalesced: Int, backends: Int) {
        counts.withLock { counts in
            let current = counts.current
            return (counts.reads + (current?.remoteReads ?? 0), counts.coalesced + (current?.coalescedReads ?? 0),
                    counts.backends)
        }
    }
}
