import EVM
import Primitives

/// A receipt as a node reports it (`eth_getTransactionReceipt`): the consensus receipt plus where and how the
/// transaction ran.
public struct TransactionReceiptInfo: Sendable {
    public let receipt: Receipt
    public let transactionHash: Hash
    public let transactionIndex: Int
    public let blockHash: Hash
    public let blockNumber: UInt64
    public let from: Address
    public let to: Address?
    /// Gas used by this transaction alone.
    public let gasUsed: UInt64
    public let effectiveGasPrice: U256
    /// EIP-4844 blob gas and its price (blob transactions only).
    public let blobGasUsed: UInt64
    public let contractAddress: Address?
    /// Its logs with their positions in the block.
    public let logs: [LogEntry]

    init(block: ChainBlock, index: Int) {
        let outcome = block.outcomes[index]
        let transaction = block.block.transactions[index]
        self.receipt = block.receipts[index]
        self.transactionHash = outcome.hash
        self.transactionIndex = index
        self.blockHash = block.hash
        self.blockNumber = block.number
        self.from = outcome.sender
        self.to = transaction.to
        self.gasUsed = outcome.gasUsed
        self.effectiveGasPrice = outcome.effectiveGasPrice
        self.blobGasUsed = outcome.blobGasUsed
        self.contractAddress = outcome.contractAddress
        self.logs = block.receipts[index].logs.enumerated().map { offset, log in
            LogEntry(log: log, blockHash: block.hash, blockNumber: block.number, transactionHash: outcome.hash,
                     transactionIndex: index, logIndex: outcome.firstLogIndex + offset)
        }
    }
}

/// A log with its position in the chain (`eth_getLogs` entries).
public struct LogEntry: Hashable, Sendable {
    public let log: Log
    public let blockHash: Hash
    public let blockNumber: UInt64
    public let transactionHash: Hash
    public let transactionIndex: Int
    /// Position among all logs of the block.
    public let logIndex: Int
}

/// An `eth_getLogs`-style filter: a block range, optional addresses, and topic positions, each a set of
/// alternatives (nil or empty matches anything).
public struct LogFilter: Hashable, Sendable {
    public var fromBlock: UInt64
    /// nil means the head.
    public var toBlock: UInt64?
    /// Empty matches any address.
    public var addresses: [Address]
    /// `topics[i]` lists the alternatives for topic i; nil or empty matches anything there.
    public var topics: [[Hash]?]

    public init(fromBlock: UInt64 = 0, toBlock: UInt64? = nil, addresses: [Address] = [], topics: [[Hash]?] = []) {
        self.fromBlock = fromBlock
        self.toBlock = toBlock
        self.addresses = addresses
        self.topics = topics
    }

    /// Whether a log matches the address and topic criteria.
    public func matches(_ log: Log) -> Bool {
        if !self.addresses.isEmpty && !self.addresses.contains(log.address) { return false }
        for (position, alternatives) in self.topics.enumerated() {
            guard let alternatives, !alternatives.isEmpty else { continue }
            guard position < log.topics.count, alternatives.contains(log.topics[position]) else { return false }
        }
        return true
    }

    /// Whether a block with this bloom may hold a matching log.
    public func mayMatch(bloom: Bloom) -> Bool {
        if !self.addresses.isEmpty && !self.addresses.contains(where: { bloom.mayContain(address: $0) }) {
            return false
        }
        for alternatives in self.topics {
            guard let alternatives, !alternatives.isEmpty else { continue }
            if !alternatives.contains(where: { bloom.mayContain(topic: $0) }) { return false }
        }
        return true
    }

    /// The matching logs of one block.
    public func matches(in block: ChainBlock) -> [LogEntry] {
        var entries: [LogEntry] = []
        for (index, receipt) in block.receipts.enumerated() {
            let outcome = block.outcomes[index]
            for (offset, log) in receipt.logs.enumerated() where self.matches(log) {
                entries.append(LogEntry(log: log, blockHash: block.hash, blockNumber: block.number,
                                        transactionHash: outcome.hash, transactionIndex: index,
                                        logIndex: outcome.firstLogIndex + offset))
            }
        }
        return entries
    }
}
