import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JSON
import JSONRPCClient
import Primitives
import Synchronization
import Testing
@testable import RPCServer

/// The dispatcher behind a real Hummingbird server on a loopback port, called by the libcurl client and by raw HTTP.
@Suite("JSON-RPC over HTTP", .serialized)
struct RPCHTTPServerTests {
    /// Runs `body` against a server on a free port, then shuts the server down.
    static func withServer(limits: RPCLimits = RPCLimits(maxRequestBytes: 64 << 10, maxBatchSize: 100),
                           _ body: @escaping @Sendable (String) throws -> Void) async throws {
        let dispatcher = RPCDispatcherTests.dispatcher(limits: limits)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(dispatcher: dispatcher, configuration: RPCServerConfiguration(port: 0, limits: limits),
                                            onRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw RPCError.internalError("server did not start") }
            let url = "http://127.0.0.1:\(port)"
            // The clients block: keep them off the cooperative threads the server's handlers run on.
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
                Thread.detachNewThread {
                    do { try body(url); done.resume() } catch { done.resume(throwing: error) }
                }
            }
            group.cancelAll()
        }
    }

    /// A raw POST: status and body.
    static func post(_ url: String, _ body: [UInt8], path: String = "/") throws -> (status: Int, body: [UInt8]) {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body)
        return try fetch(request)
    }

    static func fetch(_ request: URLRequest) throws -> (status: Int, body: [UInt8]) {
        let result = Mutex<(Int, [UInt8])?>(nil)
        let error = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, failure in
            if let failure { error.withLock { $0 = failure } }
            result.withLock { $0 = ((response as? HTTPURLResponse)?.statusCode ?? 0, Array(data ?? Data())) }
            done.signal()
        }.resume()
        done.wait()
        if let failure = error.withLock({ $0 }) { throw failure }
        return result.withLock { $0 } ?? (0, [])
    }

    @Test("Calls and batches over HTTP through the libcurl client")
    func calls() async throws {
        try await Self.withServer { url in
            let client = JSONRPCClient(url: url, timeoutMilliseconds: 5_000)
            #expect(try client.call("add", [.string("0x20"), .number(10)]) == .string("0x2a"))
            let answers = try client.batch((0..<50).map { JSONRPCRequest("add", [.number($0), .number(1)]) })
            #expect(answers.count == 50)
            for (index, answer) in answers.enumerated() {
                #expect((try? answer.get()) == .quantity(UInt64(index + 1)))
            }
            do {
                _ = try client.call("fail", [])
                Issue.record("an error answer must throw")
            } catch let error as JSONRPCClientError {
                #expect(error.code == .rpcError && error.rpcCode == -32000)
            }
        }
    }

    @Test("Malformed JSON gets HTTP 200 with -32700; an oversized body HTTP 413 with -32600; the server lives on")
    func badInput() async throws {
        try await Self.withServer(limits: RPCLimits(maxRequestBytes: 1_000, maxBatchSize: 10)) { url in
            let malformed = try Self.post(url, Array(#"{"jsonrpc":"2.0","id":1,"#.utf8))
            #expect(malformed.status == 200)
            #expect(try JSONValue(parsing: malformed.body)["error"]?["code"] == .number(-32700))
            let oversized = try Self.post(url, Array(repeating: UInt8(ascii: " "), count: 5_000) + Array("{}".utf8))
            #expect(oversized.status == 413)
            #expect(try JSONValue(parsing: oversized.body)["error"]?["code"] == .number(-32600))
            let binary = try Self.post(url, (0..<256).map { UInt8($0) })
            #expect(try JSONValue(parsing: binary.body)["error"]?["code"] == .number(-32700))
            let onlyNotification = try Self.post(url, Array(#"{"jsonrpc":"2.0","method":"echo"}"#.utf8))
            #expect(onlyNotification.status == 200 && onlyNotification.body.isEmpty)
            let anyPath = try Self.post(url, Array(#"{"jsonrpc":"2.0","id":9,"method":"echo","params":[1]}"#.utf8),
                                        path: "/rpc/v1")
            #expect(try JSONValue(parsing: anyPath.body)["result"] == .array([.number(1)]))
            let client = JSONRPCClient(url: url, timeoutMilliseconds: 5_000)
            #expect(try client.call("echo", ["still here"]) == .array(["still here"]))
        }
    }

    @Test("Health and metrics endpoints")
    func endpoints() async throws {
        try await Self.withServer { url in
            _ = try Self.post(url, Array(#"{"jsonrpc":"2.0","id":1,"method":"echo"}"#.utf8))
            let health = try Self.fetch(URLRequest(url: URL(string: url + "/health")!))
            #expect(health.status == 200 && String(decoding: health.body, as: UTF8.self) == "ok\n")
            let metrics = String(decoding: try Self.fetch(URLRequest(url: URL(string: url + "/metrics")!)).body, as: UTF8.self)
            #expect(metrics.contains("lockstep_rpc_calls_total{method=\"echo\"} 1"))
        }
    }
}
