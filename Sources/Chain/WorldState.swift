import EVM
import Primitives
import State

/// The chain's current state with the account and storage tries kept up to date incrementally, so that a block's
/// state root costs only the paths it changed.
///
/// Two kinds:
/// - **self-contained** (`init(accounts:)`): every account in memory, full tries;
/// - **forked** (`init(fork:)`): the state of an upstream chain at a pinned block, read lazily through a
///   `ForkedState`, plus the accounts changed here. The tries are partial: they start as the upstream's state root
///   alone and are filled in from `eth_getProof` answers for exactly the paths a block writes, so every header
///   carries the real state root of the forked chain.
///
/// Serves as the `StateBackend` blocks execute against. Execution never writes here: a block's changes are first
/// turned into a `PendingState` (its root checked against the header), then committed, or dropped when the block
/// is invalid. Not thread-safe: the owning `Blockchain` serializes access.
public final class WorldState: StateBackend {
    let memory: InMemoryState
    var accountTrie = SecureTrie()
    /// Storage tries by account. Self-contained: absent means empty. Forked: absent means not loaded yet (the
    /// upstream's storage is unchanged here); an empty trie means known empty.
    var storageTries: [Address: SecureTrie] = [:]
    /// The fork this state builds on, nil for a self-contained state.
    public let fork: ForkBase?
    /// Forked only: the accounts changed here (nil info: deleted here), with every slot written here (zeros kept,
    /// so that they hide the upstream's values).
    var local: [Address: LocalAccount] = [:]
    /// The post-state tries of recent blocks, by number, for queries at an older block.
    var history: [UInt64: Snapshot] = [:]
    /// How many blocks of history are kept.
    public static let historyDepth: UInt64 = 256

    struct LocalAccount {
        var info: AccountInfo?
        var storage: [U256: U256] = [:]
        /// Whether `storage` holds all of the account's storage (it was created or wiped here).
        var complete = false
    }

    struct Snapshot {
        let accountTrie: SecureTrie
        let storageTries: [Address: SecureTrie]
    }

    /// A state with the given accounts (a genesis allocation).
    public init(accounts: [Address: InMemoryState.Account] = [:]) {
        self.memory = InMemoryState(accounts: accounts)
        self.fork = nil
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

    /// The state of an upstream chain at the fork's block; nothing is read until asked for.
    public init(fork: ForkBase) {
        self.memory = InMemoryState()
        self.fork = fork
        // The root node alone, known by its hash: `resolve(proofNodes:)` fills paths in as they are needed.
        self.accountTrie = (try? SecureTrie(root: fork.stateRoot, proofNodes: [])) ?? SecureTrie()
    }

    /// The root of the state trie.
    public var stateRoot: Hash { self.accountTrie.rootHash }

    /// Every account held in memory: for a self-contained state all of them; for a forked state those changed
    /// here (for dumps, genesis export and tests).
    public var accounts: [Address: InMemoryState.Account] {
        guard fork != nil else { return self.memory.accounts }
        var result: [Address: InMemoryState.Account] = [:]
        for address in local.keys { if let account = accountState(address) { result[address] = account } }
        return result
    }

    /// One account with its code (and, forked, only the slots written here), or nil when absent.
    public func accountState(_ address: Address) -> InMemoryState.Account? {
        guard fork != nil else { return self.memory.accounts[address] }
        guard let info = account(address) else { return nil }
        let storage = (local[address]?.storage ?? [:]).filter { !$0.value.isZero }
        return InMemoryState.Account(nonce: info.nonce, balance: info.balance, code: code(hash: info.codeHash) ?? [],
                                     storage: storage)
    }

    /// Records the hash of a block so that BLOCKHASH can read it.
    public func setBlockHash(_ hash: Hash, number: UInt64) {
        self.memory.blockHashes[number] = hash
        // BLOCKHASH reaches back 256 blocks; forget what it cannot see.
        if number >= 300 { self.memory.blockHashes[number - 300] = nil }
    }

    // MARK: StateBackend

    public func account(_ address: Address) -> AccountInfo? {
        guard let fork else { return self.memory.account(address) }
        if let changed = local[address] { return changed.info }
        return fork.remote.account(address)
    }

    public func storage(_ address: Address, _ key: U256) -> U256 {
        guard let fork else { return self.memory.storage(address, key) }
        if let changed = local[address] {
            if let value = changed.storage[key] { return value }
            if changed.complete || changed.info == nil { return .zero }
        }
        return fork.remote.storage(address, key)
    }

    public func code(hash: Hash) -> [UInt8]? {
        if let code = self.memory.code(hash: hash) { return code }
        return fork?.remote.code(hash: hash)
    }

    public func hasStorage(_ address: Address) -> Bool {
        guard let fork else { return self.memory.hasStorage(address) }
        if let changed = local[address] {
            if changed.storage.values.contains(where: { !$0.isZero }) { return true }
            if changed.complete || changed.info == nil { return false }
        }
        return fork.remote.hasStorage(address)
    }

    public func blockHash(number: UInt64) -> Hash? {
        if let hash = self.memory.blockHash(number: number) { return hash }
        guard let fork, number <= fork.blockNumber else { return nil }
        return fork.remote.blockHash(number: number)
    }

    // MARK: Pending changes

    /// A block's changes with the tries they produce, not yet applied.
    public struct PendingState: Sendable {
        public let changes: [AccountChange]
        public let stateRoot: Hash
        let accountTrie: SecureTrie
        let storageTries: [Address: SecureTrie?]
    }

    /// The tries and root that `changes` would produce, leaving this state as it is.
    /// - Throws: `InvalidBlock` (`.stateUnavailable`) when a forked state cannot get the trie nodes it needs from
    ///   the upstream; never for a self-contained state.
    public func prepare(_ changes: [AccountChange]) throws(InvalidBlock) -> PendingState {
        if let fork { return try prepareForked(changes, fork: fork) }
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
        self.accountTrie = pending.accountTrie
        if fork != nil {
            for change in pending.changes {
                guard let info = change.info else {
                    local[change.address] = LocalAccount(info: nil, complete: true)
                    continue
                }
                let wasDeleted = local[change.address].map { $0.info == nil } ?? false
                var account = local[change.address] ?? LocalAccount()
                if change.storageCleared || wasDeleted { account = LocalAccount(complete: true) }
                account.info = info
                for (key, value) in change.storage { account.storage[key] = value }
                local[change.address] = account
                if let code = change.code { self.memory.store(code: code, hash: info.codeHash) }
            }
            for (address, trie) in pending.storageTries { self.storageTries[address] = trie ?? SecureTrie() }
            return
        }
        self.memory.apply(pending.changes)
        for (address, trie) in pending.storageTries { self.storageTries[address] = trie }
    }

    // MARK: History

    /// Remembers the current tries as block `number`'s post-state (and forgets blocks beyond the history depth).
    func recordHistory(number: UInt64) {
        history[number] = Snapshot(accountTrie: accountTrie, storageTries: storageTries)
        if number >= Self.historyDepth { history[number - Self.historyDepth] = nil }
    }

    /// The post-state of block `number` when it is still kept.
    public func state(atBlock number: UInt64) -> HistoricalState? {
        guard let snapshot = history[number] else { return nil }
        return HistoricalState(world: self, snapshot: snapshot)
    }
}

/// The post-state of an earlier block, read from the tries it had (and, for a forked chain, from the upstream
/// where those tries hold only a hash: nothing under such a node was changed here, so the upstream's value is
/// the value at that block).
public final class HistoricalState: StateBackend {
    let world: WorldState
    let snapshot: WorldState.Snapshot

