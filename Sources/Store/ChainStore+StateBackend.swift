import EVM
import Primitives

/// Execution reads the committed state (as of `head()`) through these methods.
///
/// `StateBackend` methods cannot throw: a failed read (I/O error, undecodable row) is answered with an empty
/// value and recorded, like `ForkedState` does. Callers check `failure` (or `takeReadFailure()`) after executing
/// against the store and discard the result when it is set: a database failure never becomes a result.
extension ChainStore {
    /// What failed first among the reads since the last `takeReadFailure()`, or `nil` when all succeeded.
    public var failure: String? { readFailure?.description }

    /// Returns the first read failure since the last call, and clears it.
    public func takeReadFailure() -> StoreError? {
        defer { readFailure = nil }
        return readFailure
    }

    private func recordFailure(_ error: StoreError) {
        if readFailure == nil { readFailure = error }
    }

    /// The committed account, or `nil` when it does not exist (or the read failed: see `failure`).
    public func account(_ address: Address) -> AccountInfo? {
        if let cached = cache.accounts[address] { return cached }
        do throws(StoreError) {
            let account = try readAccount(address)
            cache.remember(account: account, for: address)
            return account
        } catch {
            recordFailure(error)
            return nil
        }
    }

    func readAccount(_ address: Address) throws(StoreError) -> AccountInfo? {
        let select = statements.selectAccount
        defer { select.reset() }
        try select.bind(1, address: address)
        guard try select.step("reading account \(address.hexString)") else { return nil }
        guard let nonce = select.uint64(bitPattern: 0), let balance = select.word(1), let codeHash = select.hash(2)
        else {
            throw StoreError(code: .corrupt, message: "account \(address.hexString) cannot be decoded")
        }
        return AccountInfo(nonce: nonce, balance: balance, codeHash: codeHash)
    }

    /// The committed value of a storage slot (zero when unset, or when the read failed: see `failure`).
    public func storage(_ address: Address, _ key: U256) -> U256 {
        if let cached = cache.storage[address]?[key] { return cached }
        do throws(StoreError) {
            let value = try readSlot(address, key)
            cache.remember(slot: key, value: value, for: address)
            return value
        } catch {
            recordFailure(error)
            return .zero
        }
    }

    func readSlot(_ address: Address, _ key: U256) throws(StoreError) -> U256 {
        let select = statements.selectSlot
        defer { select.reset() }
        try select.bind(1, address: address)
        try select.bind(2, word: key)
        guard try select.step("reading a slot of \(address.hexString)") else { return .zero }
        guard let value = select.minimalWord(0) else {
            throw StoreError(code: .corrupt, message: "slot \(key) of \(address.hexString) cannot be decoded")
        }
        return value
    }

    /// The code with this hash, or `nil` when the store has none (or the read failed: see `failure`).
    public func code(hash: Hash) -> [UInt8]? {
        if hash == AccountInfo.emptyCodeHash { return [] }
        if let cached = cache.code[hash] { return cached }
        do throws(StoreError) {
            let select = statements.selectCode
            defer { select.reset() }
            try select.bind(1, hash: hash)
            guard try select.step("reading code \(hash.hexString)") else { return nil }
            guard let code = select.bytes(0) else {
                throw StoreError(code: .corrupt, message: "code \(hash.hexString) cannot be decoded")
            }
            cache.remember(code: code, for: hash)
            return code
        } catch {
            recordFailure(error)
            return nil
        }
    }

    /// Whether the committed account has any storage (EIP-7610 creation collisions).
    public func hasStorage(_ address: Address) -> Bool {
        if let cached = cache.hasStorage[address] { return cached }
        do throws(StoreError) {
            let select = statements.anyStorage
            defer { select.reset() }
            try select.bind(1, address: address)
            let result = try select.step("checking the storage of \(address.hexString)")
            cache.remember(hasStorage: result, for: address)
            return result
        } catch {
            recordFailure(error)
            return false
        }
    }

    /// The hash of a committed block, or `nil` when the store has no block with this number.
    public func blockHash(number: UInt64) -> Hash? {
        if let cached = cache.blockHashes[number] { return cached }
        guard let key = Int64(exactly: number) else { return nil }
        do throws(StoreError) {
            let select = statements.selectBlockHash
            defer { select.reset() }
            try select.bind(1, key)
            guard try select.step("reading the hash of block \(number)") else { return nil }
            guard let hash = select.hash(0) else {
                throw StoreError(code: .corrupt, message: "the hash of block \(number) cannot be decoded")
            }
            cache.remember(blockHash: hash, for: number)
            return hash
        } catch {
            recordFailure(error)
            return nil
        }
    }
}
