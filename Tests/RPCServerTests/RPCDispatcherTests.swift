import JSON
import Primitives
import Synchronization
import Testing
@testable import RPCServer

/// JSON-RPC 2.0 semantics of the dispatcher, independent of the transport.
@Suite("JSON-RPC dispatch")
struct RPCDispatcherTests {
    static func dispatcher(limits: RPCLimits = RPCLimits()) -> RPCDispatcher {
        var methods = RPCMethods()
        methods.register("echo") { call in .array(call.params.values) }
        methods.register("add") { call in
            try call.params.expectCount(2, 2)
            let sum = try call.params.quantity(0, "a") &+ call.params.quantity(1, "b")
            return .quantity(sum)
        }
        methods.register("fail") { _ in throw RPCError.server("nonce too low") }
        methods.register("crash") { _ in struct Oops: Error {}; throw Oops() }
        return RPCDispatcher(methods: methods, limits: limits)
    }

    static func answer(_ text: String, _ dispatcher: RPCDispatcher = dispatcher()) async throws -> JSONValue? {
        guard let bytes = await dispatcher.respond(to: Array(text.utf8)) else { return nil }
        return try JSONValue(parsing: bytes)
    }

    @Test("A call gets its result under its own id")
    func result() async throws {
        let response = try #require(try await Self.answer(#"{"jsonrpc":"2.0","id":"x7","method":"add","params":["0x2",40]}"#))
        #expect(response["id"] == .string("x7"))
        #expect(response["result"] == .string("0x2a"))
        #expect(response["error"] == nil)
    }

    @Test("Malformed JSON is answered with -32700 and a null id", arguments: [
        #"{"jsonrpc":"2.0","id":1,"method":"echo""#, "", "not json", #"{"a":1,"a":2}"#, "[1,2,", "\u{0}",
    ])
    func parseError(text: String) async throws {
        let response = try #require(try await Self.answer(text))
        #expect(response["error"]?["code"] == .number(-32700))
        #expect(response["id"] == .null)
    }

    @Test("Invalid requests are answered with -32600", arguments: [
        #"{"id":1,"method":"echo"}"#,  // no jsonrpc member
        #"{"jsonrpc":"1.0","id":1,"method":"echo"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":5}"#,
        #"{"jsonrpc":"2.0","id":{"a":1},"method":"echo"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"echo","params":"x"}"#,
        "[]", "5", #""text""#,
    ])
    func invalidRequest(text: String) async throws {
        let response = try #require(try await Self.answer(text))
        #expect(response["error"]?["code"] == .number(-32600), "\(text) → \(response)")
    }

    @Test("Unknown methods get -32601, bad params -32602, handler failures their own code")
    func errors() async throws {
        let unknown = try #require(try await Self.answer(#"{"jsonrpc":"2.0","id":1,"method":"eth_nope"}"#))
        #expect(unknown["error"]?["code"] == .number(-32601))
        let badParams = try #require(try await Self.answer(#"{"jsonrpc":"2.0","id":2,"method":"add","params":["0xzz",1]}"#))
        #expect(badParams["error"]?["code"] == .number(-32602))
        #expect(badParams["error"]?["message"]?.stringValue?.contains("a:") == true)
        let missing = try #require(try await Self.answer(#"{"jsonrpc":"2.0","id":3,"method":"add","params":["0x1"]}"#))
        #expect(missing["error"]?["code"] == .number(-32602))
        let named = try #require(try await Self.answer(#"{"jsonrpc":"2.0","id":4,"method":"add","params":{"a":1}}"#))
        #expect(named["error"]?["code"] == .number(-32602))
        let failed = try #require(try await Self.answer(#"{"jsonrpc":"2.0","id":5,"method":"fail"}"#))
        #expect(failed["error"]?["code"] == .number(-32000))
        #expect(failed["error"]?["message"] == .string("nonce too low"))
        let crashed = try #require(try await Self.answer(#"{"jsonrpc":"2.0","id":6,"method":"crash"}"#))
        #expect(crashed["error"]?["code"] == .number(-32603))
    }

