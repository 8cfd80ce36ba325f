import EVM
import Primitives
import State

extension WorldState {
    /// An `eth_getProof` answer: the account's proof in the state trie and each slot's proof in the account's
    /// storage trie, for the head state (nil) or the post-state of block `number` (when still kept).
    ///
    /// A forked state first fills in, from the upstream's own proofs, the paths its partial tries do not hold yet
    /// (nothing under them changed here, so the upstream's nodes still hash to what the tries commit to).
    /// - Throws: `InvalidBlock` (`.stateUnavailable`) when the upstream cannot supply them, or the block's state
    ///   is no longer kept.
    public func proof(address: Address, slots: [U256], atBlock number: UInt64? = nil) throws(InvalidBlock)
        -> (account: AccountRecord?, accountProof: [[UInt8]], storage: [(slot: U256, value: U256, proof: [[UInt8]])])
    {
        var accountTrie: SecureTrie
        var storageTries: [Address: SecureTrie]
        if let number {
            guard let snapshot = history[number] else {
                throw InvalidBlock(.stateUnavailable, "the state of block \(number) is no longer kept")
            }
            accountTrie = snapshot.accountTrie
            storageTries = snapshot.storageTries
        } else {
            if let fork { try loadForProof(address, slots: slots, fork: fork) }
            accountTrie = self.accountTrie
            storageTries = self.storageTries
        }
        if number != nil, let fork {
            // Fill a copy of the old tries in; the upstream's nodes match wherever nothing changed here.
            let proof = try fork.proof(address, slots: slots)
            try Self.resolve(&accountTrie, proof.accountProof, what: "the state trie")
            if var trie = storageTries[address] {
                try Self.resolve(&trie, proof.storageProof, what: "the storage trie of \(address)")
                storageTries[address] = trie
            } else {
                storageTries[address] = try? SecureTrie(root: proof.storageHash, proofNodes: proof.storageProof)
            }
        }
        return try ProofTries(accountTrie: accountTrie, storageTries: storageTries).proof(address: address, slots: slots)
    }

    /// The tries of the head state (nil) or of block `number`'s post-state, taken on the chain's thread so that
    /// proofs can be made from them on any other (`lockstep_getProofs` makes hundreds at once); nil for a forked
    /// state, whose tries may need the upstream's proofs first (`proof(address:slots:atBlock:)` does that).
    /// - Throws: `InvalidBlock` (`.stateUnavailable`) when the block's state is no longer kept.
    public func proofTries(atBlock number: UInt64? = nil) throws(InvalidBlock) -> ProofTries? {
        guard fork == nil else { return nil }
        guard let number else { return ProofTries(accountTrie: accountTrie, storageTries: storageTries) }
        guard let snapshot = history[number] else {
            throw InvalidBlock(.stateUnavailable, "the state of block \(number) is no longer kept")
        }
        return ProofTries(accountTrie: snapshot.accountTrie, storageTries: snapshot.storageTries)
    }
}

/// A state's tries (copies: they never change), from which account and storage proofs are made on any thread.
public struct ProofTries: @unchecked Sendable {
    let accountTrie: SecureTrie
    let storageTries: [Address: SecureTrie]

    /// `WorldState.proof(address:slots:atBlock:)` on these tries.
    public func proof(address: Address, slots: [U256]) throws(InvalidBlock)
        -> (account: AccountRecord?, accountProof: [[UInt8]], storage: [(slot: U256, value: U256, proof: [[UInt8]])])
    {
        guard WorldState.isResolved(accountTrie, key: address.bytes) else {
            throw InvalidBlock(.stateUnavailable, "the upstream's proof does not reach account \(address)")
        }
        let accountProof = accountTrie.proof(key: address.bytes)
        let record = accountTrie.get(key: address.bytes).flatMap { try? AccountRecord(rlp: $0) }
        let storageTrie = storageTries[address] ?? SecureTrie()
        var storage: [(slot: U256, value: U256, proof: [[UInt8]])] = []
        for slot in slots {
            let key = slot.bigEndianBytes
            guard WorldState.isResolved(storageTrie, key: key) else {
                throw InvalidBlock(.stateUnavailable, "the upstream's proof does not reach slot \(slot.hexString) of \(address)")
            }
            let value = (try? storageTrie.getThrowing(key: key))?.flatMap { StateRoot.storageValue(rlp: $0) } ?? .zero
            storage.append((slot, value, storageTrie.proof(key: key)))
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
