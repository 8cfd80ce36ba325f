import Foundation
import Primitives
import Synchronization
import Testing
import JSON
@testable import JSONRPCClient

/// A call that succeeded where a failure was expected.
private struct UnexpectedSuccess: Error {}

/// Runs `body`, which must fail, and returns its error; records an issue and throws if it succeeds.
private func failure<T>(sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> T) throws -> JSONRPCClientError {
    // Untyped `throws`: closures passed here infer `any Error`, so the type is checked at run time instead.
    let value: T
    do {
        value = try body()
    } catch let error as JSONRPCClientError {
        return error
    }
    Issue.record("expected a JSONRPCClientError, got \(value)", sourceLocation: sourceLocation)
    throw UnexpectedSuccess()
}

/// The server's counters, read with a separate client so the reading adds nothing to the client under test.
private func stats(_ server: JSONRPCTestServer) throws -> JSONValue {
    try JSONRPCClient(url: server.url).call("stats", [])
}

/// How many requests with fault key `key` the server has seen.
private func hits(_ key: String, _ server: JSONRPCTestServer) throws -> Int? {
    try stats(server)["hits"]?[key]?.intValue
}

// Serialized: the timing assertions (deadlines, retries) must not compete with this suite's other tests for the
// machine's two cores. Each test starts its own server, so counters never mix between tests.
@Suite(.serialized)
struct JSONRPCClientTests {
    @Test func singleCallReturnsTheResult() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url)
        let result = try client.call("eth_blockNumber", [])
        #expect(result == "0x10")
        #expect(result.uint64QuantityValue == 16)
        let balance = try client.call("eth_getBalance", ["0x00000000000000000000000000000000000000ff", "latest"])
        #expect(balance.quantityValue == U256(255))
    }

    @Test func batchMatchesResponsesByIDThoughTheServerReversesThem() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url)
        let calls = (0..<5).map { JSONRPCRequest("echo", [.number($0), .string("call \($0)")]) }
            + [JSONRPCRequest("eth_blockNumber")]
        let results = try client.batch(calls)
        #expect(results.count == 6)
        for index in 0..<5 {
            #expect(try results[index].get() == [.number(index), .string("call \(index)")])
        }
        #expect(try results[5].get() == "0x10")
    }

    @Test func batchReportsEachCallsOwnErrorAndMissingResponses() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url)
        let results = try client.batch([
            JSONRPCRequest("eth_blockNumber"),
            JSONRPCRequest("fault_rpc_error"),
            JSONRPCRequest("fault_wrong_id"),  // answered with an unknown id, so this call's response is missing
            JSONRPCRequest("no_such_method"),
        ])
        #expect(try results[0].get() == "0x10")
        guard case .failure(let reverted) = results[1], case .failure(let missing) = results[2],
              case .failure(let unknown) = results[3] else {
            Issue.record("expected failures for items 1-3, got \(results)")
            return
        }
        #expect(reverted.code == .rpcError && reverted.rpcCode == -32000)
        #expect(missing.code == .malformedResponse)
        #expect(missing.message.contains("no response for request id"))
        #expect(unknown.code == .rpcError && unknown.rpcCode == -32601)
        #expect(try client.batch([]).isEmpty)
    }

    @Test func rpcErrorObjectBecomesRPCErrorAndIsNotRetried() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url, maxRetries: 3)
        let error = try failure { try client.call("fault_rpc_error", []) }
        #expect(error.code == .rpcError)
        #expect(error.rpcCode == -32000)
        #expect(error.rpcData == "0x08c379a0")
        #expect(error.httpStatus == nil)
        #expect(error.attempts == 1)
        #expect(error.message.contains("fault_rpc_error failed with JSON-RPC error -32000: execution reverted"))
    }

    @Test func http500IsRetriedThenReportedAsHTTPStatus() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url, maxRetries: 2, retryBaseDelayMilliseconds: 5)
        let error = try failure { try client.call("fault_500:always", []) }
        #expect(error.code == .httpStatus)
        #expect(error.httpStatus == 500)
        #expect(error.attempts == 3)
        #expect(error.message.hasPrefix("POST \(server.url): fault_500:always got HTTP 500 (3 attempts)"))
        #expect(try hits("always", server) == 3)
    }

    @Test func transientFailureSucceedsOnRetryOnlyWhenIdempotent() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url, maxRetries: 2, retryBaseDelayMilliseconds: 5)
        #expect(try client.call("fault_500_once:idempotent", []) == "ok")
        #expect(try hits("fault_500_once:idempotent", server) == 2)
        #expect(try client.call("fault_429_once:rate-limited", []) == "ok")

        let error = try failure { try client.call("fault_500_once:not-idempotent", [], idempotent: false) }
        #expect(error.code == .httpStatus && error.httpStatus == 500)
        #expect(error.attempts == 1)
        #expect(try hits("fault_500_once:not-idempotent", server) == 1)
    }

    @Test func deadlineEndsTheCallWithTimeout() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url, maxRetries: 2)
        let deadline = 300
        let start = ContinuousClock.now
        let error = try failure { try client.call("fault_timeout", [5_000], deadlineMilliseconds: deadline) }
        let elapsed = ContinuousClock.now - start
        #expect(error.code == .timeout)
        #expect(error.message == "POST \(server.url): fault_timeout timed out after 300 ms (1 attempt)")
        #expect(elapsed >= .milliseconds(deadline - 10))
        // Generous slack: the suite may share two cores with other suites; libcurl itself enforces the deadline.
        #expect(elapsed < .milliseconds(deadline + 400), "took \(elapsed) for a \(deadline) ms deadline")
    }

    @Test func defaultTimeoutAppliesWithoutADeadline() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url, timeoutMilliseconds: 150)
        let error = try failure { try client.call("fault_timeout", [5_000]) }
        #expect(error.code == .timeout)
        #expect(error.message.contains("timed out after 150 ms"))
    }

    @Test func connectionResetIsATransportErrorRetriedOnlyWhenIdempotent() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url, maxRetries: 2, retryBaseDelayMilliseconds: 5)
        let error = try failure { try client.call("fault_reset:idempotent", []) }
        #expect(error.code == .transport)
        #expect(error.attempts == 3)
        #expect(error.httpStatus == nil)

        let once = try failure { try client.call("fault_reset:once", [], idempotent: false) }
        #expect(once.code == .transport)
        #expect(once.attempts == 1)
    }

    @Test func refusedConnectionIsATransportError() throws {
        // A port that nothing listens on: the server's, after it has exited.
        let url = try JSONRPCTestServer().url
        let client = JSONRPCClient(url: url, maxRetries: 1, retryBaseDelayMilliseconds: 5)
        let error = try failure { try client.call("eth_blockNumber", []) }
        #expect(error.code == .transport)
        #expect(error.attempts == 2)
        #expect(error.message.hasPrefix("POST \(url): eth_blockNumber failed: "))
    }

    @Test(arguments: ["fault_malformed", "fault_wrong_id", "fault_no_result"])
    func malformedResponseIsReportedAndNotRetried(method: String) throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url, maxRetries: 2)
        let error = try failure { try client.call(method, []) }
        #expect(error.code == .malformedResponse)
        #expect(error.attempts == 1)
        #expect(error.message.contains("\(method) returned a malformed response"))
    }

    @Test func wrongResultTypesGiveNilOrAnError() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url)
        let result = try client.call("echo", [["balance": 5], "0xzz", "0x123"])
        #expect(result.stringValue == nil)
        #expect(result.quantityValue == nil)
        #expect(result[0]?["balance"]?.intValue == 5)
        #expect(result[0]?["balance"]?.stringValue == nil)
        #expect(result[1]?.quantityValue == nil)
        #expect(result[2]?.dataValue == nil)  // odd number of digits
        #expect(result[2]?.uint64QuantityValue == 0x123)
        #expect(result[9] == nil)
        #expect(throws: JSONValueError.self) { try result.decodeQuantity() }
        #expect(throws: JSONValueError.self) { try result[1]?.decodeUInt64Quantity() }
        #expect(throws: JSONValueError.self) { try result.member("balance") }
    }

    @Test func headersAreSentAndBodyHeadersSignTheExactBody() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url, headers: ["Authorization": "Bearer client-token"])
        let result = try client.call(
            "echo_headers", [], headers: ["X-Flashbots-Signature": "0xabc:0xdef"],
            headersForBody: { body in ["X-Body-SHA256": Hex.encode(SHA256.hash(body), prefix: false)] })
        let headers = try #require(result["headers"])
        #expect(headers["authorization"] == "Bearer client-token")
        #expect(headers["x-flashbots-signature"] == "0xabc:0xdef")
        #expect(headers["content-type"] == "application/json")
        #expect(headers["expect"] == nil)
        #expect(headers["x-body-sha256"] != nil)
        #expect(headers["x-body-sha256"] == result["bodySHA256"])
    }

    @Test(arguments: [("X-Injected", "a\r\nHost: evil"), ("X-Injected", "a\nb"), ("Bad Name", "x"), ("", "x")])
    func invalidHeaderIsRejectedBeforeSending(name: String, value: String) throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url)
        let error = try failure { try client.call("eth_blockNumber", [], headers: [name: value]) }
        #expect(error.code == .invalidRequest)
        #expect(error.attempts == 0)
        #expect(try stats(server)["requests"]?.intValue == 1)  // only the stats call itself
    }

    @Test func unsupportedSchemeIsAnInvalidRequest() throws {
        let client = JSONRPCClient(url: "file:///etc/passwd", maxRetries: 2)
        let error = try failure { try client.call("eth_blockNumber", []) }
        #expect(error.code == .invalidRequest)
        #expect(error.attempts == 1)
    }

    @Test func sixteenThreadsShareOneClient() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url)
        let threads = 16
        let callsPerThread = 25
        final class Outcomes: Sendable {
            let wrong = Mutex<[String]>([])
        }
        let outcomes = Outcomes()
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread {
                for call in 0..<callsPerThread {
                    do {
                        let result = try client.call("echo", [.number(thread), .number(call)])
                        if result != [.number(thread), .number(call)] {
                            outcomes.wrong.withLock { $0.append("thread \(thread) call \(call): got \(result)") }
                        }
                    } catch {
                        outcomes.wrong.withLock { $0.append("thread \(thread) call \(call): \(error)") }
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(outcomes.wrong.withLock { $0 } == [])
        let counters = try stats(server)
        #expect(counters["requests"]?.intValue == threads * callsPerThread + 1)
        // At most one connection per concurrently used handle, plus the stats client's.
        #expect((counters["connections"]?.intValue ?? .max) <= threads + 1)
    }

    @Test func sequentialCallsReuseOneConnection() throws {
        let server = try JSONRPCTestServer()
        let client = JSONRPCClient(url: server.url)
        for _ in 0..<50 {
            _ = try client.call("eth_blockNumber", [])
        }
        let counters = try stats(server)
        #expect(counters["requests"]?.intValue == 51)
        // One connection for the 50 calls, one for the stats client.
        #expect(counters["connections"]?.intValue == 2)
        #expect(counters["clientPorts"]?.intValue == 2)
    }

    @Test func urlsAreRedactedInMessages() {
        #expect(JSONRPCClient.redacted("http://127.0.0.1:8545") == "http://127.0.0.1:8545")
        #expect(JSONRPCClient.redacted("https://user:secret@mainnet.example.io/v3/KEY?x=1")
            == "https://mainnet.example.io/…")
        #expect(JSONRPCClient.redacted("not a url") == "<invalid URL>")
    }
}
