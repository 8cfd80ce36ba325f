import EVM
import Primitives

/// What the consensus side decides for a new block (the engine API's payload attributes).
public struct BlockAttributes: Hashable, Sendable {
    public var timestamp: UInt64
    /// The fee recipient.
    public var coinbase: Address
    public var prevRandao: Hash
    /// EIP-4788 (Cancun on).
    public var parentBeaconBlockRoot: Hash
    /// EIP-4895 (Shanghai on).
    public var withdrawals: [Withdrawal]
    /// nil keeps the parent's gas limit.
    public var gasLimit: UInt64?
    public var extraData: [UInt8]

    public init(timestamp: UInt64, coinbase: Address = .zero, prevRandao: Hash = .zero,
                parentBeaconBlockRoot: Hash = .zero, withdrawals: [Withdrawal] = [], gasLimit: UInt64? = nil,
                extraData: [UInt8] = []) {
        self.timestamp = timestamp
        self.coinbase = coinbase
        self.prevRandao = prevRandao
        self.parentBeaconBlockRoot = parentBeaconBlockRoot
        self.withdrawals = withdrawals
        self.gasLimit = gasLimit
        self.extraData = extraData
    }
}

/// Transactions that go into a block together, in order, or not at all: a Flashbots bundle on L1, later a
/// based block's contents. A transaction listed in `revertible` may revert without sinking the group; any
/// other that reverts, or cannot be included, drops the whole group.
public struct TransactionGroup: Sendable, Hashable {
    public var transactions: [Transaction]
    /// The recovered senders, one per transaction.
    public var senders: [Address]
    public var revertible: Set<Hash>
    /// The caller has run this group on the same state after the same prefix and seen it succeed (a builder sealing
    /// the block it simulated): it goes in without a trial run, and the block fails to build (`InvalidBlock`)
    /// instead of leaving it out if it does not succeed after all.
    public var checked: Bool

    public init(transactions: [Transaction], senders: [Address], revertible: Set<Hash> = [], checked: Bool = false) {
        precondition(transactions.count == senders.count, "one sender per transaction")
        self.transactions = transactions
        self.senders = senders
        self.revertible = revertible
        self.checked = checked
    }
}

/// What a block must start with before the pool's transactions: `prelude` runs first (an L2's deposit relays are
/// system calls), then each group is tried on top of the groups accepted before it and kept only if all of it
/// succeeds. The pool fills the rest.
public struct ForcedPrefix {
    public var prelude: ((BlockExecution) throws(InvalidBlock) -> Void)?
    public var groups: [TransactionGroup]

    public init(prelude: ((BlockExecution) throws(InvalidBlock) -> Void)? = nil, groups: [TransactionGroup] = []) {
        self.prelude = prelude
        self.groups = groups
    }

    public static var none: ForcedPrefix { ForcedPrefix() }
}

/// A transaction the builder left out, and why.
public struct SkippedTransaction: Sendable {
    public let hash: Hash
    public let reason: InvalidBlock
}

/// A block the builder sealed, with its execution result ready to commit.
public struct BuiltBlock: Sendable {
    public let block: Block
    public let result: BlockExecutionResult
    /// Which of the prefix's groups went in (indices into `ForcedPrefix.groups`).
    public let includedGroups: [Int]
    /// Pool transactions that were tried and could not be included (they stay in the pool unless stale: the
    /// caller decides whether to drop them).
    public let skipped: [SkippedTransaction]
    /// Pool transactions left for a later block because the gas left could not hold their gas limit.
    public let deferred: [Hash]
}

/// The one block producer: assembles a block on top of a chain's head from a forced prefix and a transaction
/// pool. It takes the pool's transactions in fee order while gas lasts, defers those that do not fit, leaves out
/// the ones that are not includable (and their sender's later nonces), and seals the header with every root and
/// commitment. The devnet's L1 mines with it, the L2 sequencer builds with it.
public struct BlockBuilder: Sendable {
    public init() {}

