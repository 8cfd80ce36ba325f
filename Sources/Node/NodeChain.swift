import Chain
import EVM
import Foundation
import JSON
import Primitives
import State
import Store

/// A state to answer a query on, with the block whose post-state it is.
public struct StateView {
    public let state: StateBackend
    public let block: ChainBlock
}

/// A node's chain and everything that changes it: the transaction pool, block production through `BlockBuilder`,
/// test-only state edits, snapshots, and the durable event log it replays on start. The L1 devnet and the L2
/// sequencer each wrap one with their own policy (what goes first in a block, when blocks are made).
///
/// The chain is the fold of its events (genesis or fork, blocks, state edits) in order: a restart replays the log,
/// a revert to a snapshot replays a prefix. Every change is written to the log before it is visible; pending
/// transactions (and whatever else the owner keeps pending, such as bundles) are logged when accepted and settled
/// in the same commit as the block that includes or drops them. Not thread-safe: a `ChainHost` thread owns it.
public final class NodeChain {
    /// The genesis of a chain started here; nil for a forked chain.
    public let genesis: Genesis?
    /// The upstream a forked chain continues; nil for a chain started here.
    public let fork: UpstreamFork?
    let baseConfig: ChainConfig
    /// The chain's own block rules (Ethereum's, or the L2's).
    public let rules: any ChainRules
    public private(set) var chain: Blockchain
    public private(set) var pool: TransactionPool
    public var coinbase: Address
    /// Seconds added to the wall clock for new blocks (`evm_increaseTime`).
    public private(set) var timeOffset: Int64 = 0
    /// The timestamp the next block must have (`evm_setNextBlockTimestamp`), used once.
    public var nextTimestamp: UInt64?
    /// The durable log (nil: in memory only).
    public let log: EventLog?
    /// Every event so far, with its log sequence (0 without a log).
    private var events: [(kind: String, payload: [UInt8], sequence: Int64)] = []
    private var snapshots: [UInt64: (events: Int, pool: TransactionPool, timeOffset: Int64)] = [:]
    private var nextSnapshotID: UInt64 = 1

    public var config: ChainConfig { chain.config }
    public var head: ChainBlock { chain.head }

    /// Opens the chain: replays `log` when it holds events (the genesis argument is then ignored in favour of the
    /// logged one), otherwise starts from `genesis` and logs it. `configure` adjusts whichever genesis is used with
    /// what its file cannot carry (native precompiles). Pending entries are restored by `restorePending(_:)`, which
    /// the owner calls once its own state is ready.
    public convenience init(genesis initial: Genesis, log: EventLog?, coinbase: Address = .zero,
                            rules: any ChainRules = EthereumRules(),
                            configure: (inout Genesis) -> Void = { _ in }) throws {
        let logged = try log?.events() ?? []
        var genesis = initial
        if let first = logged.first {
            guard first.kind == "genesis" else {
                throw NodeError("the data directory holds a forked chain: start it with --fork-url, or use another --data-dir")
            }
            genesis = try Genesis.parse(json: Data(first.payload))
        }
        configure(&genesis)
        try self.init(genesis: genesis, fork: nil, config: genesis.config, log: log, logged: logged, coinbase: coinbase,
                      rules: rules)
    }

    /// Opens a chain that continues `fork`'s upstream: replays `log` when it holds that fork's events, otherwise
    /// starts at the fork block, logs it, and funds the ten development accounts with `devBalance` (as anvil does).
    public convenience init(fork: UpstreamFork, chainId: UInt64, log: EventLog?, coinbase: Address = .zero,
                            devBalance: U256 = U256(10_000) &* U256(1_000_000_000_000_000_000)) throws {
        let logged = try log?.events() ?? []
        if let first = logged.first {
            guard first.kind == "fork" else {
                throw NodeError("the data directory holds a chain started from a genesis, not a fork: use another --data-dir")
            }
            let recorded = try UpstreamFork.parseEvent(first.payload)
            guard recorded.hash == fork.header.hash else {
                throw NodeError("the data directory forked block \(recorded.blockNumber) (\(recorded.hash)) of \(recorded.url); " +
                                "the upstream's block \(fork.blockNumber) is \(fork.header.hash)")
            }
        }
        try self.init(genesis: nil, fork: fork, config: ChainConfig(chainId: chainId, fork: .prague), log: log,
                      logged: logged, coinbase: coinbase, rules: EthereumRules())
        if logged.isEmpty {
            for address in DevAccounts.addresses { try edit(address, balance: devBalance) }
        }
    }

