import Chain
import EthRPC
import EVM
import Foundation
import JSON
import Node
import Primitives
import RPCServer
import State

/// The devnet node: the chain on its own thread behind the `eth_*` API, Flashbots bundles, the anvil test
/// methods, subscriptions, and slot-timed (or automatic) block production.
public final class DevnetNode: EthBackend {
    let host: ChainHost<DevnetChain>
    public let subscriptions = SubscriptionHub()
    /// Mine a block as soon as a transaction arrives (slot time 0).
    public let automine: Bool
    public let chainId: UInt64
    /// The upstream a forked devnet continues.
    public let fork: UpstreamFork?
    /// Whether the chain has the EXECUTE precompile (`Specs/protocol.md` §8.3).
    public let hasExecutePrecompile: Bool
    public var signsForDevelopmentAccounts: Bool { true }

    /// Opens the chain with `make`, on the chain thread (replaying a long log needs its large stack).
    public init(automine: Bool, make: @escaping @Sendable () throws -> DevnetChain) throws {
        host = try ChainHost(make: make)
        self.automine = automine
        let facts = try host.runBlocking { devnet in
            (devnet.node.config.chainId, devnet.node.fork, !devnet.node.config.customPrecompiles.table.isEmpty)
        }
        chainId = facts.0
        fork = facts.1
        hasExecutePrecompile = facts.2
    }

    /// Runs `body` with the devnet chain on the chain thread, domain errors mapped to JSON-RPC errors.
    func withChain<T: Sendable>(_ body: @escaping @Sendable (DevnetChain) throws -> T) async throws -> T {
        try await EthErrors.mapped { try await host.run(body) }
    }

    public func withNodeChain<T: Sendable>(_ body: @escaping @Sendable (NodeChain) throws -> T) async throws -> T {
        try await host.run { try body($0.node) }
    }

    public func accept(_ transaction: Transaction, raw: [UInt8]) async throws -> Hash {
        let hash = try await host.run { try $0.node.submit(verified: transaction, raw: raw) }
        if automine { try await mine() }
        return hash
    }

    /// Mines one block and tells subscribers.
    @discardableResult
    public func mine(timestamp: UInt64? = nil) async throws -> UInt64 {
        let block = try await withChain { try $0.mine(timestamp: timestamp) }
        subscriptions.publish(block)
        return block.number
    }

    /// Forgets a closed connection's subscriptions.
    public func disconnected(_ connection: RPCConnection) { subscriptions.disconnected(connection: connection.id) }

    /// Produces a block every `slotSeconds` seconds, at the start of each slot, until cancelled.
    public func runSlots(slotSeconds: Double, log: @escaping @Sendable (String) -> Void) async {
        await repeatOnClockGrid(every: slotSeconds) {
            do {
                log("block \(try await mine()) mined")
            } catch {
                log("could not mine a block: \(error)")
            }
        }
    }

    public func stop() { host.stop() }

    /// Submits raw transactions in one chain-thread job (benchmarks, bulk loads); returns their hashes.
    @discardableResult
    public func submitAll(_ raws: [[UInt8]]) async throws -> [Hash] {
        try await withChain { devnet in try raws.map { try devnet.node.submit(raw: $0) } }
    }

    /// Mines one block and returns how many transactions it included.
    public func mineCounting() async throws -> Int {
        let block = try await withChain { try $0.mine() }
        subscriptions.publish(block)
        return block.block.transactions.count
    }

    /// The head block number and the pool's size, for start-up messages.
    public func withChainStatus() async throws -> (head: UInt64, pending: Int) {
        try await withChain { ($0.head.number, $0.node.pool.count) }
    }
}
