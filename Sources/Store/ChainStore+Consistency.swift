import EVM
import Primitives
import State

/// State roots recomputed from the flat tables, and the check that the head's recorded root matches them.
///
/// Both read the whole state (linear in its size): for verification, recovery and tests, not for every block.
extension ChainStore {
    /// The state root of the committed state, recomputed from the flat tables with the State module's tries.
    /// - Throws: `.corrupt` when a row cannot be decoded, or the SQLite error of the read.
    public func stateRoot() throws(StoreError) -> Hash {
        try withReadSnapshot { () throws(StoreError) in try computeStateRoot().root }
    }

    /// Checks that the store is whole: the head block exists, the state root recomputed from the flat state
    /// equals the one the head block recorded, no storage belongs to a missing account, every account's code
    /// is present, and SQLite's own structural check passes.
    /// - Throws: `.inconsistent` with what differs, `.corrupt` when SQLite finds damage.
    public func verifyConsistency() throws(StoreError) {
        try withReadSnapshot { () throws(StoreError) in
            try quickCheck()
            guard let head = try Self.readHead(statements.selectHead) else {
                let accounts = try accountCount
                guard accounts == 0 else {
                    throw StoreError(code: .inconsistent, message: "no head block, but \(accounts) accounts")
                }
                return
            }
            guard let block = try block(number: head.number) else {
                throw StoreError(code: .inconsistent, message: "the head block \(head.number) is missing")
            }
            guard block.hash == head.hash else {
                throw StoreError(code: .inconsistent,
                                 message: "the head is \(head.hash.hexString) but block \(head.number) is "
                                     + block.hash.hexString)
            }
            let computed = try computeStateRoot()
            guard computed.orphanStorageAccounts == 0 else {
                throw StoreError(code: .inconsistent,
                                 message: "\(computed.orphanStorageAccounts) addresses have storage but no account")
            }
            guard computed.root == block.stateRoot else {
                throw StoreError(code: .inconsistent,
                                 message: "head block \(head.number) recorded state root \(block.stateRoot.hexString)"
                                     + ", the flat state's root is \(computed.root.hexString)")
            }
            try checkCodePresent()
        }
    }

    /// Runs `body` inside one read transaction, so that its several queries see one committed state.
    func withReadSnapshot<R>(_ body: () throws(StoreError) -> R) throws(StoreError) -> R {
        try connection.execute("BEGIN", context: "starting a read")
        defer { try? connection.execute("COMMIT", context: "ending a read") }
        return try body()
    }

    private func quickCheck() throws(StoreError) {
        let check = try connection.prepare("PRAGMA quick_check(1)")
        defer { check.reset() }
        guard try check.step("checking the database structure") else { return }
        let result = check.text(0) ?? "?"
        guard result == "ok" else {
            throw StoreError(code: .corrupt, message: "\(path): SQLite structural check failed: \(result)")
        }
    }

    private func checkCodePresent() throws(StoreError) {
        let missing = try connection.prepare("""
            SELECT address, code_hash FROM accounts
            WHERE code_hash <> ?1 AND NOT EXISTS (SELECT 1 FROM code WHERE code.hash = accounts.code_hash)
            LIMIT 1
            """)
        defer { missing.reset() }
        try missing.bind(1, hash: AccountInfo.emptyCodeHash)
        if try missing.step("looking for missing code") {
            let address = missing.address(0)?.hexString ?? "?"
            let hash = missing.hash(1)?.hexString ?? "?"
            throw StoreError(code: .inconsistent, message: "account \(address) has code hash \(hash) but no code")
        }
    }

    /// Streams the storage (in address order) into one storage trie per account, then the accounts into the
    /// state trie: memory holds the tries, never a copy of the rows.
    func computeStateRoot() throws(StoreError) -> (root: Hash, orphanStorageAccounts: Int) {
        var storageRoots: [Address: Hash] = [:]
        let slots = try connection.prepare("SELECT address, slot, value FROM storage ORDER BY address, slot")
        defer { slots.reset() }
        var current: Address?
        var trie = SecureTrie()
        while try slots.step("reading storage") {
            guard let address = slots.address(0), let slot = slots.word(1), let value = slots.minimalWord(2) else {
                throw StoreError(code: .corrupt, message: "a storage row cannot be decoded")
            }
            if address != current {
                if let current { storageRoots[current] = trie.rootHash }
                current = address
                trie = SecureTrie()
            }
            trie.update(key: slot.bigEndianBytes, value: StateRoot.storageValueEncoding(value))
        }
        if let current { storageRoots[current] = trie.rootHash }

        var state = SecureTrie()
        var accountsWithStorage = 0
        let accounts = try connection.prepare(
            "SELECT address, nonce, balance, code_hash FROM accounts ORDER BY address")
        defer { accounts.reset() }
        while try accounts.step("reading accounts") {
            guard let address = accounts.address(0), let nonce = accounts.uint64(bitPattern: 1),
                  let balance = accounts.word(2), let codeHash = accounts.hash(3)
            else {
                throw StoreError(code: .corrupt, message: "an account row cannot be decoded")
            }
            let storageRoot = storageRoots[address] ?? MerklePatriciaTrie.emptyRootHash
            if storageRoots[address] != nil { accountsWithStorage += 1 }
            let record = AccountRecord(nonce: nonce, balance: balance, storageRoot: storageRoot, codeHash: codeHash)
            state.update(key: address.bytes, value: record.rlpEncoded)
        }
        return (state.rootHash, storageRoots.count - accountsWithStorage)
    }

    /// The whole committed state, for the store tests and their crash-test writer (it holds everything in memory).
    package func loadFlatState() throws(StoreError) -> [Address: InMemoryState.Account] {
        try withReadSnapshot { () throws(StoreError) in
            var result: [Address: InMemoryState.Account] = [:]
            let accounts = try connection.prepare("SELECT address, nonce, balance, code_hash FROM accounts")
            defer { accounts.reset() }
            while try accounts.step("reading accounts") {
                guard let address = accounts.address(0), let nonce = accounts.uint64(bitPattern: 1),
                      let balance = accounts.word(2), let codeHash = accounts.hash(3)
                else {
                    throw StoreError(code: .corrupt, message: "an account row cannot be decoded")
                }
                let code = try codeForLoad(codeHash)
                result[address] = InMemoryState.Account(nonce: nonce, balance: balance, code: code)
            }
            let slots = try connection.prepare("SELECT address, slot, value FROM storage")
            defer { slots.reset() }
            while try slots.step("reading storage") {
                guard let address = slots.address(0), let slot = slots.word(1), let value = slots.minimalWord(2)
                else {
                    throw StoreError(code: .corrupt, message: "a storage row cannot be decoded")
                }
                // Orphan slots (no account) are left out; verifyConsistency reports them.
                result[address]?.storage[slot] = value
            }
            return result
        }
    }

    private func codeForLoad(_ hash: Hash) throws(StoreError) -> [UInt8] {
        if hash == AccountInfo.emptyCodeHash { return [] }
        let select = statements.selectCode
        defer { select.reset() }
        try select.bind(1, hash: hash)
        guard try select.step("reading code"), let code = select.bytes(0) else {
            throw StoreError(code: .inconsistent, message: "code \(hash.hexString) is missing")
        }
        return code
    }
}
