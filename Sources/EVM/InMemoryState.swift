import Primitives

/// A complete state held in memory: the pre-state of tests, the devnet's genesis, a simulation's base.
public final class InMemoryState: StateBackend {
    /// An account with its code and storage.
    public struct Account: Sendable {
        public var nonce: UInt64
        public var balance: U256
        public var code: [UInt8]
        public var storage: [U256: U256]

        public init(nonce: UInt64 = 0, balance: U256 = .zero, code: [UInt8] = [], storage: [U256: U256] = [:]) {
            self.nonce = nonce
            self.balance = balance
            self.code = code
            self.storage = storage
        }
    }

    public private(set) var accounts: [Address: Account] = [:]
    var codeHashes: [Address: Hash] = [:]
    var codes: [Hash: [UInt8]] = [:]
    /// Hashes of past blocks by number (BLOCKHASH).
    public var blockHashes: [UInt64: Hash] = [:]

    public init(accounts: [Address: Account] = [:]) {
        for (address, account) in accounts { set(address, account) }
    }

    /// Replaces an account.
    public func set(_ address: Address, _ account: Account) {
        var cleaned = account
        cleaned.storage = account.storage.filter { !$0.value.isZero }
        accounts[address] = cleaned
        let hash = Keccak256.hash(account.code)
        codeHashes[address] = hash
        codes[hash] = account.code
    }

    public func account(_ address: Address) -> AccountInfo? {
        guard let account = accounts[address] else { return nil }
        return AccountInfo(nonce: account.nonce, balance: account.balance,
                           codeHash: codeHashes[address] ?? AccountInfo.emptyCodeHash)
    }

    public func storage(_ address: Address, _ key: U256) -> U256 {
        accounts[address]?.storage[key] ?? .zero
    }

    public func code(hash: Hash) -> [UInt8]? { codes[hash] }
    /// Makes `code` readable by its hash (for a state whose accounts live elsewhere).
    public func store(code: [UInt8], hash: Hash) { codes[hash] = code }

    public func hasStorage(_ address: Address) -> Bool {
        !(accounts[address]?.storage.isEmpty ?? true)
    }

    public func blockHash(number: UInt64) -> Hash? { blockHashes[number] }

    /// Applies what a journaled state committed.
    public func apply(_ changes: [AccountChange]) {
        for change in changes {
            guard let info = change.info else {
                accounts[change.address] = nil
                codeHashes[change.address] = nil
                continue
            }
            var account = change.storageCleared ? Account() : (accounts[change.address] ?? Account())
            account.nonce = info.nonce
            account.balance = info.balance
            if let code = change.code { account.code = code }
            for (key, value) in change.storage {
                account.storage[key] = value.isZero ? nil : value
            }
            accounts[change.address] = account
            codeHashes[change.address] = info.codeHash
            codes[info.codeHash] = account.code
        }
    }
}
