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

/// A transaction the builder left out, and why.
public struct SkippedTransaction: Sendable {
    public let hash: Hash
    public let reason: InvalidBlock
}

/// A block the builder sealed, with its execution result ready to commit.
public struct BuiltBlock: Sendable {
    public let block: Block
    public let result: BlockExecutionResult
    /// Pool transactions that were tried and could not be included (they stay in the pool unless stale).
    public let skipped: [SkippedTransaction]
}

/// Assembles blocks on top of a chain's head from a transaction pool: takes the pool's transactions in fee order
/// while gas lasts, leaves out the ones that are not includable (and their sender's later nonces), and seals the
/// header with every root and commitment.
public struct BlockBuilder: Sendable {
    public init() {}

    /// Builds (but does not import) a block on `chain`'s head.
    /// - Throws: `InvalidBlock` when the attributes themselves are invalid (timestamp not after the parent's,
    ///   a gas limit out of bounds) or a system contract fails.
    public func build(on chain: Blockchain, pool: TransactionPool, attributes: BlockAttributes)
        throws(InvalidBlock) -> BuiltBlock {
        let parent = chain.headHeader
        let config = chain.config
        let fork = config.fork(at: attributes.timestamp)
        guard ChainConfig.supportedForks.contains(fork) else {
            throw InvalidBlock(.unsupportedFork, "cannot build \(fork.name) blocks")
        }
        var header = BlockHeader(parentHash: chain.head.hash, coinbase: attributes.coinbase, number: parent.number + 1,
                                 gasLimit: attributes.gasLimit ?? parent.gasLimit, timestamp: attributes.timestamp,
                                 extraData: attributes.extraData, mixHash: attributes.prevRandao)
        header.baseFeePerGas = FeeMarket.nextBaseFee(parent: parent)
        if fork >= .shanghai { header.withdrawalsRoot = OrderedTrie.withdrawalsRoot(attributes.withdrawals) }
        if fork >= .cancun {
            header.blobGasUsed = 0
            header.excessBlobGas = config.blobParameters(for: fork)?.excessBlobGas(parent: parent) ?? 0
            header.parentBeaconBlockRoot = attributes.parentBeaconBlockRoot
        }
        if fork >= .prague { header.requestsHash = ExecutionRequest.requestsHash([]) }
        // Checks timestamp, gas limit and extra data before any work (the roots are filled in below).
        try config.validateHeader(header, parent: parent)

        let execution = BlockExecution(config: config, header: header, worldState: chain.state)
        var ordering = pool.ordering(baseFee: header.baseFeePerGas ?? .zero) { chain.state.account($0)?.nonce ?? 0 }
        var included: [Transaction] = []
        var skipped: [SkippedTransaction] = []
        while execution.gasAvailable >= 21_000, let entry = ordering.next() {
            do {
                try execution.apply(entry.transaction, sender: entry.sender)
                included.append(entry.transaction)
            } catch {
                skipped.append(SkippedTransaction(hash: entry.hash, reason: error))
                ordering.skip(sender: entry.sender)
            }
        }
        execution.apply(withdrawals: attributes.withdrawals)
        let result = try execution.finish()

        header.stateRoot = result.pendingState.stateRoot
        header.transactionsRoot = OrderedTrie.transactionsRoot(included)
        header.receiptsRoot = OrderedTrie.receiptsRoot(result.receipts)
        header.logsBloom = result.logsBloom
        header.gasUsed = result.gasUsed
        if fork >= .cancun { header.blobGasUsed = result.blobGasUsed }
        if fork >= .prague { header.requestsHash = result.requestsHash }
        let block = Block(header: header, transactions: included, ommers: [],
                          withdrawals: fork >= .shanghai ? attributes.withdrawals : nil)
        return BuiltBlock(block: block, result: result, skipped: skipped)
    }
}

extension Blockchain {
    /// Builds a block from `pool` on the head, makes it the new head, and drops what it made stale from the pool.
    /// - Throws: `InvalidBlock` when the attributes are invalid; the chain and pool are then unchanged.
    @discardableResult
    public func buildBlock(from pool: inout TransactionPool, attributes: BlockAttributes)
        throws(InvalidBlock) -> (block: ChainBlock, skipped: [SkippedTransaction]) {
        let built = try BlockBuilder().build(on: self, pool: pool, attributes: attributes)
        let accepted = self.commit(built.block, result: built.result)
        pool.removeStale(chain: self)
        return (accepted, built.skipped)
    }
}
