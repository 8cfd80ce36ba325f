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

    static func run(_ relativePath: String) throws -> [StateTestResult] {
        guard let root = Fixtures.root else { return [] }
        let server = try StateServer()
        let client = JSONRPCClient(url: server.url, timeoutMilliseconds: 10_000)
        var runner = StateTestRunner()
        runner.makeBackend = ForkedStateTestBackend.make(client: client)
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

    /// An upstream that fails part-way through a case: after `after` good answers, every read gets the fault.
    /// The case must then either pass with the right root (it needed no more reads) or fail with a remote-read
    /// error naming the fault; never fail with a wrong root, never pass with one. The same server, once healthy
    /// again, must serve the case to a pass: nothing is left corrupted by the fault.
    @Test("Upstream faults mid-run fail the case with a typed error, never with a wrong result",
          .enabled(if: Fixtures.available),
          arguments: [("timeout", "timed out"), ("500", "HTTP 500"), ("reset", "remote read failed"),
                      ("malformed", "remote read failed"), ("wrong_type", "expected a hex"),
                      ("rpc_error", "header not found")])
    func upstreamFaults(fault: String, expected: String) throws {
        guard let root = Fixtures.root else { return }
        let server = try StateServer()
        let client = JSONRPCClient(url: server.url, timeoutMilliseconds: 400, maxRetries: 1)
        var runner = StateTestRunner()
        runner.makeBackend = ForkedStateTestBackend.make(client: client, deadlineMilliseconds: 400)
        let configured = runner
        // A case with storage reads and a call: several round trips, so the fault can land part-way.
        let file = root.appendingPathComponent("ethtests/GeneralStateTests/stExample/add11.json")
        var failedByFault = 0
        for after in 0..<6 {
            _ = try client.call("lockstep_setFault", [.string(fault), .string("\(after)")])
            let results = runWithLargeStack { configured.run(file: file) }
            #expect(!results.isEmpty)
            for result in results {
                if result.status == .failed {
                    failedByFault += 1
                    #expect(result.reason.contains("remote read failed"), "after \(after): \(result.reason)")
                    #expect(result.reason.contains(expected), "after \(after): \(result.reason)")
                } else {
                    #expect(result.status == .passed && after > 0, "after \(after): \(result.status) \(result.reason)")
                }
            }
            _ = try client.call("lockstep_setFault", [.string("none"), .string("0")])
            let healthy = runWithLargeStack { configured.run(file: file) }
            #expect(!healthy.isEmpty && healthy.allSatisfy { $0.status == .passed }, "healthy again after \(after)")
        }
        #expect(failedByFault > 0)
        withExtendedLifetime(server) {}
    }
}
