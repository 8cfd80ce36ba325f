import Primitives

// Stateless (partial) tries: a verifier re-executes a block from an execution witness that holds, for every account
// and storage slot the block touches, the trie nodes on its path in the parent state. From the parent root and
// those nodes it rebuilds the part of the trie the block needs, applies the block's writes and hashes the result,
// which must equal the full trie's post-state root. Subtrees the witness leaves out stay `unresolved` nodes, known
// only by the hash their parent commits to; their hash is all the root computation needs from them.
//
// Deletion needs more than the deleted key's proof. When a branch is left with a single child, that child takes
// the branch's place: a leaf or extension child absorbs the branch's nibble into its path, a branch child goes
// under a new one-nibble extension. Either way the verifier must know the child's kind and path, so a witness
// must include the remaining sibling of a deleted key whenever the deletion leaves its branch with one child
// (`witnessNodes(forKeys:)` does). Without it the deletion throws `TrieProofError.Code.missingSibling`.

extension MerklePatriciaTrie {
    /// Builds a partial trie from the root hash and a set of RLP-encoded nodes, e.g. the union of the
    /// `eth_getProof` proofs (or of a witness's nodes) for the keys a block touches.
    ///
    /// Nodes are found by their Keccak-256 hash, starting from `root`; references shorter than 32 bytes are
    /// embedded in their parent. A referenced node that is not among `proofNodes` stays unresolved (known by its
    /// hash only). Nodes not reachable from the root are ignored. The empty-trie root gives an empty trie.
    ///
    /// - Parameters:
    ///   - root: the trie's root hash, e.g. the parent block's state root.
    ///   - proofNodes: RLP-encoded nodes, in any order, duplicates allowed.
    /// - Throws: `TrieProofError` with code `malformedNode` (and `proofIndex` the element's index) when a reachable
    ///   node is not a canonical leaf, extension or branch.
    public init(root: Hash, proofNodes: [[UInt8]]) throws(TrieProofError) {
        self.init()
        guard root != Self.emptyRootHash else { return }
        var builder = PartialTrieBuilder(proofNodes: proofNodes)
        self.root = builder.node(referencedBy: root, mustBeBranch: false, into: &self)
        while let next = builder.pending.popLast() {
            try builder.decode(next, into: &self)
        }
    }

    /// A partial trie built from `root` and the nodes of one or more proofs: the same as
    /// `init(root:proofNodes:)`.
    /// - Throws: `TrieProofError` (`malformedNode`) when a reachable node is malformed.
    public static func fromProofs(root: Hash, proofNodes: [[UInt8]]) throws(TrieProofError) -> MerklePatriciaTrie {
        try MerklePatriciaTrie(root: root, proofNodes: proofNodes)
    }

    /// Fills in unresolved nodes from more proof nodes (e.g. a later `eth_getProof` answer for the same root):
    /// every hash-only node whose hash is among `proofNodes` is decoded in place, together with whatever of its
    /// subtree the nodes cover. Nodes that match nothing are ignored, so the root never changes.
    ///
    /// - Returns: how many unresolved nodes were filled in.
    /// - Throws: `TrieProofError` (`malformedNode`) when a matching node is malformed; the nodes decoded before it
    ///   stay, which is harmless since each hashes to what its parent commits to.
    @discardableResult
    public mutating func resolve(proofNodes: [[UInt8]]) throws(TrieProofError) -> Int {
        guard unresolvedCount != 0, !proofNodes.isEmpty else { return 0 }
        var builder = PartialTrieBuilder(proofNodes: proofNodes)
        var filled = 0
        for slot in nodes.indices where nodes[slot].kind == .unresolved {
            let hash = nodes[slot].unresolvedHash
            guard let entry = builder.byHash[hash] else { continue }
            builder.byHash[hash] = (entry.proofIndex, entry.expansions + 1)
            nodes[slot] = .branch()
            unresolvedCount -= 1
            filled += 1
            builder.pending.append(.init(slot: Int32(slot), encoding: proofNodes[entry.proofIndex],
                                         proofIndex: entry.proofIndex, mustBeBranch: false))
        }
        while let next = builder.pending.popLast() {
            try builder.decode(next, into: &self)
        }
        return filled
    }

