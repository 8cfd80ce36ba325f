import Primitives

/// A Merkle proof that does not verify against the claimed root, or a partial trie (built from a stateless
/// witness) that lacks a node an operation needs; with the reason and where it happened.
public struct TrieProofError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category of the failure.
    public struct Code: Hashable, Sendable {
        let raw: UInt8
        /// A proof element's hash is not the hash its parent (or the root) commits to.
        public static let hashMismatch = Code(raw: 0)
        /// The path continues through a hashed node, but the proof has no more elements; for a partial trie, the
        /// key's path runs into a node the witness did not provide.
        public static let missingNode = Code(raw: 1)
        /// A proof element is not valid RLP, or not a well-formed leaf, extension or branch.
        public static let malformedNode = Code(raw: 2)
        /// The key was resolved before the last proof element: the remaining elements prove nothing.
        public static let unusedNodes = Code(raw: 3)
        /// Deleting a key from a partial trie leaves a branch with one child, which must be merged into the
        /// branch's place, but the witness did not provide that child (its kind and path are unknown).
        public static let missingSibling = Code(raw: 4)
    }

    /// The category of the failure.
    public let code: Code
    /// Index of the proof element where verification failed (for a partial trie: of the node in `proofNodes`
    /// that is malformed; 0 for a missing node, which has no index).
    public let proofIndex: Int
    /// What was wrong.
    public let message: String
    /// For a node a partial trie lacks (`missingNode`, `missingSibling`): the node's position as nibbles from the
    /// root. `nil` for errors in a proof.
    public let nodePath: [UInt8]?

    init(code: Code, proofIndex: Int, message: String, nodePath: [UInt8]? = nil) {
        self.code = code
        self.proofIndex = proofIndex
        self.message = message
        self.nodePath = nodePath
    }

    /// The message with its context, e.g. "invalid trie proof at element 2: node hashes to …" or "incomplete
    /// witness: the witness lacks node 0x… at path 0x1a2, needed for key 0x…".
    public var description: String {
        nodePath == nil ? "invalid trie proof at element \(proofIndex): \(message)" : "incomplete witness: \(message)"
    }
}

extension MerklePatriciaTrie {
    /// A Merkle proof for `key`, in the `eth_getProof` form: the RLP encodings of the nodes on the key's path,
    /// from the root down. The root is always included; nodes shorter than 32 bytes are not, since their parent
    /// embeds them. The proof shows either the value or, ending where the path leaves the trie, its absence.
    ///
    /// Dirty nodes are encoded on the fly, so reading `rootHash` first makes this cheaper after many updates.
    /// On a partial trie the proof stops before the first unresolved node (and then does not verify).
    public func proof(key: [UInt8]) -> [[UInt8]] {
        var proof: [[UInt8]] = []
        let nibbles = KeyNibbles(bytes: key)
        var index = root
        var depth = 0
        while index != TrieNode.none {
            let i = Int(index)
            if nodes[i].kind == .unresolved { return proof }
            let encoded = encoding(of: index)
            if index == root || encoded.count >= 32 { proof.append(encoded) }
            switch nodes[i].kind {
            case .leaf, .unresolved:
                return proof
            case .extension:
                let path = nodes[i].path
                guard nibbles.commonPrefixLength(with: path, from: depth) == path.count else { return proof }
                depth += path.count
                index = nodes[i].child
            case .branch:
                guard depth < nibbles.count else { return proof }
                index = nodes[i].children[Int(nibbles[depth])]
                depth += 1
            }
        }
        return proof
    }

