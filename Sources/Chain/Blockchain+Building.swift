import EVM
import Primitives
import State

extension Blockchain {
    /// Appends a block this node assembled itself from a `BlockExecution` whose result filled the header in:
    /// the block is not executed a second time.
    @discardableResult
    public func appendBuilt(_ block: Block, result: BlockExecutionResult) -> ChainBlock {
        self.commit(block, result: result)
    }
}

extension WorldState {
    /// An `eth_getProof` answer for the current state: the account's proof in the state trie and each slot's proof
    /// in the account's storage trie.
    public func proof(address: Address, slots: [U256]) -> (account: AccountRecord?, accountProof: [[UInt8]],
                                                           storage: [(slot: U256, value: U256, proof: [[UInt8]])]) {
        let accountProof = self.accountTrie.proof(key: address.bytes)
        let record = self.accountTrie.get(key: address.bytes).flatMap { try? AccountRecord(rlp: $0) }
        let storageTrie = self.storageTries[address] ?? SecureTrie()
        let storage = slots.map { slot in
            (slot, self.storage(address, slot), storageTrie.proof(key: slot.bigEndianBytes))
        }
        return (record, accountProof, storage)
    }
}

extension LogEntry {
    /// A log at its position in the chain (for subscriptions that announce a block's logs as it arrives).
    public static func at(_ log: Log, blockHash: Hash, blockNumber: UInt64, transactionHash: Hash,
                          transactionIndex: Int, logIndex: Int) -> LogEntry {
        LogEntry(log: log, blockHash: blockHash, blockNumber: blockNumber, transactionHash: transactionHash,
                 transactionIndex: transactionIndex, logIndex: logIndex)
    }
}
