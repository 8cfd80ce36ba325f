import EVM
import Primitives

/// Copy-on-write changes over a parent state: thousands of speculative simulations share one (forked) base
/// without copying it, each keeping only what it wrote. Overlays nest (`child()`), are dropped by simply
/// forgetting them, and fold into their parent with `commit()`.
///
/// Not thread-safe: one overlay per simulation thread; the shared base (`ForkedState`) is the thread-safe part.
public final class StateOverlay: StateBackend {
    /// The state underneath.
    public let parent: StateBackend
    /// Accounts written here; `.some(nil)` means deleted.
    var accounts: [Address: AccountInfo?] = [:]
    /// Storage written here (zero = deleted slot).
    var storage: [Address: [U256: U256]] = [:]
    /// Accounts whose storage was wiped here: the parent's slots no longer show through.
    var cleared: Set<Address> = []
    var codes: [Hash: [UInt8]] = [:]

    /// Creates an empty overlay over `parent`.
    public init(parent: StateBackend) {
        self.parent = parent
    }

    /// A nested overlay whose changes can be committed into this one or discarded.
    public func child() -> StateOverlay { StateOverlay(parent: self) }

    /// Records what a `JournaledState` committed (`takeChanges()`).
    public func apply(_ changes: [AccountChange]) {
        for change in changes {
            accounts[change.address] = .some(change.info)
            if change.info == nil || change.storageCleared {
                cleared.insert(change.address)
                storage[change.address] = [:]
            }
            if let info = change.info, let code = change.code { codes[info.codeHash] = code }
            if !change.storage.isEmpty {
                storage[change.address, default: [:]].merge(change.storage) { _, new in new }
            }
        }
    }

    /// Folds this overlay's changes into its parent, which must itself be an overlay.
    /// - Returns: false when the parent is not an overlay (a shared base is never written).
    @discardableResult
    public func commit() -> Bool {
        guard let parent = parent as? StateOverlay else { return false }
        for address in cleared {
            parent.cleared.insert(address)
            parent.storage[address] = [:]
        }
        for (address, info) in accounts { parent.accounts[address] = info }
        for (address, slots) in storage { parent.storage[address, default: [:]].merge(slots) { _, new in new } }
        parent.codes.merge(codes) { _, new in new }
        return true
    }

    /// Every account and slot changed here, for a state root or a store.
    public var changes: [AccountChange] {
        var result: [AccountChange] = []
        for address in Set(accounts.keys).union(storage.keys) {
            let info: AccountInfo? = accounts[address] ?? parent.account(address)
            result.append(AccountChange(address: address, info: info,
                                        code: info.flatMap { codes[$0.codeHash] },
                                        storage: storage[address] ?? [:], storageCleared: cleared.contains(address)))
        }
        return result
    }

    public func account(_ address: Address) -> AccountInfo? {
        if let written = accounts[address] { return written }
        return parent.account(address)
    }

    public func storage(_ address: Address, _ key: U256) -> U256 {
        if let value = storage[address]?[key] { return value }
        if cleared.contains(address) { return .zero }
        return parent.storage(address, key)
    }

    public func code(hash: Hash) -> [UInt8]? {
        codes[hash] ?? parent.code(hash: hash)
    }

    public func hasStorage(_ address: Address) -> Bool {
        if let slots = storage[address], slots.values.contains(where: { !$0.isZero }) { return true }
        if cleared.contains(address) { return false }
        return parent.hasStorage(address)
    }

    public func blockHash(number: UInt64) -> Hash? { parent.blockHash(number: number) }
}
