import EVM
import Primitives

/// Everything a stateless verifier needs to re-execute a block (or transaction) against a parent state root it
/// does not hold: the trie nodes proving every account and storage slot execution touched, the code it ran, and
/// the block hashes BLOCKHASH read. See `Specs/witness.md` for the encoding.
public struct ExecutionWitness: Hashable, Sendable {
    /// The parent state root the proofs are against.
    public var stateRoot: Hash
    /// Account-trie nodes (RLP), the union of the touched accounts' proofs plus collapse siblings.
    public var stateNodes: [[UInt8]]
    /// Storage-trie nodes of all touched accounts (RLP), pooled: each account's trie takes what it reaches.
    public var storageNodes: [[UInt8]]
    /// Bytecode of the touched contracts.
    public var codes: [[UInt8]]
    /// Block hashes by number, for BLOCKHASH.
    public var blockHashes: [UInt64: Hash]

    public init(stateRoot: Hash, stateNodes: [[UInt8]], storageNodes: [[UInt8]], codes: [[UInt8]],
                blockHashes: [UInt64: Hash]) {
        self.stateRoot = stateRoot
        self.stateNodes = stateNodes
        self.storageNodes = storageNodes
        self.codes = codes
        self.blockHashes = blockHashes
    }
}

/// A backend wrapper that records every account, slot, code and block hash execution reads: the key set of the
/// witness. Not thread-safe (one per execution).
public final class RecordingBackend: StateBackend {
    public let inner: StateBackend
    public private(set) var accounts: Set<Address> = []
    public private(set) var slots: [Address: Set<U256>] = [:]
    public private(set) var codeHashes: Set<Hash> = []
    public private(set) var blockNumbers: Set<UInt64> = []

    public init(_ inner: StateBackend) { self.inner = inner }

    public func account(_ address: Address) -> AccountInfo? {
        accounts.insert(address)
        let info = inner.account(address)
        if let info { codeHashes.insert(info.codeHash) }
        return info
    }

    public func storage(_ address: Address, _ key: U256) -> U256 {
        accounts.insert(address)
        slots[address, default: []].insert(key)
        return inner.storage(address, key)
    }

    public func code(hash: Hash) -> [UInt8]? {
        codeHashes.insert(hash)
        return inner.code(hash: hash)
    }

    public func hasStorage(_ address: Address) -> Bool {
        // Statelessly this is answered from the account's storage root, which the account proof carries.
        accounts.insert(address)
        return inner.hasStorage(address)
    }

    public func blockHash(number: UInt64) -> Hash? {
        blockNumbers.insert(number)
        return inner.blockHash(number: number)
    }
}

/// Builds execution witnesses from a full in-memory state.
public enum WitnessBuilder {
    /// The witness for executing against `pre`: proofs for every account and slot `recorder` saw (and every one
    /// `changes` writes), with the siblings deletions need, the code and the block hashes.
    public static func build(pre: InMemoryState, recorder: RecordingBackend, changes: [AccountChange]) -> ExecutionWitness {
        var accountsTouched = recorder.accounts
        var slotsTouched = recorder.slots
        for change in changes {
            accountsTouched.insert(change.address)
            for key in change.storage.keys { slotsTouched[change.address, default: []].insert(key) }
        }
        var accountTrie = SecureTrie()
        var storageNodes: [[UInt8]] = []
        for (address, account) in pre.accounts {
            var storageTrie = SecureTrie()
            for (key, value) in account.storage where !value.isZero {
                storageTrie.update(key: Hash(word: key).bytes, value: StateRoot.storageValueEncoding(value))
            }
            let record = AccountRecord(nonce: account.nonce, balance: account.balance,
                                       storageRoot: storageTrie.rootHash, codeHash: Keccak256.hash(account.code))
            accountTrie.update(key: address.bytes, value: record.rlpEncoded)
            if let keys = slotsTouched[address], !keys.isEmpty {
                storageNodes += storageTrie.witnessNodes(forKeys: keys.map { Hash(word: $0).bytes })
            }
        }
        let stateRoot = accountTrie.rootHash
        let stateNodes = accountTrie.witnessNodes(forKeys: accountsTouched.map(\.bytes))
        var codes: [[UInt8]] = []
        for hash in recorder.codeHashes where hash != AccountInfo.emptyCodeHash {
            if let code = pre.code(hash: hash) { codes.append(code) }
        }
        var blockHashes: [UInt64: Hash] = [:]
        for number in recorder.blockNumbers {
            if let hash = pre.blockHash(number: number) { blockHashes[number] = hash }
        }
        return ExecutionWitness(stateRoot: stateRoot, stateNodes: deduplicated(stateNodes),
                                storageNodes: deduplicated(storageNodes), codes: codes, blockHashes: blockHashes)
    }

    static func deduplicated(_ nodes: [[UInt8]]) -> [[UInt8]] {
        nodes.removingDuplicates()
    }
}

