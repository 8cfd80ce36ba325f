import EVM
import Foundation
import Primitives
import State
import Synchronization

/// The upstream chain a forked `WorldState` starts from: its state root at the pinned block, lazily read values,
/// and proofs for the trie paths a block writes.
public final class ForkBase: @unchecked Sendable {
    /// Values read at the pinned block (cached, coalesced; failures recorded, never trusted).
    public let remote: ForkedState
    /// `eth_getProof` at the pinned block.
    public let proofs: any UpstreamProofProvider
    /// The pinned block.
    public let blockNumber: UInt64
    /// That block's state root.
    public let stateRoot: Hash
    /// How many preimages a search for a hidden sibling may try before giving up (default 2^25: a few seconds on
    /// two cores; enough for siblings up to 6 nibbles deep).
    public let siblingSearchBudget: Int
    let counters = Mutex((proofs: 0, searches: 0))

    public init(remote: ForkedState, proofs: any UpstreamProofProvider, blockNumber: UInt64, stateRoot: Hash,
                siblingSearchBudget: Int = 1 << 25) {
        self.siblingSearchBudget = siblingSearchBudget
        self.remote = remote
        self.proofs = proofs
        self.blockNumber = blockNumber
        self.stateRoot = stateRoot
    }

    /// `eth_getProof` requests sent so far.
    public var proofRequests: Int { counters.withLock { $0.proofs } }
    /// Preimage searches run for hidden siblings so far.
    public var siblingSearches: Int { counters.withLock { $0.searches } }

    /// `eth_getProof` answers at the pinned block by account, with the slots each covers: the pinned state never
    /// changes, so a proof is fetched again only for slots it did not cover.
    let proofCache = Mutex<[Address: (slots: Set<U256>, proof: UpstreamProof)]>([:])

    func proof(_ address: Address, slots: [U256]) throws(InvalidBlock) -> UpstreamProof {
        try cachedProofs([(address, slots)])[0]
    }

    /// The proofs of `requests` (same order), from the cache where it covers them and otherwise fetched together
    /// in batched round trips (a block's changes, or a witness, need hundreds at once).
    public func cachedProofs(_ requests: [(address: Address, slots: [U256])]) throws(InvalidBlock) -> [UpstreamProof] {
        var missing: [(address: Address, slots: [U256])] = []
        proofCache.withLock { cache in
            var wanted: [Address: Set<U256>] = [:]
            for request in requests {
                if let cached = cache[request.address], cached.slots.isSuperset(of: request.slots) { continue }
                wanted[request.address, default: cache[request.address]?.slots ?? []].formUnion(request.slots)
            }
            missing = wanted.map { ($0.key, Array($0.value)) }
        }
        if !missing.isEmpty {
            counters.withLock { $0.proofs += missing.count }
            let fetched: [UpstreamProof]
            do {
                fetched = try proofs.proofs(missing)
            } catch {
                let what = missing.count == 1 ? "\(missing[0].address)" : "of \(missing.count) accounts"
                throw InvalidBlock(.stateUnavailable, "eth_getProof \(what) at the fork block \(blockNumber) failed: \(error)")
            }
            proofCache.withLock { cache in
                for (request, proof) in zip(missing, fetched) { cache[request.address] = (Set(request.slots), proof) }
            }
        }
        return try proofCache.withLock { cache throws(InvalidBlock) in
            try requests.map { request throws(InvalidBlock) in
                guard let proof = cache[request.address]?.proof else {
                    throw InvalidBlock(.stateUnavailable, "eth_getProof \(request.address) at the fork block \(blockNumber): no answer")
                }
                return proof
            }
        }
    }

    /// Reads `addresses` into `remote` with their proofs (`cachedProofs`, whose answers carry each account's
    /// fields): one call per few hundred accounts with `lockstep_getProofs`, where `remote.prefetch(accounts:)` makes
    /// three per account, and the proofs are cached for the witness of the block that will touch them (accounts
    /// already cached are skipped: their proofs are fetched when a witness needs them). Accounts whose
    /// code is not read yet, and every account when the proofs cannot be had, are read the usual way.
    public func prefetch(accounts addresses: [Address]) {
        // Accounts already read (or inherited from an earlier fork) need neither a read nor, yet, a proof.
        let unique = remote.unread(accounts: Array(Set(addresses)))
        guard !unique.isEmpty else { return }
        guard let proofs = try? cachedProofs(unique.map { ($0, []) }) else {
            remote.prefetch(accounts: unique)
            return
        }
        let fields = zip(unique, proofs).compactMap { address, proof in proof.accountFields.map { (address, $0) } }
        let read = Set(fields.map(\.0))
        remote.prefetch(accounts: remote.seed(accounts: fields) + unique.filter { !read.contains($0) })
    }

