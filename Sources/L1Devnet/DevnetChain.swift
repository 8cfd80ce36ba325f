import Chain
import EthRPC
import EVM
import Foundation
import Node
import Primitives
import Rollup
import State
import Store

/// The devnet L1's policy over a `NodeChain`: Flashbots bundles queued for their target block and forced in
/// first, development block attributes, bundle simulation, and the EXECUTE precompile when the genesis asks for
/// it. Not thread-safe: the node's `ChainHost` owns it.
public final class DevnetChain {
    public let node: NodeChain
    /// Bundles waiting for their block, by block number.
    public private(set) var bundles: [UInt64: [FlashbotsBundle]] = [:]
    /// The bundles at each snapshot (the chain, pool and clock are the node chain's).
    private var bundleSnapshots: [UInt64: [UInt64: [FlashbotsBundle]]] = [:]

    public var head: ChainBlock { node.head }

    /// Opens a chain started from `genesis` (or the one its log holds), and puts pending transactions and bundles
    /// back.
    public convenience init(genesis: Genesis, log: EventLog?, coinbase: Address = .zero) throws {
        try self.init(node: NodeChain(genesis: genesis, log: log, coinbase: coinbase) { genesis in
            if genesis.executePrecompile {
                // Specs/protocol.md §8.3: native-rollup verification of Lockstep L2 blocks.
                genesis.config.customPrecompiles = CustomPrecompiles(
                    table: [RollupProtocol.executePrecompileAddress: ExecutePrecompile()])
            }
        })
    }

    /// Opens a chain that continues `fork`'s upstream (see `NodeChain.init(fork:chainId:log:coinbase:devBalance:)`).
    public convenience init(fork: UpstreamFork, chainId: UInt64, log: EventLog?) throws {
        try self.init(node: NodeChain(fork: fork, chainId: chainId, log: log))
    }

    init(node: NodeChain) throws {
        self.node = node
        try node.restorePending { [self] kind, payload in
            guard kind == "bundle", let bundle = try? FlashbotsBundle(payload: payload),
                  bundle.blockNumber > node.head.number else { return false }
            bundles[bundle.blockNumber, default: []].append(bundle)
            return true
        }
    }

    // MARK: Bundles

    /// Queues a bundle for its target block (durably).
    public func submit(bundle: FlashbotsBundle) throws {
        guard bundle.blockNumber > node.head.number else {
            throw NodeError("bundle targets block \(bundle.blockNumber), but the chain is already at \(node.head.number)")
        }
        try node.putPending(key: Self.key(bundle), kind: "bundle", payload: bundle.payload)
        bundles[bundle.blockNumber, default: []].append(bundle)
    }

    static func key(_ bundle: FlashbotsBundle) -> [UInt8] {
        Array("bundle".utf8) + bundle.bundleHash.bytes + withUnsafeBytes(of: bundle.blockNumber.bigEndian) { Array($0) }
    }

    /// Executes `bundle` on top of the head as the next block would, without keeping anything.
    public func simulate(bundle: FlashbotsBundle, timestamp: UInt64? = nil, coinbase override: Address? = nil)
        throws -> (outcomes: [(outcome: TransactionOutcome, receipt: Receipt, output: [UInt8])], coinbaseDiff: U256, header: BlockHeader)
    {
        var header = node.nextHeader(timestamp: timestamp)
        if let override { header.coinbase = override }
        let state = node.chain.state
        return try node.reading("simulating the bundle") {
            let execution = BlockExecution(config: node.config, header: header, worldState: state)
            let before = state.account(header.coinbase)?.balance ?? .zero
            var results: [(outcome: TransactionOutcome, receipt: Receipt, output: [UInt8])] = []
            for (transaction, sender) in zip(bundle.transactions, bundle.senders) {
                do {
                    let receipt = try execution.apply(transaction, sender: sender)
                    results.append((execution.outcomes.last!, receipt, execution.lastOutput))
                } catch {
                    throw NodeError("bundle transaction \(transaction.hash) cannot be included: \(error)")
                }
            }
            let result = try execution.finish()
            let after = result.pendingState.changes.first { $0.address == header.coinbase }?.info?.balance ?? before
            return (results, after &- before, header)
        }
    }

    // MARK: Mining

    /// Builds, logs and appends the next block: the bundles for it first (each all or nothing, the best-paying
    /// first, within its time window), then pool transactions by tip. Pool transactions that cannot be included are dropped.
    @discardableResult
    public func mine(timestamp: UInt64? = nil) throws -> ChainBlock {
        let attributes = node.nextAttributes(timestamp: timestamp)
        let number = node.head.number + 1
        let queued = bundles[number] ?? []
        // As an L1 block builder would: the bundles that pay the coinbase most go first (each simulated alone on the
        // head; arrival order between equals). A bundle that conflicts with one taken before it then fails and is left
        // out whole.
        let admitted = queued.filter { $0.admits(timestamp: attributes.timestamp) }
        var payments: [U256] = []
        for bundle in admitted {
            let simulated = try? simulate(bundle: bundle, timestamp: attributes.timestamp, coinbase: attributes.coinbase)
            payments.append(simulated?.coinbaseDiff ?? .zero)
        }
        let order = admitted.indices.sorted { a, b in
            payments[a] > payments[b] || (payments[a] == payments[b] && a < b)
        }
        let groups = order.map { admitted[$0].group }
        let (block, _) = try node.produce(attributes: attributes, prefix: ForcedPrefix(groups: groups),
                                          settling: queued.map(Self.key))
        bundles = bundles.filter { $0.key > number }
        return block
    }

    // MARK: Snapshots

    /// Remembers the chain, pool, clock and bundles; returns an id for `revert`.
    public func snapshot() -> UInt64 {
        let id = node.snapshot()
        bundleSnapshots[id] = bundles
        return id
    }

    /// Returns to snapshot `id` (which is then used up, with every later one). False when unknown.
    public func revert(to id: UInt64) throws -> Bool {
        guard let saved = bundleSnapshots[id] else { return false }
        let keep = Set(saved.values.joined().map(Self.key))
        guard try node.revert(to: id, keeping: keep) else { return false }
        bundles = saved
        bundleSnapshots = bundleSnapshots.filter { $0.key < id }
        return true
    }
}