    private init(genesis: Genesis?, fork: UpstreamFork?, config: ChainConfig, log: EventLog?,
                 logged: [EventLog.Event], coinbase: Address, rules: any ChainRules) throws {
        self.rules = rules
        self.log = log
        self.coinbase = coinbase
        self.genesis = genesis
        self.fork = fork
        self.baseConfig = config
        chain = Self.makeChain(genesis: genesis, fork: fork, config: config, rules: rules)
        pool = TransactionPool(chainId: config.chainId)
        if let first = logged.first {
            events.append((first.kind, first.payload, first.sequence))
            for event in logged.dropFirst() {
                try apply(kind: event.kind, payload: event.payload)
                events.append((event.kind, event.payload, event.sequence))
            }
        } else {
            let (kind, payload) = fork.map { ("fork", $0.eventPayload) }
                ?? ("genesis", Array(genesis!.gethJSON.serializedString().utf8))
            try record(kind: kind, payload: payload)
        }
    }

    static func makeChain(genesis: Genesis?, fork: UpstreamFork?, config: ChainConfig, rules: any ChainRules) -> Blockchain {
        if let fork { return Blockchain(config: config, forkedFrom: fork.header, fork: fork.base) }
        return Blockchain(genesis: genesis!, adjust: rules.adjustGenesis)
    }

    /// Runs `body`, whose reads may reach a forked chain's upstream; a failed read throws `UpstreamReadFailed`.
    public func reading<T>(_ operation: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        try chain.state.readingUpstream(operation(), body)
    }

    // MARK: The next block

    func wallClock() -> UInt64 { UInt64(max(0, Int64(Date().timeIntervalSince1970) + timeOffset)) }

    /// What a development chain's next block on `parent` (the head when nil) is made with: the requested time,
    /// else the one `evm_setNextBlockTimestamp` set, else the clock (never before the parent's time + 1); a
    /// prevrandao and beacon root derived from the parent, the "lockstep" extra data and no withdrawals.
    public func nextAttributes(timestamp requested: UInt64? = nil, after parent: ChainBlock? = nil) -> BlockAttributes {
        let parent = parent ?? chain.head
        let number = parent.number + 1
        var numberBytes = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { numberBytes[index] = UInt8(truncatingIfNeeded: number >> (56 - 8 * UInt64(index))) }
        return BlockAttributes(
            timestamp: max(parent.header.timestamp + 1, requested ?? nextTimestamp ?? wallClock()), coinbase: coinbase,
            prevRandao: Keccak256.hash(parent.hash.bytes + Array("prevrandao".utf8)),
            parentBeaconBlockRoot: Keccak256.hash(Array("beacon".utf8) + numberBytes), extraData: Array("lockstep".utf8))
    }

    /// The header fields the next block on `parent` (the head when nil) will have, before execution fills in
    /// the results: what transactions are priced and calls run against.
    public func nextHeader(timestamp: UInt64? = nil, after parent: ChainBlock? = nil) -> BlockHeader {
        let parent = parent ?? chain.head
        return BlockBuilder.template(after: parent, config: config,
                                     attributes: nextAttributes(timestamp: timestamp, after: parent))
    }

    /// The base fee the next block will charge.
    public var nextBaseFee: U256 { FeeMarket.nextBaseFee(parent: chain.headHeader) }