    /// The header of the block `attributes` describe on top of `parent`, before execution fills in its results
    /// (state, transactions and receipts roots, bloom, gas used, blob gas used, requests hash): what a node
    /// prices transactions and runs calls against.
    public static func template(after parent: ChainBlock, config: ChainConfig, attributes: BlockAttributes) -> BlockHeader {
        let fork = config.fork(at: attributes.timestamp)
        var header = BlockHeader(parentHash: parent.hash, coinbase: attributes.coinbase, number: parent.number + 1,
                                 gasLimit: attributes.gasLimit ?? parent.header.gasLimit, timestamp: attributes.timestamp,
                                 extraData: attributes.extraData, mixHash: attributes.prevRandao)
        header.baseFeePerGas = FeeMarket.nextBaseFee(parent: parent.header)
        if fork >= .shanghai { header.withdrawalsRoot = OrderedTrie.withdrawalsRoot(attributes.withdrawals) }
        if fork >= .cancun {
            header.blobGasUsed = 0
            header.excessBlobGas = config.blobParameters(for: fork)?.excessBlobGas(parent: parent.header) ?? 0
            header.parentBeaconBlockRoot = attributes.parentBeaconBlockRoot
        }
        if fork >= .prague { header.requestsHash = ExecutionRequest.requestsHash([]) }
        return header
    }

    /// Fills in what a block's execution decides in `header` (a `template`): the state, transactions and receipts
    /// roots, the bloom, the gas used, the blob gas used (Cancun on) and the requests hash (Prague on).
    public static func fill(_ header: inout BlockHeader, transactions: [Transaction], result: BlockExecutionResult, fork: Fork) {
        header.stateRoot = result.pendingState.stateRoot
        header.transactionsRoot = OrderedTrie.transactionsRoot(transactions)
        header.receiptsRoot = OrderedTrie.receiptsRoot(result.receipts)
        header.logsBloom = result.logsBloom
        header.gasUsed = result.gasUsed
        if fork >= .cancun { header.blobGasUsed = result.blobGasUsed }
        if fork >= .prague { header.requestsHash = result.requestsHash }
    }

