import EVM
import Primitives
import State

/// A deterministic pseudo-random chain of blocks, for the store tests and the crash test:
/// each block changes a few accounts of a fixed pool (balance and nonce updates, slot writes and deletions,
/// new code, storage wipes, deletions), and the generator keeps the resulting state in memory so that it can
/// give each block its true state root.
///
/// Test support (shared with the crash test's child process through `ChainStore.runCrashTestWriter`), not product
/// code: it lives in a testing target so the `Store` module ships only the store.
package struct SyntheticChain {
    /// The state after the last generated block.
    package private(set) var accounts: [Address: InMemoryState.Account]
    /// Storage roots of `accounts`, dropped when an account's storage changes.
    private var storageRoots: [Address: Hash] = [:]
    /// How many distinct addresses blocks draw from.
    package let addressPool: Int
    /// How many accounts each block changes.
    package let changesPerBlock: Int

    /// A generator continuing from `accounts` (empty for a new chain).
    package init(accounts: [Address: InMemoryState.Account] = [:], addressPool: Int = 64, changesPerBlock: Int = 8) {
        self.accounts = accounts
        self.addressPool = max(1, addressPool)
        self.changesPerBlock = max(1, min(changesPerBlock, self.addressPool))
    }

    /// The address with index `index` in the pool.
    package static func address(_ index: Int) -> Address { Address(word: U256(UInt64(0x10_0000 + index))) }

    /// The block hash the synthetic chain gives block `number` over `parent`.
    package static func blockHash(number: UInt64, parent: Hash) -> Hash {
        var hasher = Keccak256.Hasher()
        hasher.update(U256(number).bigEndianBytes)
        hasher.update(parent.bytes)
        return hasher.finalize()
    }

    /// The changes of block `number` (seeded by the number, so a resumed chain makes the same choices), applied
    /// to `accounts`.
    package mutating func changes(forBlock number: UInt64) -> [AccountChange] {
        var random = SplitMix64(seed: number &* 0x9E37_79B9_7F4A_7C15 ^ 0x5EED)
        var chosen: Set<Int> = []
        while chosen.count < changesPerBlock { chosen.insert(Int(random.next() % UInt64(addressPool))) }
        var changes: [AccountChange] = []
        for index in chosen.sorted() {
            changes.append(change(Self.address(index), random: &random))
        }
        return changes
    }

    private mutating func change(_ address: Address, random: inout SplitMix64) -> AccountChange {
        let existing = accounts[address]
        switch random.next() % 20 {
        case 0 where existing != nil:
            // Deleted: its storage goes with it.
            accounts[address] = nil
            storageRoots[address] = nil
            return AccountChange(address: address, info: nil, code: nil, storage: [:], storageCleared: false)
        case 1:
            // Re-created over a wiped storage, keeping its code.
            var account = InMemoryState.Account(nonce: 1, balance: U256(random.next()), code: existing?.code ?? [])
            let slots = randomSlots(&random, allowZero: false)
            account.storage = slots
            accounts[address] = account
            storageRoots[address] = nil
            return AccountChange(address: address, info: info(account), code: nil, storage: slots,
                                 storageCleared: true)
        case 2:
            // New code.
            var account = existing ?? InMemoryState.Account()
            account.nonce &+= 1
            account.code = (0..<(1 + random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            accounts[address] = account
            return AccountChange(address: address, info: info(account), code: account.code, storage: [:],
                                 storageCleared: false)
        default:
            var account = existing ?? InMemoryState.Account()
            account.nonce &+= 1
            account.balance = random.next() % 4 == 0
                ? U256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next())
                : U256(random.next() % 1_000_000_000)
            let slots = randomSlots(&random, allowZero: existing != nil)
            for (slot, value) in slots { account.storage[slot] = value.isZero ? nil : value }
            if !slots.isEmpty { storageRoots[address] = nil }
            accounts[address] = account
            return AccountChange(address: address, info: info(account), code: nil, storage: slots,
                                 storageCleared: false)
        }
    }

    private func randomSlots(_ random: inout SplitMix64, allowZero: Bool) -> [U256: U256] {
        var slots: [U256: U256] = [:]
        for _ in 0..<(random.next() % 4) {
            let slot = U256(random.next() % 24)
            let roll = random.next() % 8
            slots[slot] = allowZero && roll == 0 ? .zero
                : roll == 1 ? U256(w0: random.next(), w1: random.next(), w2: random.next(), w3: random.next() | 1)
                : U256(1 + random.next() % 1000)
        }
        return slots
    }

    private func info(_ account: InMemoryState.Account) -> AccountInfo {
        AccountInfo(nonce: account.nonce, balance: account.balance, codeHash: Keccak256.hash(account.code))
    }

    /// The state root of `accounts`, with the State module's tries.
    package mutating func stateRoot() -> Hash {
        var records: [Address: AccountRecord] = [:]
        for (address, account) in accounts {
            let storageRoot: Hash
            if let cached = storageRoots[address] {
                storageRoot = cached
            } else {
                storageRoot = StateRoot.storageRoot(account.storage)
                storageRoots[address] = storageRoot
            }
            records[address] = AccountRecord(nonce: account.nonce, balance: account.balance,
                                             storageRoot: storageRoot, codeHash: Keccak256.hash(account.code))
        }
        return StateRoot.stateRoot(records)
    }
}

/// SplitMix64: a tiny, fast, seedable generator (deterministic test workloads, not cryptography).
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