    /// The blob base fee the next block will charge.
    public var nextBlobBaseFee: U256 {
        let header = nextHeader()
        let parameters = config.blobParameters(for: config.fork(at: header.timestamp))
        return parameters?.blobBaseFee(excessBlobGas: header.excessBlobGas ?? 0) ?? .zero
    }

    // MARK: Transactions

    /// Admits a transaction `TransactionIntake.decodeAndVerify` returned (so with its sidecar verified) to the
    /// pool; `raw` is what is logged. The transaction is durable when this returns.
    /// - Throws: `PoolError`, `UpstreamReadFailed`; nothing is then kept.
    @discardableResult
    public func submit(verified transaction: Transaction, raw: [UInt8]) throws -> Hash {
        try rules.screen(transaction)
        let hash = try TransactionIntake.admit(transaction, to: &pool, chain: chain, next: nextHeader(),
                                               sidecarVerified: true)
        do {
            try log?.putPending(key: hash.bytes, kind: "tx", payload: raw, added: Self.milliseconds())
        } catch {
            pool.remove(hash: hash)
            throw error
        }
        return hash
    }

    /// Decodes, verifies and admits a raw (network-form) transaction (for bulk loads that are already off any
    /// server thread).
    @discardableResult
    public func submit(raw: [UInt8]) throws -> Hash {
        try submit(verified: TransactionIntake.decodeAndVerify(raw: raw), raw: raw)
    }

    /// Records a pending entry the owner keeps besides transactions (a bundle), durably.
    public func putPending(key: [UInt8], kind: String, payload: [UInt8]) throws {
        try log?.putPending(key: key, kind: kind, payload: payload, added: Self.milliseconds())
    }

    static func milliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Puts the logged pending transactions back (dropping those the chain made invalid), and offers every other
    /// pending entry to `other`, which keeps it by returning true; what is not kept is deleted from the log.
    public func restorePending(_ other: (_ kind: String, _ payload: [UInt8]) -> Bool = { _, _ in false }) throws {
        guard let log else { return }
        for item in try log.pending() {
            let kept: Bool
            if item.kind == "tx" {
                do {
                    let transaction = try TransactionIntake.decode(raw: item.payload)
                    try rules.screen(transaction)
                    try TransactionIntake.admit(transaction, to: &pool, chain: chain, next: nextHeader())
                    kept = true
                } catch {
                    kept = false
                }
            } else {
                kept = other(item.kind, item.payload)
            }
            if !kept { try log.deletePending(key: item.key) }
        }
    }

    // MARK: Blocks

    /// Builds the next block with `BlockBuilder` from `prefix` and the pool, logs it, and appends it: durable before
    /// visible, the block and the settling of its pool entries (and of `settling`, the owner's pending keys it
    /// consumed) commit together. Pool transactions found invalid are dropped.
    /// - Throws: `InvalidBlock`, `UpstreamReadFailed`, a store error; the chain, pool and log are then unchanged.
    /// - Parameters:
    ///   - seal: the chain's own additions to the sealed header (`BlockBuilder.build`).
    ///   - payload: the block event's payload, which `rules.replay` reads back (an Ethereum block's RLP by default).
    @discardableResult
    public func produce(attributes: BlockAttributes, prefix: ForcedPrefix = .none,
                        seal: (inout BlockHeader, BlockExecutionResult) throws(InvalidBlock) -> Void = { _, _ in },
                        payload: (BuiltBlock) throws -> [UInt8] = { $0.block.rlpEncoded },
                        settling: [[UInt8]] = []) throws -> (block: ChainBlock, built: BuiltBlock) {
        let number = chain.head.number + 1
        let built = try reading("building block \(number)") {
            try BlockBuilder().build(on: chain, pool: pool, attributes: attributes, prefix: prefix, seal: seal)
        }
        let removed = built.block.transactions.map(\.hash) + built.skipped.map(\.hash)
        try record(kind: "block", payload: payload(built), settling: removed.map(\.bytes) + settling)
        nextTimestamp = nil
        let appended = chain.append(built: built)
        for hash in removed { pool.remove(hash: hash) }
        pool.removeStale(chain: chain)
        return (appended, built)
    }

