import EVM
import Primitives

/// Committed state already read from (or written to) the database, so that execution does not pay a SQLite
/// lookup (a few microseconds) for what it has seen before.
///
/// Written through by `commitBlock` after its transaction commits, so it never holds a value the database
/// does not. Bounded crudely: when it passes `limit` entries it is emptied, which is simple, cannot go wrong,
/// and costs only re-reads.
struct StateReadCache {
    /// Accounts by address; `.some(nil)` caches "does not exist".
    var accounts: [Address: AccountInfo?] = [:]
    /// Slots by address, so that wiping an account's storage drops all of them at once.
    var storage: [Address: [U256: U256]] = [:]
    var hasStorage: [Address: Bool] = [:]
    /// Code is content-addressed: an entry never goes stale.
    var code: [Hash: [UInt8]] = [:]
    var codeBytes = 0
    /// Blocks are only appended, so a number's hash never changes.
    var blockHashes: [UInt64: Hash] = [:]
    var entries = 0
    /// Entries (accounts, slots, flags, hashes) kept before the cache is emptied; 0 disables caching.
    let limit: Int
    /// Code bytes kept before the code cache is emptied.
    var codeByteLimit: Int { limit == 0 ? 0 : 64 << 20 }

    init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Counts one new entry, emptying the cache first when it is full.
    mutating func makeRoom() -> Bool {
        guard limit > 0 else { return false }
        if entries >= limit { removeAll() }
        entries += 1
        return true
    }

    mutating func removeAll() {
        accounts.removeAll()
        storage.removeAll()
        hasStorage.removeAll()
        blockHashes.removeAll()
        code.removeAll()
        codeBytes = 0
        entries = 0
    }

    mutating func remember(account: AccountInfo?, for address: Address) {
        if makeRoom() { accounts[address] = .some(account) }
    }

    mutating func remember(slot: U256, value: U256, for address: Address) {
        if makeRoom() { storage[address, default: [:]][slot] = value }
    }

    mutating func remember(hasStorage value: Bool, for address: Address) {
        if makeRoom() { hasStorage[address] = value }
    }

    mutating func remember(blockHash: Hash, for number: UInt64) {
        if makeRoom() { blockHashes[number] = blockHash }
    }

    mutating func remember(code bytes: [UInt8], for hash: Hash) {
        guard limit > 0, bytes.count <= codeByteLimit else { return }
        if codeBytes + bytes.count > codeByteLimit {
            code.removeAll()
            codeBytes = 0
        }
        code[hash] = bytes
        codeBytes += bytes.count
    }

    /// Brings the cache up to date with a committed block.
    mutating func apply(_ changes: [AccountChange], blockNumber: UInt64, blockHash: Hash) {
        guard limit > 0 else { return }
        for change in changes {
            remember(account: change.info, for: change.address)
            if change.info == nil || change.storageCleared {
                // Slots not yet read are now zero, but a partial map cannot say which were read: drop it.
                storage[change.address] = nil
            }
            hasStorage[change.address] = nil
            if change.info != nil {
                for (slot, value) in change.storage { remember(slot: slot, value: value, for: change.address) }
                if let info = change.info, let code = change.code { remember(code: code, for: info.codeHash) }
            }
        }
        remember(blockHash: blockHash, for: blockNumber)
    }
}