    init(world: WorldState, snapshot: WorldState.Snapshot) {
        self.world = world
        self.snapshot = snapshot
    }

    /// The state root of that block.
    public var stateRoot: Hash {
        var trie = snapshot.accountTrie
        return trie.rootHash
    }

    func record(_ address: Address) -> (found: Bool, record: AccountRecord?) {
        do {
            let bytes = try snapshot.accountTrie.getThrowing(key: address.bytes)
            return (true, bytes.flatMap { try? AccountRecord(rlp: $0) })
        } catch {
            return (false, nil)
        }
    }

    public func account(_ address: Address) -> AccountInfo? {
        let (found, record) = self.record(address)
        guard found else { return world.fork?.remote.account(address) }
        return record.map { AccountInfo(nonce: $0.nonce, balance: $0.balance, codeHash: $0.codeHash) }
    }

    public func storage(_ address: Address, _ key: U256) -> U256 {
        if let trie = snapshot.storageTries[address] {
            do {
                guard let bytes = try trie.getThrowing(key: key.bigEndianBytes) else { return .zero }
                return StateRoot.storageValue(rlp: bytes) ?? .zero
            } catch {
                return world.fork?.remote.storage(address, key) ?? .zero
            }
        }
        // No trie: empty for a self-contained state; unchanged since the fork for a forked one.
        return world.fork?.remote.storage(address, key) ?? .zero
    }

    public func code(hash: Hash) -> [UInt8]? { world.code(hash: hash) }

    public func hasStorage(_ address: Address) -> Bool {
        let (found, record) = self.record(address)
        guard found else { return world.fork?.remote.hasStorage(address) ?? false }
        return (record?.storageRoot ?? MerklePatriciaTrie.emptyRootHash) != MerklePatriciaTrie.emptyRootHash
    }

    public func blockHash(number: UInt64) -> Hash? { world.blockHash(number: number) }
}

extension HistoricalState {
    /// The execution witness (`Specs/witness.md`) of a run against this state that `recorder` (wrapping this
    /// state) recorded and that wrote `changes`: the proofs of every account and slot read or written, with what
    /// deletions need, from this block's tries; the code run; the block hashes read.
    public func witness(recorder: RecordingBackend, changes: [AccountChange]) -> ExecutionWitness {
        var accounts = recorder.accounts
        var slots = recorder.slots
        for change in changes {
            accounts.insert(change.address)
            for key in change.storage.keys { slots[change.address, default: []].insert(key) }
        }
        let stateNodes = snapshot.accountTrie.witnessNodes(forKeys: accounts.map(\.bytes))
        var storageNodes: [[UInt8]] = []
        for (address, keys) in slots {
            guard let trie = snapshot.storageTries[address], !keys.isEmpty else { continue }
            storageNodes += trie.witnessNodes(forKeys: keys.map(\.bigEndianBytes))
        }
        var codes: [[UInt8]] = []
        for hash in recorder.codeHashes where hash != AccountInfo.emptyCodeHash {
            if let code = world.code(hash: hash) { codes.append(code) }
        }
        var blockHashes: [UInt64: Hash] = [:]
        for number in recorder.blockNumbers {
            if let hash = world.blockHash(number: number) { blockHashes[number] = hash }
        }
        return ExecutionWitness(stateRoot: stateRoot, stateNodes: stateNodes.removingDuplicates(),
                                storageNodes: storageNodes.removingDuplicates(),
                                codes: codes, blockHashes: blockHashes)
    }
}