    /// Appends a block built elsewhere and rebuilt here (an L2 based block that L1 accepted), logged with
    /// `payload`: durable before visible, as `produce`. Its transactions leave the pool with their log entries, and
    /// pool transactions it made stale (the same sender and nonce) are dropped and returned, so the owner can say so.
    /// - Throws: a store error; nothing then changes.
    @discardableResult
    public func adopt(_ built: BuiltBlock, payload: [UInt8]) throws -> (block: ChainBlock, dropped: [Hash]) {
        let included = built.block.transactions.map(\.hash)
        try record(kind: "block", payload: payload, settling: included.filter { pool.entry(hash: $0) != nil }.map(\.bytes))
        nextTimestamp = nil
        let appended = chain.append(built: built)
        for hash in included { pool.remove(hash: hash) }
        let before = Set(pool.allEntries.map(\.hash))
        pool.removeStale(chain: chain)
        let dropped = before.subtracting(pool.allEntries.map(\.hash))
        for hash in dropped { try log?.deletePending(key: hash.bytes) }
        return (appended, Array(dropped))
    }

    /// Rolls the chain back to block `number` (what it was derived from changed: an L1 reorg), durably: every later
    /// event is forgotten and the discarded blocks' transactions return to the pool, re-validated and logged as
    /// pending before the blocks leave the log, so a crash in between loses none. Snapshots are forgotten.
    /// - Returns: the discarded blocks, oldest first, and the transactions the pool refused, with why.
    /// - Throws: a store error or a replay failure; the chain is then as before.
    public func rewind(toBlock number: UInt64) throws -> (discarded: [ChainBlock], refused: [(hash: Hash, reason: String)]) {
        guard number < chain.head.number else { return ([], []) }
        let discarded = ((number + 1)...chain.head.number).compactMap { chain.block(number: $0) }
        var blocksKept: UInt64 = 0
        var cut = events.count
        for (index, event) in events.enumerated() where event.kind == "block" {
            if blocksKept == number { cut = index; break }
            blocksKept += 1
        }
        let kept = Array(events.prefix(cut))
        let previous = chain
        chain = Self.makeChain(genesis: genesis, fork: fork, config: baseConfig, rules: rules)
        do {
            for event in kept.dropFirst() { try apply(kind: event.kind, payload: event.payload) }
        } catch {
            chain = previous
            throw error
        }
        // The discarded transactions back in the pool, durably, before the blocks leave the log.
        var refused: [(hash: Hash, reason: String)] = []
        let next = nextHeader()
        for transaction in discarded.flatMap(\.block.transactions) {
            do {
                try rules.screen(transaction)
                let hash = try TransactionIntake.admit(transaction, to: &pool, chain: chain, next: next)
                try log?.putPending(key: hash.bytes, kind: "tx", payload: transaction.networkEncoded,
                                    added: Self.milliseconds())
            } catch {
                refused.append((transaction.hash, "\(error)"))
            }
        }
        pool.removeStale(chain: chain)
        if let log, let last = kept.last { try log.truncate(after: last.sequence) }
        events = kept
        snapshots = [:]
        nextTimestamp = nil
        return (discarded, refused)
    }

    // MARK: Test-only state edits (anvil_set*)

    /// Changes one account outside any transaction, durably.
    public func edit(_ address: Address, balance: U256? = nil, nonce: UInt64? = nil, code: [UInt8]? = nil,
                     storage: [U256: U256] = [:]) throws {
        var object: [String: JSONValue] = ["address": .string(address.hexString)]
        if let balance { object["balance"] = .quantity(balance) }
        if let nonce { object["nonce"] = .quantity(nonce) }
        if let code { object["code"] = .data(code) }
        if !storage.isEmpty {
            var slots: [String: JSONValue] = [:]
            for (key, value) in storage { slots[key.hexString] = .quantity(value) }
            object["storage"] = .object(slots)
        }
        let payload = Array(JSONValue.object(object).serializedString().utf8)
        try apply(kind: "edit", payload: payload)
        try record(kind: "edit", payload: payload)
    }