    /// The value stored under `key`, or `nil` when the trie shows that the key is absent.
    /// - Throws: `TrieProofError` with code `missingNode` when the key's path runs into a node a partial trie does
    ///   not have (never for a trie that was not built from proofs).
    public func getThrowing(key: [UInt8]) throws(TrieProofError) -> [UInt8]? {
        let nibbles = KeyNibbles(bytes: key)
        var index = root
        var depth = 0
        while index != TrieNode.none {
            let i = Int(index)
            switch nodes[i].kind {
            case .leaf:
                let path = nodes[i].path
                guard nibbles.count - depth == path.count,
                      nibbles.commonPrefixLength(with: path, from: depth) == path.count else { return nil }
                return nodes[i].value
            case .extension:
                let path = nodes[i].path
                guard nibbles.commonPrefixLength(with: path, from: depth) == path.count else { return nil }
                depth += path.count
                index = nodes[i].child
            case .branch:
                if depth == nibbles.count {
                    return nodes[i].value.isEmpty ? nil : nodes[i].value
                }
                index = nodes[i].children[Int(nibbles[depth])]
                depth += 1
            case .unresolved:
                throw missingNode(index, key: key, depth: depth)
            }
        }
        return nil
    }

    /// Stores `value` under `key` (an empty `value` deletes it), or throws and leaves the trie unchanged when a
    /// partial trie lacks a node the update needs.
    /// - Throws: `TrieProofError` with code `missingNode` when the key's path runs into an unresolved node, or (for
    ///   an empty `value`) `missingSibling` as `deleteThrowing(key:)` does.
    public mutating func updateThrowing(key: [UInt8], value: [UInt8]) throws(TrieProofError) {
        if unresolvedCount != 0 { try checkResolved(key: key, forDeletion: value.isEmpty) }
        update(key: key, value: value)
    }

    /// Removes `key` (nothing happens when it is absent), or throws and leaves the trie unchanged when a partial
    /// trie lacks a node the deletion needs.
    /// - Throws: `TrieProofError` with code `missingNode` when the key's path runs into an unresolved node, or
    ///   `missingSibling` when removing the key leaves a branch with one child and that child is unresolved: the
    ///   branch must be replaced by a node built from the child's kind and path, which the trie does not know.
    ///   Witness producers must include such siblings (`witnessNodes(forKeys:)` does).
    public mutating func deleteThrowing(key: [UInt8]) throws(TrieProofError) {
        if unresolvedCount != 0 { try checkResolved(key: key, forDeletion: true) }
        delete(key: key)
    }

    /// Throws unless writing (or, with `forDeletion`, deleting) `key` can be done without reading an unresolved
    /// node: the key's path must be resolved and, for a deletion that leaves a branch with one child, that child too.
    ///
    /// The mutations assume a canonical trie, which the decoder enforces and the mutations keep: a leaf hangs
    /// directly under a branch (or is the root), so removing it takes one entry from the last branch on the path,
    /// and only that branch can collapse (above it an extension absorbs the result, a branch keeps its entries).
    func checkResolved(key: [UInt8], forDeletion: Bool) throws(TrieProofError) {
        let nibbles = KeyNibbles(bytes: key)
        var index = root
        var depth = 0
        var lastBranch = TrieNode.none
        var lastBranchDepth = 0
        while index != TrieNode.none {
            let i = Int(index)
            switch nodes[i].kind {
            case .unresolved:
                throw missingNode(index, key: key, depth: depth)
            case .leaf:
                let path = nodes[i].path
                guard forDeletion, nibbles.count - depth == path.count,
                      nibbles.commonPrefixLength(with: path, from: depth) == path.count else { return }
                guard lastBranch != TrieNode.none else { return }
                try checkCollapse(of: lastBranch, depth: lastBranchDepth, losing: Int(nibbles[lastBranchDepth]),
                                  key: key)
                return
            case .extension:
                let path = nodes[i].path
                guard nibbles.commonPrefixLength(with: path, from: depth) == path.count else { return }
                depth += path.count
                index = nodes[i].child
            case .branch:
                if depth == nibbles.count {
                    guard forDeletion, !nodes[i].value.isEmpty else { return }
                    try checkCollapse(of: index, depth: depth, losing: nil, key: key)
                    return
                }
                lastBranch = index
                lastBranchDepth = depth
                index = nodes[i].children[Int(nibbles[depth])]
                depth += 1
            }
        }
    }

    /// Throws when the branch at `index` (at `depth` nibbles), after losing the child under `nibble` (or its value
    /// when `nibble` is nil), is left with a single entry that is an unresolved child.
    private func checkCollapse(of index: Int32, depth: Int, losing nibble: Int?, key: [UInt8]) throws(TrieProofError) {
        let i = Int(index)
        var entries = nibble != nil && !nodes[i].value.isEmpty ? 1 : 0
        var remaining = -1
        for slot in 0..<16 where slot != nibble && nodes[i].children[slot] != TrieNode.none {
            entries += 1
            remaining = slot
        }
        guard entries == 1, remaining >= 0 else { return }
        let sibling = nodes[i].children[remaining]
        guard nodes[Int(sibling)].kind == .unresolved else { return }
        let branchPath = KeyNibbles(bytes: key).slice(0, depth)
        let siblingPath = branchPath + [UInt8(remaining)]
        throw TrieProofError(
            code: .missingSibling, proofIndex: 0,
            message: "deleting key \(Hex.encode(key)) leaves the branch at path \(Self.describe(path: branchPath)) "
                + "with one child, but the witness lacks that child, node \(nodes[Int(sibling)].unresolvedHash) at "
                + "path \(Self.describe(path: siblingPath)); a witness must include the remaining sibling of a "
                + "deleted key",
            nodePath: siblingPath)
    }

