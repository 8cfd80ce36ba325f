import EVM
import Primitives

/// A block the chain accepted, with what executing it produced.
public struct ChainBlock: Sendable {
    public let block: Block
    public let hash: Hash
    public let receipts: [Receipt]
    public let outcomes: [TransactionOutcome]
    /// EIP-7685 requests (Prague on).
    public let requests: [ExecutionRequest]?

    public var header: BlockHeader { self.block.header }
    public var number: UInt64 { self.block.header.number }
}

/// Where a transaction sits in the chain.
public struct TransactionLocation: Hashable, Sendable {
    public let blockHash: Hash
    public let blockNumber: UInt64
    public let index: Int
}

/// A linear chain of validated blocks on top of a genesis block, with the current state and indexes for the
/// lookups a node answers (block by number or hash, transaction and receipt by hash, logs by filter).
///
/// `importBlock` validates and executes a block on the head and commits it only when everything checks out; an
/// invalid block leaves the chain exactly as it was. Reorganisations are out of scope: a block must extend the
/// head. Not thread-safe: one owner (an actor or a single thread) serializes access.
public final class Blockchain {
    public let config: ChainConfig
    public let state: WorldState
    let executor: BlockExecutor
    /// Canonical blocks by number (index = number − the first block's number).
    var canonical: [ChainBlock] = []
    /// The number of the chain's first block: 0, or the upstream block a forked chain starts from.
    public let firstNumber: UInt64
    var numbersByHash: [Hash: UInt64] = [:]
    var transactionLocations: [Hash: TransactionLocation] = [:]
    /// The state changes of the recent blocks this chain executed, by block hash, with each block's number and
    /// parent (`stateDiff(from:to:)`); the last `WorldState.historyDepth` blocks at least, twice that at most.
    var recentChanges: [Hash: (number: UInt64, parent: Hash, changes: [AccountChange])] = [:]

    /// A chain from a genesis header and its allocation.
    /// - Throws: `InvalidBlock` with `.stateRoot` when the allocation's root is not the header's.
    public convenience init(config: ChainConfig, genesis header: BlockHeader,
                            accounts: [Address: InMemoryState.Account]) throws(InvalidBlock) {
        try self.init(config: config, genesis: header, state: WorldState(accounts: accounts))
    }

    init(config: ChainConfig, genesis header: BlockHeader, state: WorldState) throws(InvalidBlock) {
        self.config = config
        self.executor = BlockExecutor(config: config)
        self.state = state
        self.firstNumber = header.number
        let root = self.state.stateRoot
        guard root == header.stateRoot else {
            throw InvalidBlock(.stateRoot, "genesis allocation has state root \(root), the genesis header says \(header.stateRoot)")
        }
        let genesis = Block(header: header, transactions: [], ommers: [],
                            withdrawals: header.withdrawalsRoot == nil ? nil : [])
        self.append(ChainBlock(block: genesis, hash: header.hash, receipts: [], outcomes: [],
                               requests: header.requestsHash == nil ? nil : []))
    }

    /// The latest block.
    public var head: ChainBlock { self.canonical[self.canonical.count - 1] }
    public var headHeader: BlockHeader { self.head.header }
    public var genesis: ChainBlock { self.canonical[0] }

    /// Validates and executes `block` on the head and, when valid, makes it the new head.
    ///
    /// - Parameter senders: the transactions' senders when already known (saves signature recovery).
    /// - Throws: `InvalidBlock` saying what was wrong; the chain and its state are then unchanged.
    @discardableResult
    public func importBlock(_ block: Block, senders: [Address]? = nil) throws(InvalidBlock) -> ChainBlock {
        let parent = self.head.header
        guard block.header.parentHash == self.head.hash else {
            if self.numbersByHash[block.header.parentHash] != nil {
                throw InvalidBlock(.unknownParent, "block \(block.header.number) builds on \(block.header.parentHash), which is not the head \(self.head.hash): reorganisations are not supported")
            }
            throw InvalidBlock(.unknownParent, "block \(block.header.number) has unknown parent \(block.header.parentHash)")
        }
        let result = try self.executor.execute(block, parent: parent, worldState: self.state, senders: senders)
        return self.commit(block, result: result)
    }

    /// A chain that continues an upstream chain from block `header` (fetched from the upstream), over forked
    /// state at that block. The first block is the upstream's, known by its header only.
    public convenience init(config: ChainConfig, forkedFrom header: BlockHeader, fork: ForkBase) {
        // The state's root is the header's by construction, so this cannot fail.
        try! self.init(config: config, genesis: header, state: WorldState(fork: fork))
    }

    /// Accepts a block whose execution result has been checked (by `importBlock` or by `BlockBuilder`).
    func commit(_ block: Block, result: BlockExecutionResult) -> ChainBlock {
        self.state.commit(result.pendingState)
        let accepted = ChainBlock(block: block, hash: block.header.hash, receipts: result.receipts,
                                  outcomes: result.outcomes, requests: result.requests)
        self.append(accepted)
        self.rememberChanges(result.pendingState.changes, of: accepted)
        return accepted
    }

    func append(_ accepted: ChainBlock) {
        self.canonical.append(accepted)
        self.numbersByHash[accepted.hash] = accepted.number
        self.state.setBlockHash(accepted.hash, number: accepted.number)
        self.state.recordHistory(number: accepted.number)
        for (index, outcome) in accepted.outcomes.enumerated() {
            self.transactionLocations[outcome.hash] = TransactionLocation(blockHash: accepted.hash,
                                                                          blockNumber: accepted.number, index: index)
        }
    }

    // MARK: Lookups

    /// The canonical block with this number.
    public func block(number: UInt64) -> ChainBlock? {
        guard number >= self.firstNumber, number - self.firstNumber < UInt64(self.canonical.count) else { return nil }
        return self.canonical[Int(number - self.firstNumber)]
    }

    /// The block with this hash.
    public func block(hash: Hash) -> ChainBlock? {
        guard let number = self.numbersByHash[hash] else { return nil }
        return self.block(number: number)
    }

    /// Where the transaction with this hash was included.
    public func location(ofTransaction hash: Hash) -> TransactionLocation? { self.transactionLocations[hash] }

    /// An included transaction with its location.
    public func transaction(hash: Hash) -> (transaction: Transaction, location: TransactionLocation)? {
        guard let location = self.transactionLocations[hash], let block = self.block(number: location.blockNumber) else {
            return nil
        }
        return (block.block.transactions[location.index], location)
    }

    /// The receipt of an included transaction, with what a node reports beside it.
    public func receipt(transactionHash hash: Hash) -> TransactionReceiptInfo? {
        guard let location = self.transactionLocations[hash], let block = self.block(number: location.blockNumber) else {
            return nil
        }
        return TransactionReceiptInfo(block: block, index: location.index)
    }

    /// The logs of canonical blocks matching `filter`, in chain order.
    public func logs(matching filter: LogFilter) -> [LogEntry] {
        let last = min(filter.toBlock ?? self.head.number, self.head.number)
        let first = max(filter.fromBlock, self.firstNumber)
        guard first <= last else { return [] }
        var entries: [LogEntry] = []
        for number in first...last {
            let block = self.canonical[Int(number - self.firstNumber)]
            guard filter.mayMatch(bloom: block.header.logsBloom) else { continue }
            entries += filter.matches(in: block)
        }
        return entries
    }
}