/// A missing or forged witness element: the stateless execution cannot be trusted and is rejected.
public struct WitnessError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// State served from an `ExecutionWitness` alone: reads are checked against the parent state root through the
/// witness's trie nodes, and the post-state root is computed by applying execution's changes to those partial
/// tries. Any read or write the witness cannot support is recorded (`failure`) and the execution is rejected.
public final class StatelessState: StateBackend, StateBackendFailure {
    var accountTrie: SecureTrie
    let storagePool: [[UInt8]]
    var storageTries: [Address: SecureTrie] = [:]
    var records: [Address: AccountRecord?] = [:]
    var codes: [Hash: [UInt8]]
    var blockHashes: [UInt64: Hash]
    /// The first problem met, if any.
    public private(set) var failure: String?

    /// Opens the witness.
    /// - Throws: `WitnessError` when a node is malformed.
    public init(witness: ExecutionWitness) throws(WitnessError) {
        do {
            accountTrie = try SecureTrie(root: witness.stateRoot, proofNodes: witness.stateNodes)
        } catch {
            throw WitnessError("witness state nodes are invalid: \(error)")
        }
        storagePool = witness.storageNodes
        var codes: [Hash: [UInt8]] = [AccountInfo.emptyCodeHash: []]
        for code in witness.codes { codes[Keccak256.hash(code)] = code }  // keyed by their hash: cannot be forged
        self.codes = codes
        blockHashes = witness.blockHashes
    }

    func fail(_ message: String) {
        if failure == nil { failure = message }
    }

    func record(_ address: Address) -> AccountRecord? {
        if let cached = records[address] { return cached }
        var record: AccountRecord? = nil
        do {
            if let encoded = try accountTrie.getThrowing(key: address.bytes) {
                record = try AccountRecord(rlp: encoded)
            }
        } catch {
            fail("account \(address): \(error)")
        }
        records[address] = record
        return record
    }

    func storageTrie(_ address: Address) -> SecureTrie? {
        if let trie = storageTries[address] { return trie }
        let root = record(address)?.storageRoot ?? MerklePatriciaTrie.emptyRootHash
        do {
            let trie = try SecureTrie(root: root, proofNodes: storagePool)
            storageTries[address] = trie
            return trie
        } catch {
            fail("storage of \(address): \(error)")
            return nil
        }
    }

    public func account(_ address: Address) -> AccountInfo? {
        guard let record = record(address) else { return nil }
        if codes[record.codeHash] == nil { fail("the witness lacks the code of \(address) (\(record.codeHash))") }
        return AccountInfo(nonce: record.nonce, balance: record.balance, codeHash: record.codeHash)
    }

    public func storage(_ address: Address, _ key: U256) -> U256 {
        guard let trie = storageTrie(address) else { return .zero }
        do {
            guard let encoded = try trie.getThrowing(key: Hash(word: key).bytes) else { return .zero }
            var reader = RLPReader(encoded)
            return try reader.readU256("storage value")
        } catch {
            fail("storage \(address) slot \(key.hexString): \(error)")
            return .zero
        }
    }

    public func code(hash: Hash) -> [UInt8]? { codes[hash] }

    public func hasStorage(_ address: Address) -> Bool {
        (record(address)?.storageRoot ?? MerklePatriciaTrie.emptyRootHash) != MerklePatriciaTrie.emptyRootHash
    }

    public func blockHash(number: UInt64) -> Hash? {
        guard let hash = blockHashes[number] else {
            fail("the witness lacks the hash of block \(number)")
            return nil
        }
        return hash
    }

    /// Adds the hash of a block executed since the witness was made (a range's earlier blocks), for BLOCKHASH.
    public func setBlockHash(_ hash: Hash, number: UInt64) {
        blockHashes[number] = hash
    }

    /// Applies execution's changes to the partial tries and returns the post-state root. Reads afterwards see the
    /// new state, so the blocks of a range can execute one after another on one `StatelessState`.
    /// - Throws: `WitnessError` when the witness lacks a node a write needs, or a read already failed.
    public func postStateRoot(applying changes: [AccountChange]) throws(WitnessError) -> Hash {
        if let failure { throw WitnessError(failure) }
        do {
            for change in changes.sorted(by: { $0.address < $1.address }) {
                guard let info = change.info else {
                    try accountTrie.deleteThrowing(key: change.address.bytes)
                    records[change.address] = .some(nil)
                    storageTries[change.address] = SecureTrie()
                    continue
                }
                var storage = change.storageCleared ? SecureTrie() : (storageTrie(change.address) ?? SecureTrie())
                if let failure { throw WitnessError(failure) }
                for (key, value) in change.storage.sorted(by: { $0.key < $1.key }) {
                    if value.isZero {
                        try storage.deleteThrowing(key: Hash(word: key).bytes)
                    } else {
                        try storage.updateThrowing(key: Hash(word: key).bytes, value: StateRoot.storageValueEncoding(value))
                    }
                }
                let record = AccountRecord(nonce: info.nonce, balance: info.balance, storageRoot: storage.rootHash,
                                           codeHash: info.codeHash)
                try accountTrie.updateThrowing(key: change.address.bytes, value: record.rlpEncoded)
                // Keep the caches in step, so that a following block executes on this post-state.
                records[change.address] = .some(record)
                storageTries[change.address] = storage
                if let code = change.code { codes[info.codeHash] = code }
            }
        } catch let error as WitnessError {
            throw error
        } catch {
            throw WitnessError("the witness cannot support the block's writes: \(error)")
        }
        return accountTrie.rootHash
    }
}