    /// Appends an event to the log and the in-memory list.
    private func record(kind: String, payload: [UInt8], settling: [[UInt8]] = []) throws {
        let sequence = try log?.append(kind: kind, payload: payload, settling: settling) ?? 0
        events.append((kind, payload, sequence))
    }

    /// Replays one logged event.
    func apply(kind: String, payload: [UInt8]) throws {
        switch kind {
        case "block":
            try reading("replaying block \(chain.head.number + 1)") { try rules.replay(payload, on: chain) }
        case "edit":
            let json = try JSONValue(parsing: payload)
            let address = try Address(hex: json["address"]?.stringValue ?? "")
            let code = try json["code"].map { try $0.decodeData() }
            var storage: [U256: U256] = [:]
            for (key, value) in json["storage"]?.objectValue ?? [:] {
                storage[try U256(hex: key)] = try value.decodeQuantity()
            }
            let prepared = try reading("editing \(address)") {
                let current = chain.state.accountState(address) ?? InMemoryState.Account()
                let info = AccountInfo(nonce: try json["nonce"]?.decodeUInt64Quantity() ?? current.nonce,
                                       balance: try json["balance"]?.decodeQuantity() ?? current.balance,
                                       codeHash: Keccak256.hash(code ?? current.code))
                let change = AccountChange(address: address, info: info, code: code ?? current.code, storage: storage,
                                           storageCleared: false)
                return try chain.state.prepare([change])
            }
            chain.state.commit(prepared)
            // Blocks' state diffs no longer tell the whole story of the state.
            chain.forgetStateChanges()
        default:
            throw NodeError("unknown event kind '\(kind)' in the data directory's log")
        }
    }

    // MARK: Snapshots and time

    /// Remembers the current chain, pool and clock; returns an id for `revert`.
    public func snapshot() -> UInt64 {
        let id = nextSnapshotID
        nextSnapshotID += 1
        snapshots[id] = (events.count, pool, timeOffset)
        return id
    }

    /// Returns to snapshot `id` (which is then used up, with every later one); pending log entries that arrived
    /// after it are deleted, except the pool's at the time and `keeping` (the owner's). False when unknown.
    public func revert(to id: UInt64, keeping: Set<[UInt8]> = []) throws -> Bool {
        guard let saved = snapshots[id] else { return false }
        let kept = Array(events.prefix(saved.events))
        chain = Self.makeChain(genesis: genesis, fork: fork, config: baseConfig, rules: rules)
        for event in kept.dropFirst() { try apply(kind: event.kind, payload: event.payload) }
        if let log, let last = kept.last { try log.truncate(after: last.sequence) }
        events = kept
        if let log {
            let keep = keeping.union(saved.pool.allEntries.map(\.hash.bytes))
            for item in try log.pending() where !keep.contains(item.key) { try log.deletePending(key: item.key) }
        }
        pool = saved.pool
        timeOffset = saved.timeOffset
        snapshots = snapshots.filter { $0.key < id }
        return true
    }

    /// Moves the clock for later blocks forward by `seconds`; returns the total offset.
    public func increaseTime(_ seconds: Int64) -> Int64 {
        timeOffset += seconds
        return timeOffset
    }

    // MARK: Calls

    /// A simulator for calls in the block after `view`'s (the head's live state when nil).
    public func simulator(on view: StateView? = nil) -> CallSimulator {
        CallSimulator(chain: chain, state: view?.state, header: nextHeader(after: view?.block))
    }

    /// The post-state of `block`, kept for the last `WorldState.historyDepth` blocks.
    public func view(of block: ChainBlock) throws -> StateView {
        guard let state = chain.state.state(atBlock: block.number) else {
            throw NodeError("the state of block \(block.number) is no longer kept: this node keeps the last " +
                            "\(WorldState.historyDepth) blocks' state (head is \(chain.head.number))")
        }
        return StateView(state: state, block: block)
    }
}