    /// Builds (but does not import) a block on `chain`'s head.
    /// - Throws: `InvalidBlock` when the attributes themselves are invalid (timestamp not after the parent's,
    ///   a gas limit out of bounds), the prelude fails, or a system contract fails.
    /// - Parameter seal: sets what a chain's own rules add to the sealed header (a rollup's extension fields),
    ///   given the execution's result; it runs after every Ethereum field is filled in.
    public func build(on chain: Blockchain, pool: TransactionPool, attributes: BlockAttributes,
                      prefix: ForcedPrefix = .none,
                      seal: (inout BlockHeader, BlockExecutionResult) throws(InvalidBlock) -> Void = { _, _ in })
        throws(InvalidBlock) -> BuiltBlock {
        let parent = chain.headHeader
        let config = chain.config
        let fork = config.fork(at: attributes.timestamp)
        guard ChainConfig.supportedForks.contains(fork) else {
            throw InvalidBlock(.unsupportedFork, "cannot build \(fork.name) blocks")
        }
        var header = Self.template(after: chain.head, config: config, attributes: attributes)
        // Checks timestamp, gas limit and extra data before any work (the roots are filled in below).
        try config.validateHeader(header, parent: parent)

        // The groups: each is tried on a scratch execution of everything accepted so far, then the group.
        var accepted: [(transaction: Transaction, sender: Address)] = []
        var includedGroups: [Int] = []
        // Transactions of checked groups that must succeed (they had no trial).
        var mustSucceed = Set<Hash>()
        for (index, group) in prefix.groups.enumerated() {
            if group.checked {
                accepted += zip(group.transactions, group.senders).map { ($0, $1) }
                includedGroups.append(index)
                mustSucceed.formUnion(group.transactions.map(\.hash).filter { !group.revertible.contains($0) })
                continue
            }
            let trial = BlockExecution(config: config, header: header, worldState: chain.state)
            if let prelude = prefix.prelude {
                do { try prelude(trial) } catch { break }  // the real execution below throws it
            }
            var fits = true
            for entry in accepted where fits { fits = (try? trial.apply(entry.transaction, sender: entry.sender)) != nil }
            for (transaction, sender) in zip(group.transactions, group.senders) where fits {
                guard let receipt = try? trial.apply(transaction, sender: sender) else { fits = false; break }
                if !receipt.succeeded && !group.revertible.contains(transaction.hash) { fits = false }
            }
            if fits {
                accepted += zip(group.transactions, group.senders).map { ($0, $1) }
                includedGroups.append(index)
            }
        }

        let execution = BlockExecution(config: config, header: header, worldState: chain.state)
        try prefix.prelude?(execution)
        var included: [Transaction] = []
        var includedHashes = Set<Hash>()
        for entry in accepted {
            let receipt = try execution.apply(entry.transaction, sender: entry.sender)
            if !receipt.succeeded, mustSucceed.contains(entry.transaction.hash) {
                throw InvalidBlock(.invalidTransaction, "transaction \(entry.transaction.hash) of a checked group reverted")
            }
            included.append(entry.transaction)
            includedHashes.insert(entry.transaction.hash)
        }
        var ordering = pool.ordering(baseFee: header.baseFeePerGas ?? .zero) { chain.state.account($0)?.nonce ?? 0 }
        var skipped: [SkippedTransaction] = []
        var deferred: [Hash] = []
        while execution.gasAvailable >= 21_000, let entry = ordering.next() {
            if includedHashes.contains(entry.hash) { continue }
            if entry.transaction.gasLimit > execution.gasAvailable {
                // Deferred, not invalid: it may fit the next block. The sender's later nonces wait with it.
                deferred.append(entry.hash)
                ordering.skip(sender: entry.sender)
                continue
            }
            do {
                try execution.apply(entry.transaction, sender: entry.sender)
                included.append(entry.transaction)
                includedHashes.insert(entry.hash)
            } catch {
                skipped.append(SkippedTransaction(hash: entry.hash, reason: error))
                ordering.skip(sender: entry.sender)
            }
        }
        execution.apply(withdrawals: attributes.withdrawals)
        let result = try execution.finish()

        Self.fill(&header, transactions: included, result: result, fork: fork)
        try seal(&header, result)
        let block = Block(header: header, transactions: included, ommers: [],
                          withdrawals: fork >= .shanghai ? attributes.withdrawals : nil)
        return BuiltBlock(block: block, result: result, includedGroups: includedGroups, skipped: skipped,
                          deferred: deferred)
    }
}

extension Blockchain {
    /// Builds a block from `prefix` and `pool` on the head, makes it the new head, and drops from the pool what it
    /// included and what it made stale (skipped transactions stay: they may become valid).
    /// - Throws: `InvalidBlock` when the attributes are invalid; the chain and pool are then unchanged.
    @discardableResult
    public func buildBlock(from pool: inout TransactionPool, attributes: BlockAttributes, prefix: ForcedPrefix = .none)
        throws(InvalidBlock) -> (block: ChainBlock, skipped: [SkippedTransaction], deferred: [Hash]) {
        let built = try BlockBuilder().build(on: self, pool: pool, attributes: attributes, prefix: prefix)
        let accepted = self.commit(built.block, result: built.result)
        for transaction in built.block.transactions { pool.remove(hash: transaction.hash) }
        pool.removeStale(chain: self)
        return (accepted, built.skipped, built.deferred)
    }

    /// Appends a block `BlockBuilder` sealed (the caller logs it first): the block is not executed a second time.
    @discardableResult
    public func append(built: BuiltBlock) -> ChainBlock {
        self.commit(built.block, result: built.result)
    }
}
