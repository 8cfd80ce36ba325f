import EVM
import Primitives
import State

/// The chain's current state: every account in memory plus the account and storage tries kept up to date
/// incrementally, so that a block's state root costs only the paths it changed.
///
/// Serves as the `StateBackend` blocks execute against. Execution never writes here: a block's changes are first
/// turned into a `PendingState` (its root checked against the header), then committed, or dropped when the block
/// is invalid. Not thread-safe: the owning `Blockchain` serializes access.
public final class WorldState: StateBackend {
    let memory: InMemoryState
    var accountTrie = SecureTrie()
    var storageTries: [Address: SecureTrie] = [:]

    /// A state with the given accounts (a genesis allocation).
    public init(accounts: [Address: InMemoryState.Account] = [:]) {
        self.memory = InMemoryState(accounts: accounts)
        for (address, account) in self.memory.accounts {
            var storage = SecureTrie()
            for (slot, value) in account.storage where !value.isZero {
                storage.update(key: slot.bigEndianBytes, value: StateRoot.storageValueEncoding(value))
            }
            if storage.count > 0 { self.storageTries[address] = storage }
            let record = AccountRecord(nonce: account.nonce, balance: account.balance, storageRoot: storage.rootHash,
                                       codeHash: Keccak256.hash(account.code))
            self.accountTrie.update(key: address.bytes, value: record.rlpEncoded)
        }
    }

    /// The root of the state trie.
    public var stateRoot: Hash { self.accountTrie.rootHash }

    /// Every account (for dumps, genesis export and tests).
    public var accounts: [Address: InMemoryState.Account] { self.memory.accounts }

    /// One account, or nil when absent.
    public func accountState(_ address: Address) -> InMemoryState.Account? { self.memory.accounts[address] }

    /// Records the hash of a block so that BLOCKHASH can read it.
    public func setBlockHash(_ hash: Hash, number: UInt64) {
        self.memory.blockHashes[number] = hash
        // BLOCKHASH reaches back 256 blocks; forget what it cannot see.
        if number >= 300 { self.memory.blockHashes[number - 300] = nil }
    }

    // MARK: StateBackend

    public func account(_ address: Address) -> AccountInfo? { self.memory.account(address) }
    public func storage(_ address: Address, _ key: U256) -> U256 { self.memory.storage(address, key) }
    public func code(hash: Hash) -> [UInt8]? { self.memory.code(hash: hash) }
    public func hasStorage(_ address: Address) -> Bool { self.memory.hasStorage(address) }
    public func blockHash(number: UInt64) -> Hash? { self.memory.blockHash(number: number) }

    // MARK: Pending changes

    /// A block's changes with the tries they produce, not yet applied.
    public struct PendingState: Sendable {
        public let changes: [AccountChange]
        public let stateRoot: Hash
        let accountTrie: SecureTrie
        let storageTries: [Address: SecureTrie?]
    }

    /// The tries and root that `changes` would produce, leaving this state as it is.
    public func prepare(_ changes: [AccountChange]) -> PendingState {
        var accountTrie = self.accountTrie
        var storageTries: [Address: SecureTrie?] = [:]
        for change in changes {
            guard let info = change.info else {
                accountTrie.delete(key: change.address.bytes)
                storageTries[change.address] = .some(nil)
                continue
            }
            var storage = change.storageCleared ? SecureTrie() : (self.storageTries[change.address] ?? SecureTrie())
            for (slot, value) in change.storage {
                if value.isZero {
                    storage.delete(key: slot.bigEndianBytes)
                } else {
                    storage.update(key: slot.bigEndianBytes, value: StateRoot.storageValueEncoding(value))
                }
            }
            let record = AccountRecord(nonce: info.nonce, balance: info.balance, storageRoot: storage.rootHash,
                                       codeHash: info.codeHash)
            accountTrie.update(key: change.address.bytes, value: record.rlpEncoded)
            storageTries[change.address] = .some(storage.count > 0 ? storage : nil)
        }
        return PendingState(changes: changes, stateRoot: accountTrie.rootHash, accountTrie: accountTrie,
                            storageTries: storageTries)
    }

    /// Applies prepared changes.
    public func commit(_ pending: PendingState) {
        self.memory.apply(pending.changes)
        self.accountTrie = pending.accountTrie
        for (address, trie) in pending.storageTries { self.storageTries[address] = trie }
    }
}
