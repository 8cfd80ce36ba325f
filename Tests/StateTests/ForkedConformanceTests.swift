import EVM
import Foundation
import JSONRPCClient
import Primitives
import StateTestRunner
import FixtureSupport
import Testing
@testable import State

/// The public state tests again, but every read of the pre-state goes over loopback HTTP to a JSON-RPC server
/// (Tests/Support/state_server.py) through `ForkedState` and `JSONRPCUpstream`: the same post-state roots must come
/// out, and a failed or malformed read must fail the case rather than produce a result.
@Suite("State tests through forked state over JSON-RPC", .serialized)
struct ForkedConformanceTests {
    /// A running state server, stopped when released.
    final class StateServer: @unchecked Sendable {
        let process = Process()
        let url: String
        /// The server exits when this pipe closes (our end is released with us), even if the kill is missed.
        let lifeline = Pipe()

        init() throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Support/state_server.py")
            let python = ProcessInfo.processInfo.environment["LOCKSTEP_PYTHON"] ?? "/usr/bin/env"
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = python == "/usr/bin/env" ? ["python3", script.path] : [script.path]
            let output = Pipe()
            process.standardOutput = output
            process.standardInput = lifeline
            try process.run()
            let line = output.fileHandleForReading.availableData
            guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw StateTestError("state server did not print its port")
            }
            url = "http://127.0.0.1:\(port)"
        }

        /// SIGKILL: a child started under Swift Testing inherits a signal mask with SIGTERM blocked.
        deinit {
            kill(process.processIdentifier, SIGKILL)
            try? lifeline.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    /// The pre-state as `lockstep_setState` takes it.
    static func stateJSON(_ state: InMemoryState) -> JSONValue {
        var accounts: [String: JSONValue] = [:]
        for (address, account) in state.accounts {
            var storage: [String: JSONValue] = [:]
            for (key, value) in account.storage { storage[key.hexString] = .string(value.hexString) }
            accounts[address.hexString] = .object([
                "balance": .string(account.balance.hexString), "nonce": .string(U256(account.nonce).hexString),
                "code": .string(account.code.hexString), "storage": .object(storage),
            ])
        }
        var hashes: [String: JSONValue] = [:]
        for (number, hash) in state.blockHashes { hashes[String(number)] = .string(hash.hexString) }
        return .array([.object(accounts), .object(hashes)])
    }

    static func run(_ relativePath: String) throws -> [StateTestResult] {
        guard let root = Fixtures.root else { return [] }
        let server = try StateServer()
        let client = JSONRPCClient(url: server.url, timeoutMilliseconds: 10_000)
        var runner = StateTestRunner()
        runner.makeBackend = { pre in
            guard case .array(let params) = stateJSON(pre) else { throw StateTestError("bad state") }
            _ = try client.call("lockstep_setState", params)
            return ForkedState(provider: JSONRPCUpstream(client: client, blockNumber: 1))
        }
        let files = StateTestRunner.files(at: root.appendingPathComponent(relativePath).path)
        let configured = runner
        let results = runWithLargeStack { files.flatMap { configured.run(file: $0) } }
        withExtendedLifetime(server) {}
        return results
    }

    @Test("Selected suites pass through forked state exactly as in memory", .enabled(if: Fixtures.available),
          arguments: [
              "ethtests/GeneralStateTests/stExample", "ethtests/GeneralStateTests/stSStoreTest",
              "ethtests/GeneralStateTests/stCallCodes", "ethtests/GeneralStateTests/stCreate2",
              "ethtests/GeneralStateTests/stExtCodeHash", "ethtests/GeneralStateTests/stSelfBalance",
              "ethtests/GeneralStateTests/VMTests/vmIOandFlowOperations",
              "eest/state_tests/cancun/eip1153_tstore", "eest/state_tests/cancun/eip6780_selfdestruct",
              "eest/state_tests/paris/eip7610_create_collision", "eest/state_tests/prague/eip7702_set_code_tx",
          ])
    func forkedSuite(path: String) throws {
        let results = try Self.run(path)
        let failed = results.filter { $0.status == .failed }
        for failure in failed.prefix(10) { print("  FAIL forked \(failure.file) \(failure.name) \(failure.fork): \(failure.reason)") }
        print("forked \(path): \(results.filter { $0.status == .passed }.count) passed, \(failed.count) failed")
        #expect(!results.isEmpty)
        #expect(failed.isEmpty)
    }

    @Test("A server that dies mid-run fails the case with a typed remote-read error", .enabled(if: Fixtures.available))
    func serverFailure() throws {
        guard let root = Fixtures.root else { return }
        var server: StateServer? = try StateServer()
        let client = JSONRPCClient(url: server!.url, timeoutMilliseconds: 500, maxRetries: 0)
        server = nil  // terminates the server: every read now fails at the transport level
        usleep(100_000)
        var runner = StateTestRunner()
        runner.makeBackend = { _ in ForkedState(provider: JSONRPCUpstream(client: client, blockNumber: 1)) }
        let file = root.appendingPathComponent("ethtests/GeneralStateTests/stExample/add11.json")
        let configured = runner
        let results = runWithLargeStack { configured.run(file: file) }
        #expect(!results.isEmpty)
        for result in results {
            #expect(result.status == .failed)
            #expect(result.reason.contains("remote read failed"))
        }
    }
}
