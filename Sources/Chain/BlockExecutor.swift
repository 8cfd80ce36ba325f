import EVM
import Primitives

/// Validates and executes a whole block on top of its parent: header rules, body shape, every transaction, the
/// system calls, and then every commitment of the header (gas used, roots, bloom, blob gas, requests hash).
public struct BlockExecutor: Sendable {
    public let config: ChainConfig

    public init(config: ChainConfig) {
        self.config = config
    }

    /// Executes `block` against `worldState` (the state after `parent`), leaving `worldState` unchanged.
    ///
    /// - Returns: the execution's products, whose `pendingState` the caller commits to accept the block.
    /// - Throws: `InvalidBlock` saying what was wrong.
    public func execute(_ block: Block, parent: BlockHeader, worldState: WorldState,
                        senders: [Address]? = nil) throws(InvalidBlock) -> BlockExecutionResult {
        let header = block.header
        try self.config.validateHeader(header, parent: parent)
        let fork = self.config.fork(at: header.timestamp)
        guard ChainConfig.supportedForks.contains(fork) else {
            throw InvalidBlock(.unsupportedFork, "block \(header.number) is under \(fork.name); Lockstep executes \(ChainConfig.supportedForks.map(\.name).joined(separator: ", ")) blocks")
        }
        guard block.ommers.isEmpty else {
            throw InvalidBlock(.ommers, "block has \(block.ommers.count) ommers; none are allowed after the merge")
        }
        if (block.withdrawals != nil) != (fork >= .shanghai) {
            throw InvalidBlock(.incorrectFormat, fork >= .shanghai
                ? "block body lacks the withdrawals list required from Shanghai"
                : "block body has a withdrawals list, which \(fork.name) does not define")
        }

        let execution = BlockExecution(config: self.config, header: header, worldState: worldState)
        for (index, transaction) in block.transactions.enumerated() {
            let sender = senders.flatMap { index < $0.count ? $0[index] : nil }
            try execution.apply(transaction, sender: sender)
        }
        execution.apply(withdrawals: block.withdrawals ?? [])
        let result = try execution.finish()
        try self.check(result, against: block)
        return result
    }

    /// Compares the execution's products with the header, in the execution specs' order.
    func check(_ result: BlockExecutionResult, against block: Block) throws(InvalidBlock) {
        let header = block.header
        guard result.gasUsed == header.gasUsed else {
            throw InvalidBlock(.gasUsed, "gas used \(result.gasUsed), header says \(header.gasUsed)")
        }
        let transactionsRoot = OrderedTrie.transactionsRoot(block.transactions)
        guard transactionsRoot == header.transactionsRoot else {
            throw InvalidBlock(.transactionsRoot, "transactions root \(transactionsRoot), header says \(header.transactionsRoot)")
        }
        guard result.pendingState.stateRoot == header.stateRoot else {
            throw InvalidBlock(.stateRoot, "state root \(result.pendingState.stateRoot), header says \(header.stateRoot)")
        }
        let receiptsRoot = OrderedTrie.receiptsRoot(result.receipts)
        guard receiptsRoot == header.receiptsRoot else {
            throw InvalidBlock(.receiptsRoot, "receipts root \(receiptsRoot), header says \(header.receiptsRoot)")
        }
        guard result.logsBloom == header.logsBloom else {
            throw InvalidBlock(.logsBloom, "logs bloom differs from the header's")
        }
        if let withdrawals = block.withdrawals {
            let root = OrderedTrie.withdrawalsRoot(withdrawals)
            guard root == header.withdrawalsRoot else {
                throw InvalidBlock(.withdrawalsRoot, "withdrawals root \(root), header says \(header.withdrawalsRoot.map(\.description) ?? "nothing")")
            }
        }
        if let blobGasUsed = header.blobGasUsed {
            guard result.blobGasUsed == blobGasUsed else {
                throw InvalidBlock(.blobGasUsed, "blob gas used \(result.blobGasUsed), header says \(blobGasUsed)")
            }
        }
        if let requestsHash = result.requestsHash {
            guard requestsHash == header.requestsHash else {
                throw InvalidBlock(.requestsHash, "requests hash \(requestsHash), header says \(header.requestsHash.map(\.description) ?? "nothing")")
            }
        }
    }
}