    /// A `length`-byte string whose Keccak-256 hash starts with the nibbles `prefix`, found by counting through
    /// candidates on every core; nil when `siblingSearchBudget` candidates do not find one.
    func preimage(length: Int, prefix: [UInt8]) -> [UInt8]? {
        counters.withLock { $0.searches += 1 }
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let perWorker = UInt64(siblingSearchBudget / workers + 1)
        let found = Mutex<[UInt8]?>(nil)
        let done = Atomic<Bool>(false)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var candidate = [UInt8](repeating: 0, count: length)
            candidate[0] = UInt8(truncatingIfNeeded: worker)
            for counter in 0..<perWorker {
                if counter & 0xfff == 0, done.load(ordering: .relaxed) { return }
                for byte in 0..<8 { candidate[length - 1 - byte] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(byte))) }
                let hash = Keccak256.hash(candidate)
                if Self.hash(hash, startsWith: prefix) {
                    found.withLock { if $0 == nil { $0 = candidate } }
                    done.store(true, ordering: .relaxed)
                    return
                }
            }
        }
        return found.withLock { $0 }
    }

    static func hash(_ hash: Hash, startsWith prefix: [UInt8]) -> Bool {
        let bytes = hash.bytes
        for (index, nibble) in prefix.enumerated() {
            let byte = bytes[index / 2]
            if (index % 2 == 0 ? byte >> 4 : byte & 0x0f) != nibble { return false }
        }
        return true
    }
}

extension WorldState {
    /// `prepare` for a forked state: fetches the proofs the changes' paths need (one `eth_getProof` per account
    /// with all its slots), then applies the changes; a deletion whose remaining sibling no proof showed gets
    /// that sibling through a proof for a key found to lie under it.
    func prepareForked(_ changes: [AccountChange], fork: ForkBase) throws(InvalidBlock) -> PendingState {
        var accountTrie = self.accountTrie
        var storageTries: [Address: SecureTrie?] = [:]
        // The proofs the changes' paths need, fetched together.
        var needed: [(address: Address, slots: [U256])] = []
        for change in changes {
            let written = change.storageCleared ? [] : Array(change.storage.keys)
            let loaded = self.storageTries[change.address]
            let unresolvedSlots = loaded.map { trie in written.filter { !Self.isResolved(trie, key: $0.bigEndianBytes) } } ?? written
            if !Self.isResolved(accountTrie, key: change.address.bytes) || loaded == nil || !unresolvedSlots.isEmpty {
                needed.append((change.address, unresolvedSlots))
            }
        }
        let fetched = Dictionary(zip(needed.map(\.address), try fork.cachedProofs(needed)), uniquingKeysWith: { first, _ in first })
        // Every account path at once: resolving scans the whole partial trie, so it is done once for the block's
        // changes (their proofs share the top nodes), not once per account.
        let accountNodes = fetched.values.flatMap(\.accountProof).removingDuplicates()
        try Self.resolve(&accountTrie, accountNodes, what: "the state trie")
        for change in changes {
            let address = change.address
            var storage: SecureTrie
            let loaded = self.storageTries[address]
            if let proof = fetched[address] {
                if var trie = loaded {
                    try Self.resolve(&trie, proof.storageProof, what: "the storage trie of \(address)")
                    storage = trie
                } else {
                    do { storage = try SecureTrie(root: proof.storageHash, proofNodes: proof.storageProof) } catch {
                        throw InvalidBlock(.stateUnavailable, "eth_getProof \(address): malformed storage proof: \(error)")
                    }
                }
            } else {
                storage = loaded!
            }
            guard let info = change.info else {
                try Self.write(&accountTrie, key: address.bytes, value: []) { prefix throws(InvalidBlock) in
                    guard let other = fork.preimage(length: 20, prefix: prefix) else { return nil }
                    return try fork.proof(Address(bytes: other)!, slots: []).accountProof
                }
                storageTries[address] = .some(SecureTrie())
                continue
            }
            if change.storageCleared { storage = SecureTrie() }
            for (slot, value) in change.storage {
                let encoded = value.isZero ? [] : StateRoot.storageValueEncoding(value)
                try Self.write(&storage, key: slot.bigEndianBytes, value: encoded) { prefix throws(InvalidBlock) in
                    guard let other = fork.preimage(length: 32, prefix: prefix) else { return nil }
                    return try fork.proof(address, slots: [U256(bigEndianBytes: other)!]).storageProof
                }
            }
            let record = AccountRecord(nonce: info.nonce, balance: info.balance, storageRoot: storage.rootHash,
                                       codeHash: info.codeHash)
            try Self.write(&accountTrie, key: address.bytes, value: record.rlpEncoded) { prefix throws(InvalidBlock) in
                guard let other = fork.preimage(length: 20, prefix: prefix) else { return nil }
                return try fork.proof(Address(bytes: other)!, slots: []).accountProof
            }
            storageTries[address] = .some(storage)
        }
        return PendingState(changes: changes, stateRoot: accountTrie.rootHash, accountTrie: accountTrie,
                            storageTries: storageTries)
    }