    /// The error for an unresolved node at `index`, reached after `depth` nibbles of `key`.
    private func missingNode(_ index: Int32, key: [UInt8], depth: Int) -> TrieProofError {
        let path = KeyNibbles(bytes: key).slice(0, min(depth, key.count * 2))
        return TrieProofError(
            code: .missingNode, proofIndex: 0,
            message: "the witness lacks node \(nodes[Int(index)].unresolvedHash) at path \(Self.describe(path: path)), "
                + "needed for key \(Hex.encode(key))",
            nodePath: path)
    }

    /// A nibble path as hex digits, one per nibble: "0x1a2" (the root is "0x").
    static func describe(path: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789abcdef")
        return "0x" + String(path.map { digits[Int($0 & 0x0f)] })
    }
}

/// Decodes the nodes of a partial trie into the arena from a work list rather than by recursion, so a crafted
/// witness cannot exhaust the stack however deep it nests.
private struct PartialTrieBuilder {
    /// A node allocated in the arena and waiting to be decoded from its encoding.
    struct PendingNode {
        /// The node's arena slot.
        var slot: Int32
        /// The node's complete RLP encoding.
        var encoding: [UInt8]
        /// Index in `proofNodes` of the node (or of the node that embeds it), for error messages.
        var proofIndex: Int
        /// Whether the node is an extension's child, which in a canonical trie is always a branch.
        var mustBeBranch: Bool
    }

    /// A child reference as a node stores it.
    enum ChildReference {
        case empty
        case hash(Hash)
        case embedded([UInt8])
    }

    /// An item of a node's RLP list: a byte string's payload, or an embedded list's complete encoding.
    enum Item {
        case bytes(ArraySlice<UInt8>)
        case list(ArraySlice<UInt8>)
    }

    /// How many times one provided node may be expanded. Identical subtrees are legitimate but rare (a leaf's
    /// encoding holds its remaining key); without a cap, a few nodes that each reference the same node 16 times
    /// would expand exponentially. Beyond the cap a reference stays unresolved, which is always correct.
    static let maximumExpansionsPerNode = 8

    /// The provided nodes by hash: index in `proofNodes` and how many times the node has been expanded.
    var byHash: [Hash: (proofIndex: Int, expansions: Int)]
    let proofNodes: [[UInt8]]
    /// Allocated nodes still to decode.
    var pending: [PendingNode] = []

    init(proofNodes: [[UInt8]]) {
        self.proofNodes = proofNodes
        byHash = Dictionary(minimumCapacity: proofNodes.count)
        // Hashed several at a time where the CPU has vector lanes for it (most nodes are branches of one size).
        for (index, hash) in Keccak256.hashes(of: proofNodes).enumerated() where byHash[hash] == nil {
            byHash[hash] = (index, 0)
        }
    }

    /// Allocates the node a 32-byte reference points to: pending decoding when provided, else unresolved.
    mutating func node(referencedBy hash: Hash, mustBeBranch: Bool, into trie: inout MerklePatriciaTrie) -> Int32 {
        if let entry = byHash[hash], entry.expansions < Self.maximumExpansionsPerNode {
            byHash[hash] = (entry.proofIndex, entry.expansions + 1)
            let encoding = proofNodes[entry.proofIndex]
            // The root's reference may be an embedded encoding (under 32 bytes); the root hash hashes it anyway.
            let reference = encoding.withUnsafeBytes { NodeReference(encoding: $0) }
            let slot = append(.branch(), reference: reference, to: &trie)
            pending.append(PendingNode(slot: slot, encoding: encoding, proofIndex: entry.proofIndex,
                                       mustBeBranch: mustBeBranch))
            return slot
        }
        trie.unresolvedCount += 1
        return append(.unresolved(hash: hash), reference: NodeReference(storage: hash, count: 32), to: &trie)
    }

    /// Allocates the node a child reference points to.
    mutating func node(for reference: ChildReference, proofIndex: Int, mustBeBranch: Bool,
                       into trie: inout MerklePatriciaTrie) -> Int32 {
        switch reference {
        case .empty:
            return TrieNode.none
        case .hash(let hash):
            return node(referencedBy: hash, mustBeBranch: mustBeBranch, into: &trie)
        case .embedded(let encoding):
            let reference = encoding.withUnsafeBytes { NodeReference(encoding: $0) }
            let slot = append(.branch(), reference: reference, to: &trie)
            pending.append(PendingNode(slot: slot, encoding: encoding, proofIndex: proofIndex,
                                       mustBeBranch: mustBeBranch))
            return slot
        }
    }