    @Test("A batch is answered call by call; notifications get no answer")
    func batch() async throws {
        let text = #"[{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]},"# +
            #"{"jsonrpc":"2.0","method":"echo","params":[1]},"# +
            #"{"jsonrpc":"2.0","id":2,"method":"nope"}, 7]"#
        let response = try #require(try await Self.answer(text))
        let items = try #require(response.arrayValue)
        #expect(items.count == 3)
        #expect(items[0]["result"] == .string("0x3"))
        #expect(items[1]["error"]?["code"] == .number(-32601))
        #expect(items[2]["error"]?["code"] == .number(-32600))
        #expect(try await Self.answer(#"{"jsonrpc":"2.0","method":"echo"}"#) == nil)
        #expect(try await Self.answer(#"[{"jsonrpc":"2.0","method":"echo"}]"#) == nil)
    }

    @Test("A batch of read-only calls runs at once and is answered in order; one with any other call runs in turn")
    func concurrentReads() async throws {
        let running = Mutex((now: 0, most: 0))
        @Sendable func slow(_ call: RPCCall) async throws -> JSONValue {
            running.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
            // Later calls finish first, so an answer out of the batch's order would show.
            let order = try call.params.quantity(0, "order").uint64 ?? 0
            try await Task.sleep(nanoseconds: (20 - order) * 5_000_000)
            running.withLock { $0.now -= 1 }
            return .quantity(order)
        }
        var methods = RPCMethods()
        methods.register("read", slow)
        methods.register("write", slow)
        methods.allowConcurrentInBatch(["read"])
        let dispatcher = RPCDispatcher(methods: methods)
        func batch(_ names: [String]) -> String {
            "[" + names.enumerated().map { #"{"jsonrpc":"2.0","id":\#($0.offset),"method":"\#($0.element)","params":[\#($0.offset)]}"# }
                .joined(separator: ",") + "]"
        }
        let reads = try #require(try await Self.answer(batch(Array(repeating: "read", count: 10)), dispatcher)?.arrayValue)
        #expect(reads.map { $0["id"] } == (0..<10).map { JSONValue.number($0) })
        #expect(reads.map { $0["result"] } == (0..<10).map { .string("0x" + String($0, radix: 16)) })
        #expect(running.withLock { $0.most } > 1)
        running.withLock { $0 = (0, 0) }
        let mixed = try #require(try await Self.answer(batch(["read", "write", "read"]), dispatcher)?.arrayValue)
        #expect(mixed.map { $0["result"] } == [.string("0x0"), .string("0x1"), .string("0x2")])
        #expect(running.withLock { $0.most } == 1)
    }

    @Test("Oversized requests and batches are refused")
    func limits() async throws {
        let dispatcher = Self.dispatcher(limits: RPCLimits(maxRequestBytes: 200, maxBatchSize: 3))
        let big = #"{"jsonrpc":"2.0","id":1,"method":"echo","params":[""# + String(repeating: "a", count: 300) + #""]}"#
        let refused = try #require(try await Self.answer(big, dispatcher))
        #expect(refused["error"]?["code"] == .number(-32600))
        let call = #"{"jsonrpc":"2.0","id":1,"method":"echo"}"#
        let batch = "[" + Array(repeating: call, count: 4).joined(separator: ",") + "]"
        let tooMany = try #require(try await Self.answer(batch, dispatcher))
        #expect(tooMany["error"]?["code"] == .number(-32600))
        let fine = try #require(try await Self.answer("[" + Array(repeating: call, count: 3).joined(separator: ",") + "]",
                                                      dispatcher))
        #expect(fine.arrayValue?.count == 3)
    }

    @Test("Quantities are accepted as hex, decimal strings and numbers; nonsense is refused", arguments: [
        (JSONValue.string("0x10"), U256(16) as U256?), (.number(16), U256(16)), (.string("16"), U256(16)),
        (.string("0x"), nil), (.number(-1), nil), (.string("0x1g"), nil), (.bool(true), nil), (JSONValue(floatLiteral: 1.5), nil),
    ])
    func quantities(value: JSONValue, expected: U256?) {
        let parsed = try? RPCParams.quantity(value, "q")
        #expect(parsed == expected)
    }
}