    /// Fills a forked state's tries in for an `eth_getProof` answer at the head: the account's path, and the
    /// slots' paths in its storage trie (loading that trie when it is not yet).
    func loadForProof(_ address: Address, slots: [U256], fork: ForkBase) throws(InvalidBlock) {
        let loaded = self.storageTries[address]
        let unresolvedSlots = loaded.map { trie in slots.filter { !Self.isResolved(trie, key: $0.bigEndianBytes) } } ?? slots
        guard !Self.isResolved(accountTrie, key: address.bytes) || loaded == nil || !unresolvedSlots.isEmpty else { return }
        let proof = try fork.proof(address, slots: unresolvedSlots)
        try Self.resolve(&accountTrie, proof.accountProof, what: "the state trie")
        // An account changed here may have a storage trie the upstream's proof no longer matches; only load one
        // whose root is still the upstream's.
        let currentRoot = (accountTrie.get(key: address.bytes)).flatMap { try? AccountRecord(rlp: $0) }?.storageRoot
            ?? MerklePatriciaTrie.emptyRootHash
        if var trie = loaded {
            try Self.resolve(&trie, proof.storageProof, what: "the storage trie of \(address)")
            self.storageTries[address] = trie
        } else if currentRoot == proof.storageHash {
            do { self.storageTries[address] = try SecureTrie(root: proof.storageHash, proofNodes: proof.storageProof) } catch {
                throw InvalidBlock(.stateUnavailable, "eth_getProof \(address): malformed storage proof: \(error)")
            }
        }
    }

    static func isResolved(_ trie: SecureTrie, key: [UInt8]) -> Bool {
        do {
            _ = try trie.getThrowing(key: key)
            return true
        } catch {
            return false
        }
    }

    static func resolve(_ trie: inout SecureTrie, _ nodes: [[UInt8]], what: String) throws(InvalidBlock) {
        do { try trie.resolve(proofNodes: nodes) } catch {
            throw InvalidBlock(.stateUnavailable, "malformed proof node for \(what): \(error)")
        }
    }

    /// Writes (or, with an empty value, deletes) `key`, fetching a hidden sibling through `sibling` (which gets
    /// the sibling's nibble path and returns proof nodes passing through it, or nil when it cannot).
    static func write(_ trie: inout SecureTrie, key: [UInt8], value: [UInt8],
                      sibling: ([UInt8]) throws(InvalidBlock) -> [[UInt8]]?) throws(InvalidBlock) {
        var lastError: TrieProofError?
        for _ in 0..<4 {
            do {
                try trie.updateThrowing(key: key, value: value)
                return
            } catch {
                lastError = error
                guard error.code == .missingSibling, let path = error.nodePath, let nodes = try sibling(path) else { break }
                try resolve(&trie, nodes, what: "a hidden sibling")
            }
        }
        throw InvalidBlock(.stateUnavailable, "cannot compute the forked state root: \(lastError.map { "\($0)" } ?? "unknown")")
    }
}