    /// Verifies a proof produced by `proof(key:)` (or `eth_getProof`) against `root`.
    ///
    /// - Returns: the value stored under `key`, or `nil` when the proof shows the key is absent.
    /// - Throws: `TrieProofError` when an element does not hash to what its parent commits to, is malformed, is
    ///   missing, or is left over after the key was resolved.
    public static func verifyProof(root: Hash, key: [UInt8], proof: [[UInt8]]) throws(TrieProofError) -> [UInt8]? {
        guard let first = proof.first else {
            if root == emptyRootHash { return nil }
            throw TrieProofError(code: .missingNode, proofIndex: 0,
                                 message: "empty proof for the non-empty root \(root)")
        }
        guard Keccak256.hash(first) == root else {
            throw TrieProofError(code: .hashMismatch, proofIndex: 0,
                                 message: "root node hashes to \(Keccak256.hash(first)), expected \(root)")
        }
        let nibbles = Nibbles.of(key)
        var depth = 0
        var proofIndex = 0
        var node = try decodeNode(first, proofIndex: 0)
        let value: [UInt8]?

        walk: while true {
            // The reference to follow next, if the key continues below this node.
            let next: RLPItem
            switch node {
            case .bytes(let bytes):
                // Only the empty trie's root is an empty string (keccak(0x80) is the empty root).
                guard bytes.isEmpty else {
                    throw malformed(proofIndex, "node is a \(bytes.count)-byte string, not a list")
                }
                value = nil
                break walk
            case .list(let items) where items.count == 17:
                if depth == nibbles.count {
                    guard case .bytes(let stored) = items[16] else {
                        throw malformed(proofIndex, "branch value is a list")
                    }
                    value = stored.isEmpty ? nil : stored
                    break walk
                }
                next = items[Int(nibbles[depth])]
                depth += 1
            case .list(let items) where items.count == 2:
                guard case .bytes(let encodedPath) = items[0],
                      let (path, isLeaf) = Nibbles.decodeHexPrefix(encodedPath) else {
                    throw malformed(proofIndex, "leaf or extension has an invalid hex-prefix path")
                }
                let matches = nibbles.count - depth >= path.count && Array(nibbles[depth..<(depth + path.count)]) == path
                if isLeaf {
                    guard case .bytes(let stored) = items[1], !stored.isEmpty else {
                        throw malformed(proofIndex, "leaf value is empty or a list")
                    }
                    value = matches && depth + path.count == nibbles.count ? stored : nil
                    break walk
                }
                guard !path.isEmpty else { throw malformed(proofIndex, "extension with an empty path") }
                guard matches else {
                    value = nil
                    break walk
                }
                depth += path.count
                next = items[1]
                if case .bytes(let bytes) = next, bytes.isEmpty {
                    throw malformed(proofIndex, "extension without a child")
                }
            case .list(let items):
                throw malformed(proofIndex, "node is a list of \(items.count) items, expected 2 or 17")
            }

            switch next {
            case .bytes(let reference) where reference.isEmpty:
                // An empty branch slot: the key is absent.
                value = nil
                break walk
            case .bytes(let reference) where reference.count == 32:
                proofIndex += 1
                guard proofIndex < proof.count else {
                    throw TrieProofError(code: .missingNode, proofIndex: proofIndex,
                                         message: "path continues to node \(Hex.encode(reference)) but the proof ends")
                }
                let element = proof[proofIndex]
                let hash = Keccak256.hash(element)
                guard hash.bytes == reference else {
                    throw TrieProofError(code: .hashMismatch, proofIndex: proofIndex,
                                         message: "node hashes to \(hash), parent expects \(Hex.encode(reference))")
                }
                node = try decodeNode(element, proofIndex: proofIndex)
            case .bytes(let reference):
                throw malformed(proofIndex, "child reference of \(reference.count) bytes, expected 0 or 32")
            case .list:
                // An embedded node: its encoding must be shorter than 32 bytes, or it would have been hashed.
                guard next.encoded.count < 32 else {
                    throw malformed(proofIndex, "embedded node of \(next.encoded.count) bytes (must be under 32)")
                }
                node = next
            }
        }

        guard proofIndex == proof.count - 1 else {
            throw TrieProofError(code: .unusedNodes, proofIndex: proofIndex + 1,
                                 message: "\(proof.count - proofIndex - 1) proof elements after the key was resolved")
        }
        return value
    }

    private static func decodeNode(_ bytes: [UInt8], proofIndex: Int) throws(TrieProofError) -> RLPItem {
        do {
            return try RLPItem.decode(bytes)
        } catch {
            throw malformed(proofIndex, error.description)
        }
    }

    private static func malformed(_ proofIndex: Int, _ message: String) -> TrieProofError {
        TrieProofError(code: .malformedNode, proofIndex: proofIndex, message: message)
    }
}
