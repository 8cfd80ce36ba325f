import Primitives

/// A Merkle-Patricia trie keyed by the Keccak-256 hash of each key, as Ethereum's state and storage tries are.
///
/// Hashing spreads keys evenly (the trie stays shallow whatever the keys) and fixes their length at 32 bytes.
/// The trie cannot list the original keys: it only ever sees their hashes.
public struct SecureTrie: Sendable {
    /// The underlying trie, keyed by `keccak256(key)`.
    public private(set) var trie: MerklePatriciaTrie

    /// An empty trie.
    public init() {
        trie = MerklePatriciaTrie()
    }

    /// The number of keys stored.
    public var count: Int { trie.count }

    /// The value stored under `key`, or `nil` when absent.
    public func get(key: [UInt8]) -> [UInt8]? {
        trie.get(key: Keccak256.hash(key).bytes)
    }

    /// Stores `value` under `key`; an empty `value` deletes the key.
    public mutating func update(key: [UInt8], value: [UInt8]) {
        trie.update(key: Keccak256.hash(key).bytes, value: value)
    }

    /// Stores `value` under a key whose Keccak-256 hash the caller already has.
    public mutating func update(hashedKey: Hash, value: [UInt8]) {
        trie.update(key: hashedKey.bytes, value: value)
    }

    /// Removes `key`; does nothing when it is absent.
    public mutating func delete(key: [UInt8]) {
        trie.delete(key: Keccak256.hash(key).bytes)
    }

    /// The root hash, re-hashing only what changed since the last read.
    public var rootHash: Hash {
        mutating get { trie.rootHash }
    }

    /// A proof for `key` in the `eth_getProof` form (the path of `keccak256(key)`).
    public func proof(key: [UInt8]) -> [[UInt8]] {
        trie.proof(key: Keccak256.hash(key).bytes)
    }

    // MARK: - Stateless (partial) tries

    /// A partial trie built from its root hash and RLP-encoded nodes (e.g. an execution witness's nodes, or the
    /// union of `eth_getProof` proofs); see `MerklePatriciaTrie.init(root:proofNodes:)`.
    /// - Throws: `TrieProofError` (`malformedNode`) when a node reachable from the root is malformed.
    public init(root: Hash, proofNodes: [[UInt8]]) throws(TrieProofError) {
        trie = try MerklePatriciaTrie(root: root, proofNodes: proofNodes)
    }

    /// A partial trie built from `root` and proof nodes: the same as `init(root:proofNodes:)`.
    /// - Throws: `TrieProofError` (`malformedNode`) when a node reachable from the root is malformed.
    public static func fromProofs(root: Hash, proofNodes: [[UInt8]]) throws(TrieProofError) -> SecureTrie {
        try SecureTrie(root: root, proofNodes: proofNodes)
    }

    /// Fills in hash-only nodes from more proof nodes; see `MerklePatriciaTrie.resolve(proofNodes:)`.
    @discardableResult
    public mutating func resolve(proofNodes: [[UInt8]]) throws(TrieProofError) -> Int {
        try trie.resolve(proofNodes: proofNodes)
    }

    /// Whether a partial trie is known to be empty (the empty root) — for a full trie, whether it holds no keys.
    public var isKnownEmpty: Bool { trie.isEmpty }

    /// Whether the trie holds subtrees known only by their hash (it was built from proofs).
    public var isPartial: Bool { trie.isPartial }

    /// The value stored under `key`, or `nil` when the trie shows it is absent.
    /// - Throws: `TrieProofError` (`missingNode`) when a partial trie lacks a node on the key's path.
    public func getThrowing(key: [UInt8]) throws(TrieProofError) -> [UInt8]? {
        try trie.getThrowing(key: Keccak256.hash(key).bytes)
    }

    /// Stores `value` under `key` (an empty `value` deletes it), or throws and changes nothing when a partial trie
    /// lacks a node the update needs.
    /// - Throws: `TrieProofError` (`missingNode`, or `missingSibling` for a deletion).
    public mutating func updateThrowing(key: [UInt8], value: [UInt8]) throws(TrieProofError) {
        try trie.updateThrowing(key: Keccak256.hash(key).bytes, value: value)
    }

    /// Stores `value` under a key whose Keccak-256 hash the caller already has, or throws and changes nothing when
    /// a partial trie lacks a node the update needs.
    /// - Throws: `TrieProofError` (`missingNode`, or `missingSibling` for a deletion).
    public mutating func updateThrowing(hashedKey: Hash, value: [UInt8]) throws(TrieProofError) {
        try trie.updateThrowing(key: hashedKey.bytes, value: value)
    }

    /// Removes `key`, or throws and changes nothing when a partial trie lacks a node the deletion needs.
    /// - Throws: `TrieProofError` (`missingNode`, or `missingSibling` when the key's remaining sibling is unknown).
    public mutating func deleteThrowing(key: [UInt8]) throws(TrieProofError) {
        try trie.deleteThrowing(key: Keccak256.hash(key).bytes)
    }

    /// The nodes a stateless verifier needs to read, write and delete any of `keys` (unhashed): see
    /// `MerklePatriciaTrie.witnessNodes(forKeys:)`.
    public func witnessNodes(forKeys keys: [[UInt8]]) -> [[UInt8]] {
        trie.witnessNodes(forKeys: keys.map { Keccak256.hash($0).bytes })
    }

    /// Verifies a proof for `key` (the unhashed key) against `root`.
    /// - Returns: the value, or `nil` when the proof shows the key is absent.
    /// - Throws: `TrieProofError` for a proof that does not verify.
    public static func verifyProof(root: Hash, key: [UInt8], proof: [[UInt8]]) throws(TrieProofError) -> [UInt8]? {
        try MerklePatriciaTrie.verifyProof(root: root, key: Keccak256.hash(key).bytes, proof: proof)
    }
}
