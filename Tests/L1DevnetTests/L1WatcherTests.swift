import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import L1Devnet
import Node
import Primitives
import RPCServer
import Testing

/// The L1 watcher following the devnet over real HTTP: heads, the watched contract's logs, and a reorg made with
/// `evm_snapshot`/`evm_revert`.
@Suite("The L1 watcher against the devnet over HTTP", .serialized)
struct L1WatcherTests {
    /// Logs one word (42) with topic 0x1234, then stops.
    static let loggerCode: [UInt8] = [0x60, 0x2a, 0x60, 0x00, 0x52, 0x7f] + Hash(word: U256(0x1234)).bytes
        + [0x60, 0x20, 0x60, 0x00, 0xa1, 0x00]
    static let logger = Address(word: U256(0x10661))

    /// Runs `body` with the devnet served on a free loopback port, off the cooperative threads.
    static func withDevnet(_ body: @escaping @Sendable (String, JSONRPCClient) throws -> Void) async throws {
        let devnet = try Devnet()
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(dispatcher: devnet.dispatcher, configuration: RPCServerConfiguration(port: 0),
                                            onRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NodeError("the server did not start") }
            let url = "http://127.0.0.1:\(port)"
            // A generous timeout: under `swift test` the heavy conformance suites can hold every cooperative thread
            // (which the server's handlers need) for a minute or more.
            try await offChainThread { try body(url, JSONRPCClient(url: url, timeoutMilliseconds: 240_000)) }
            group.cancelAll()
        }
        devnet.node.stop()
    }

    static func logCall(_ client: JSONRPCClient, from account: Int) throws {
        let nonce = try client.call("eth_getTransactionCount", [.string(DevAccounts.addresses[account].hexString), "pending"])
            .decodeUInt64Quantity()
        let transaction = Transaction(type: .dynamicFee, chainId: Devnet.chainId, nonce: nonce,
                                      maxPriorityFeePerGas: U256(1_000_000_000), maxFeePerGas: U256(100_000_000_000),
                                      gasLimit: 60_000, to: logger, value: .zero, data: [])
            .signed(with: DevAccounts.privateKeys[account])
        _ = try client.call("eth_sendRawTransaction", [.data(transaction.networkEncoded)])
    }

    @Test("New heads come with the watched contract's logs; a reorg is reported with its common ancestor")
    func headsLogsAndReorgs() async throws {
        try await Self.withDevnet { _, client in
            _ = try client.call("anvil_setCode", [.string(Self.logger.hexString), .data(Self.loggerCode)])
            let watcher = L1Watcher(client: client, addresses: [Self.logger])
            try watcher.start()
            #expect(watcher.head?.number == 0)
            #expect(try watcher.poll().isEmpty)

            try Self.logCall(client, from: 0)
            _ = try client.call("evm_mine")
            _ = try client.call("evm_mine")
            var changes = try watcher.poll()
            guard changes.count == 2, case .block(let first, let events) = changes[0], case .block(let second, let none) = changes[1] else {
                Issue.record("expected two blocks, got \(changes)")
                return
            }
            #expect(first.number == 1 && second.number == 2 && second.parentHash == first.hash)
            #expect(events.count == 1 && events.first?.log.topics == [Hash(word: U256(0x1234))] && none.isEmpty)

            // Two blocks on a branch that is then reverted and replaced by three others.
            let snapshot = try client.call("evm_snapshot")
            try Self.logCall(client, from: 1)
            _ = try client.call("evm_mine")
            _ = try client.call("evm_mine")
            changes = try watcher.poll()
            #expect(changes.count == 2)
            let abandoned = watcher.known.suffix(2).map(\.hash)
            #expect(try client.call("evm_revert", [snapshot]) == true)
            try Self.logCall(client, from: 2)
            for _ in 0..<3 { _ = try client.call("evm_mine", [.quantity(UInt64(Date().timeIntervalSince1970) + 100)]) }
            changes = try watcher.poll()
            guard changes.count == 4, case .reorg(let removed, let ancestor) = changes[0] else {
                Issue.record("expected a reorg and three blocks, got \(changes)")
                return
            }
            #expect(removed.map(\.hash) == abandoned.reversed() && ancestor.hash == second.hash)
            let replacement = changes.dropFirst().compactMap { change -> L1Watcher.Head? in
                if case .block(let head, _) = change { return head } else { return nil }
            }
            #expect(replacement.map(\.number) == [3, 4, 5] && replacement[0].parentHash == second.hash)
            #expect(watcher.head?.number == 5)
        }
    }
}
