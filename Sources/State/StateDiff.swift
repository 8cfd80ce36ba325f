import EVM
import Primitives

/// What changed in a chain's state from one of its blocks to a later one (`lockstep_getStateDiff`): for each account
/// touched in between, its fields after the later block and the storage slots written, so that a reader who cached
/// state at the earlier block can keep what did not change.
public struct StateDiff: Sendable {
    public struct Entry: Sendable {
        public var address: Address
        /// The account after the later block; nil when it no longer exists.
        public var info: AccountInfo?
        /// Whether the account's fields (nonce, balance, code hash, existence) differ from the earlier block's; false
        /// when only its storage changed.
        public var accountChanged: Bool
        /// The account's storage was wiped (it was deleted, or re-created) before `storage` applies.
        public var storageCleared: Bool
        /// Slots written in between, with their values after the later block (zero: deleted).
        public var storage: [U256: U256]

        public init(address: Address, info: AccountInfo?, accountChanged: Bool, storageCleared: Bool, storage: [U256: U256]) {
            self.address = address
            self.info = info
            self.accountChanged = accountChanged
            self.storageCleared = storageCleared
            self.storage = storage
        }
    }

    public var from: Hash
    public var to: Hash
    public var entries: [Entry]

    public init(from: Hash, to: Hash, entries: [Entry]) {
        self.from = from
        self.to = to
        self.entries = entries
    }

    /// The entries by address.
    public var byAddress: [Address: Entry] {
        Dictionary(entries.map { ($0.address, $0) }, uniquingKeysWith: { _, later in later })
    }
}

extension ForkedState {
    /// Takes over what `earlier` (a fork of the same chain at an ancestor block) has cached, as it stands at this
    /// fork's block by `diff` (from that ancestor to this block): accounts, slots and emptiness the diff does not touch
    /// are copied; touched accounts take the diff's fields (when their code is known; otherwise they are read again),
    /// written slots its values, and an account whose storage was wiped loses its cached slots. Values this fork has
    /// already read are kept. Nothing is written to the disk cache. Returns how many values were taken over.
    @discardableResult
    public func inherit(from earlier: ForkedState, diff: StateDiff) -> Int {
        let (values, codes) = earlier.caches.withLock { ($0.values, $0.codes) }
        let touched = diff.byAddress
        return caches.withLock { caches in
            for (hash, code) in codes where caches.codes[hash] == nil { caches.codes[hash] = code }
            var taken = 0
            for (key, value) in values where caches.values[key] == nil {
                switch key {
                case .account(let address), .hasStorage(let address):
                    if touched[address] != nil { continue }
                case .storage(let address, let slot):
                    if let entry = touched[address], entry.storageCleared || entry.storage[slot] != nil { continue }
                case .blockHash:
                    break
                }
                caches.values[key] = value
                taken += 1
            }
            for entry in diff.entries {
                if caches.values[.account(entry.address)] == nil {
                    if let info = entry.info {
                        if caches.codes[info.codeHash] != nil {
                            caches.values[.account(entry.address)] = .account(info, info.codeHash)
                            taken += 1
                        }
                    } else {
                        caches.values[.account(entry.address)] = .account(nil, AccountInfo.emptyCodeHash)
                        taken += 1
                    }
                }
                for (slot, word) in entry.storage where caches.values[.storage(entry.address, slot)] == nil {
                    caches.values[.storage(entry.address, slot)] = .word(word)
                    taken += 1
                }
            }
            return taken
        }
    }
}

extension ForkedState {
    /// The accounts and the storage slots read so far (for a later fork of the same chain that will read much the
    /// same: `prefetch` them there).
    public func cachedKeys() -> (accounts: [Address], slots: [Address: [U256]]) {
        caches.withLock { caches in
            var accounts: [Address] = []
            var slots: [Address: [U256]] = [:]
            for key in caches.values.keys {
                switch key {
                case .account(let address): accounts.append(address)
                case .storage(let address, let slot): slots[address, default: []].append(slot)
                case .hasStorage, .blockHash: break
                }
            }
            return (accounts, slots)
        }
    }
}

extension ForkedState {
    /// Those of `addresses` whose account is not cached yet.
    public func unread(accounts addresses: [Address]) -> [Address] {
        caches.withLock { caches in addresses.filter { caches.values[.account($0)] == nil } }
    }
}