    /// Appends a node with a known (valid) reference to the arena.
    private func append(_ node: TrieNode, reference: NodeReference, to trie: inout MerklePatriciaTrie) -> Int32 {
        trie.nodes.append(node)
        trie.references.append(reference)
        return Int32(trie.nodes.count - 1)
    }

    /// Decodes a pending node into its slot and allocates its children.
    mutating func decode(_ pending: PendingNode, into trie: inout MerklePatriciaTrie) throws(TrieProofError) {
        let proofIndex = pending.proofIndex
        let items = try Self.items(of: pending.encoding, proofIndex: proofIndex)
        let slot = Int(pending.slot)
        // The mutations rely on an extension always leading to a branch.
        if pending.mustBeBranch && items.count != 17 {
            throw Self.malformed(proofIndex, "extension leads to a node of \(items.count) items, not a branch")
        }
        switch items.count {
        case 17:
            var branch = TrieNode.branch()
            var entries = 0
            for nibble in 0..<16 {
                let reference = try Self.childReference(items[nibble], proofIndex: proofIndex, allowEmpty: true)
                let child = node(for: reference, proofIndex: proofIndex, mustBeBranch: false, into: &trie)
                if child != TrieNode.none { entries += 1 }
                branch.children[nibble] = child
            }
            guard case .bytes(let value) = items[16] else {
                throw Self.malformed(proofIndex, "branch value is a list")
            }
            branch.value = Array(value)
            if !value.isEmpty {
                entries += 1
                trie.count += 1
            }
            // A canonical trie has no branch with fewer than two entries (it would be a leaf or an extension).
            guard entries >= 2 else {
                throw Self.malformed(proofIndex, "branch with \(entries) entries (a canonical branch has at least 2)")
            }
            trie.nodes[slot] = branch

        case 2:
            guard case .bytes(let encodedPath) = items[0],
                  let (path, isLeaf) = Nibbles.decodeHexPrefix(Array(encodedPath)) else {
                throw Self.malformed(proofIndex, "leaf or extension has an invalid hex-prefix path")
            }
            if isLeaf {
                guard case .bytes(let value) = items[1], !value.isEmpty else {
                    throw Self.malformed(proofIndex, "leaf value is empty or a list")
                }
                trie.nodes[slot] = .leaf(path: path, value: Array(value))
                trie.count += 1
            } else {
                guard !path.isEmpty else { throw Self.malformed(proofIndex, "extension with an empty path") }
                let reference = try Self.childReference(items[1], proofIndex: proofIndex, allowEmpty: false)
                let child = node(for: reference, proofIndex: proofIndex, mustBeBranch: true, into: &trie)
                trie.nodes[slot] = .extension(path: path, child: child)
            }

        default:
            throw Self.malformed(proofIndex, "node is a list of \(items.count) items, expected 2 or 17")
        }
    }

    /// The items of a node's RLP list.
    static func items(of encoding: [UInt8], proofIndex: Int) throws(TrieProofError) -> [Item] {
        var items: [Item] = []
        items.reserveCapacity(17)
        do {
            var reader = RLPReader(encoding)
            var list = try reader.readList()
            try reader.finish()
            // Stop after 18 items: enough to reject the node without reading a huge list.
            while list.hasMore && items.count <= 17 {
                if try list.peekHeader().isList {
                    items.append(.list(try list.readEncoded()))
                } else {
                    items.append(.bytes(try list.readBytes()))
                }
            }
        } catch {
            throw malformed(proofIndex, "invalid RLP: \(error)")
        }
        return items
    }

    /// A child reference: empty, a 32-byte hash, or an embedded node shorter than 32 bytes.
    static func childReference(_ item: Item, proofIndex: Int, allowEmpty: Bool) throws(TrieProofError) -> ChildReference {
        switch item {
        case .bytes(let bytes) where bytes.isEmpty:
            guard allowEmpty else { throw malformed(proofIndex, "extension without a child") }
            return .empty
        case .bytes(let bytes):
            guard let hash = Hash(bytes: bytes) else {
                throw malformed(proofIndex, "child reference of \(bytes.count) bytes, expected 0 or 32")
            }
            return .hash(hash)
        case .list(let encoding):
            // An embedded node must be shorter than 32 bytes, or its parent would have stored its hash.
            guard encoding.count < 32 else {
                throw malformed(proofIndex, "embedded node of \(encoding.count) bytes (must be under 32)")
            }
            return .embedded(Array(encoding))
        }
    }

    static func malformed(_ proofIndex: Int, _ message: String) -> TrieProofError {
        TrieProofError(code: .malformedNode, proofIndex: proofIndex, message: message)
    }
}
