import Primitives

/// A mutable, in-memory hexary Merkle-Patricia trie (Yellow Paper, appendix D) with incremental root hashing.
///
/// Nodes live in one flat arena and refer to each other by index, so the trie is a plain value type (copy-on-write
/// through its arrays) and `Sendable`. Every node caches its reference (hash or inline encoding); an update only
/// invalidates the nodes on its path, and `rootHash` re-encodes and re-hashes just those.
///
/// Keys are arbitrary byte strings and values non-empty byte strings: storing an empty value deletes the key, as
/// in Ethereum, where a key with an empty value is absent.
///
/// A trie built from proofs (`init(root:proofNodes:)`, for stateless execution) is *partial*: subtrees the proofs
/// did not cover are known only by their hash. Use the throwing operations (`getThrowing`, `updateThrowing`,
/// `deleteThrowing`) on it, which report a node the proofs lack instead of returning `nil` or doing nothing.
public struct MerklePatriciaTrie: Sendable {
    /// The node arena; freed slots are recycled through `freeSlots`.
    var nodes: [TrieNode]
    /// Each node's cached reference (hash or inline encoding), by node index; invalid while the node or anything
    /// below it has changed since the last root computation.
    var references: [NodeReference]
    /// Indices of arena slots whose nodes were removed, reused before the arena grows.
    var freeSlots: [Int32]
    /// The root node's index, or `TrieNode.none` for the empty trie.
    var root: Int32
    /// The number of unresolved (hash-only) nodes; 0 for a trie not built from proofs. They are never freed.
    var unresolvedCount: Int

    /// The number of keys stored; for a partial trie, only the keys in its resolved nodes.
    public internal(set) var count: Int

    /// An empty trie, whose root hash is `MerklePatriciaTrie.emptyRootHash`.
    public init() {
        nodes = []
        references = []
        freeSlots = []
        root = TrieNode.none
        unresolvedCount = 0
        count = 0
    }

    /// Whether the trie holds no keys.
    public var isEmpty: Bool { root == TrieNode.none }

    /// Whether the trie holds subtrees known only by their hash (it was built from proofs that did not cover
    /// everything). Reads and writes that reach such a subtree fail.
    public var isPartial: Bool { unresolvedCount != 0 }

    // MARK: - Lookup

    /// The value stored under `key`, or `nil` when the key is absent.
    ///
    /// On a partial trie this is also `nil` when the key's path runs into a node the proofs did not provide;
    /// `getThrowing(key:)` tells the two apart.
    public func get(key: [UInt8]) -> [UInt8]? {
        try? getThrowing(key: key)
    }

    // MARK: - Mutation

    /// Stores `value` under `key`, replacing any previous value; an empty `value` deletes the key.
    ///
    /// On a partial trie an update that needs a node the proofs did not provide leaves the trie unchanged;
    /// `updateThrowing(key:value:)` reports it.
    public mutating func update(key: [UInt8], value: [UInt8]) {
        if value.isEmpty {
            delete(key: key)
            return
        }
        if unresolvedCount != 0 {
            guard (try? checkResolved(key: key, forDeletion: false)) != nil else { return }
        }
        var added = false
        root = insert(into: root, key: KeyNibbles(bytes: key), depth: 0, value: value, added: &added)
        if added { count += 1 }
    }

    /// Removes `key` and its value; does nothing when the key is absent.
    ///
    /// On a partial trie a deletion that needs a node the proofs did not provide leaves the trie unchanged;
    /// `deleteThrowing(key:)` reports it.
    public mutating func delete(key: [UInt8]) {
        if unresolvedCount != 0 {
            guard (try? checkResolved(key: key, forDeletion: true)) != nil else { return }
        }
        var removed = false
        root = remove(from: root, key: KeyNibbles(bytes: key), depth: 0, removed: &removed)
        if removed { count -= 1 }
    }

    /// Inserts into the subtree at `index`, whose path so far matches `key` up to `depth`, and returns the index of
    /// the subtree's new top node (a split replaces a leaf or extension with a branch, possibly under an extension).
    /// Callers on a partial trie first check with `checkResolved` that the path holds no unresolved node.
    private mutating func insert(into index: Int32, key: KeyNibbles, depth: Int, value: [UInt8],
                                 added: inout Bool) -> Int32 {
        if index == TrieNode.none {
            added = true
            return allocate(.leaf(path: key.suffix(from: depth), value: value))
        }
        let i = Int(index)
        switch nodes[i].kind {
        case .unresolved:
            // Excluded by `checkResolved`; should it happen, leave the subtree (and its hash) untouched.
            return index
        case .branch:
            references[i] = .invalid
            if depth == key.count {
                if nodes[i].value.isEmpty { added = true }
                nodes[i].value = value
                return index
            }
            let nibble = Int(key[depth])
            let child = nodes[i].children[nibble]
            let newChild = insert(into: child, key: key, depth: depth + 1, value: value, added: &added)
            nodes[i].children[nibble] = newChild
            return index

        case .leaf:
            references[i] = .invalid
            let pathCount = nodes[i].path.count
            let matched = key.commonPrefixLength(with: nodes[i].path, from: depth)
            let remaining = key.count - depth
            if matched == pathCount && matched == remaining {
                nodes[i].value = value
                return index
            }
            added = true
            // The paths diverge after `matched` nibbles: a branch takes both keys there.
            var branch = TrieNode.branch()
            if matched == pathCount {
                // The existing key ends where the branch starts: its value moves into the branch.
                branch.value = nodes[i].value
                free(index)
            } else {
                let nibble = Int(nodes[i].path[matched])
                nodes[i].path.removeFirst(matched + 1)
                branch.children[nibble] = index
            }
            if matched == remaining {
                branch.value = value
            } else {
                let nibble = Int(key[depth + matched])
                branch.children[nibble] = allocate(.leaf(path: key.suffix(from: depth + matched + 1), value: value))
            }
            let branchIndex = allocate(branch)
            if matched == 0 { return branchIndex }
            return allocate(.extension(path: key.slice(depth, depth + matched), child: branchIndex))

        case .extension:
            references[i] = .invalid
            let pathCount = nodes[i].path.count
            let matched = key.commonPrefixLength(with: nodes[i].path, from: depth)
            if matched == pathCount {
                let child = nodes[i].child
                let newChild = insert(into: child, key: key, depth: depth + matched, value: value, added: &added)
                nodes[i].child = newChild
                return index
            }
            added = true
            // The new key leaves the shared path after `matched` nibbles: split the extension around a branch.
            var branch = TrieNode.branch()
            let nibble = Int(nodes[i].path[matched])
            if matched + 1 == pathCount {
                // Nothing of the path is left below the branch: the branch points at the old child directly.
                branch.children[nibble] = nodes[i].child
                free(index)
            } else {
                nodes[i].path.removeFirst(matched + 1)
                branch.children[nibble] = index
            }
            if depth + matched == key.count {
                branch.value = value
            } else {
                let keyNibble = Int(key[depth + matched])
                branch.children[keyNibble] = allocate(
                    .leaf(path: key.suffix(from: depth + matched + 1), value: value))
            }
            let branchIndex = allocate(branch)
            if matched == 0 { return branchIndex }
            return allocate(.extension(path: key.slice(depth, depth + matched), child: branchIndex))
        }
    }

    /// Removes `key` from the subtree at `index` and returns the subtree's new top node, collapsing nodes so the
    /// trie stays canonical: no branch with fewer than two entries, no extension above anything but a branch.
    /// Leaves the subtree (and its cached hashes) untouched when the key is absent. Callers on a partial trie first
    /// check with `checkResolved` that neither the path nor a collapse needs an unresolved node.
    private mutating func remove(from index: Int32, key: KeyNibbles, depth: Int, removed: inout Bool) -> Int32 {
        if index == TrieNode.none { return index }
        let i = Int(index)
        switch nodes[i].kind {
        case .unresolved:
            // Excluded by `checkResolved`; should it happen, treat the key as absent and change nothing.
            return index
        case .leaf:
            let path = nodes[i].path
            guard key.count - depth == path.count,
                  key.commonPrefixLength(with: path, from: depth) == path.count else { return index }
            removed = true
            free(index)
            return TrieNode.none

        case .extension:
            let pathCount = nodes[i].path.count
            guard key.commonPrefixLength(with: nodes[i].path, from: depth) == pathCount else { return index }
            let child = nodes[i].child
            let newChild = remove(from: child, key: key, depth: depth + pathCount, removed: &removed)
            guard removed else { return index }
            references[i] = .invalid
            if newChild == TrieNode.none {
                // Unreachable for a canonical trie (the child branch held two entries), but stay consistent.
                free(index)
                return TrieNode.none
            }
            let c = Int(newChild)
            if nodes[c].kind == .branch {
                nodes[i].child = newChild
                return index
            }
            // The branch below collapsed into a leaf or extension: absorb this extension's path into it.
            nodes[c].path = nodes[i].path + nodes[c].path
            references[c] = .invalid
            free(index)
            return newChild

        case .branch:
            if depth == key.count {
                guard !nodes[i].value.isEmpty else { return index }
                removed = true
                nodes[i].value = []
            } else {
                let nibble = Int(key[depth])
                let child = nodes[i].children[nibble]
                let newChild = remove(from: child, key: key, depth: depth + 1, removed: &removed)
                guard removed else { return index }
                nodes[i].children[nibble] = newChild
            }
            references[i] = .invalid
            return collapseIfSparse(branch: index)
        }
    }

    /// Replaces a branch left with a single entry by the equivalent leaf or extension.
    private mutating func collapseIfSparse(branch index: Int32) -> Int32 {
        let i = Int(index)
        var entries = nodes[i].value.isEmpty ? 0 : 1
        var onlyNibble = -1
        for nibble in 0..<16 where nodes[i].children[nibble] != TrieNode.none {
            entries += 1
            onlyNibble = nibble
            if entries > 1 { return index }
        }
        if onlyNibble < 0 {
            // Only the value is left: it becomes a leaf with an empty remaining path.
            let value = nodes[i].value
            nodes[i] = .leaf(path: [], value: value)
            return index
        }
        let child = nodes[i].children[onlyNibble]
        let c = Int(child)
        switch nodes[c].kind {
        case .unresolved:
            // The merged node would need the child's kind and path. `checkResolved` rejects such deletions first
            // (`TrieProofError.missingSibling`); should one get here, keep the one-child branch rather than guess.
            return index
        case .leaf, .extension:
            // Fold the branch's nibble into the child's path.
            nodes[c].path.insert(UInt8(onlyNibble), at: 0)
            references[c] = .invalid
            free(index)
            return child
        case .branch:
            nodes[i] = .extension(path: [UInt8(onlyNibble)], child: child)
            return index
        }
    }

    // MARK: - Arena

    /// Stores `node` in a free slot or at the end of the arena and returns its index.
    private mutating func allocate(_ node: TrieNode) -> Int32 {
        if let slot = freeSlots.popLast() {
            nodes[Int(slot)] = node
            references[Int(slot)] = .invalid
            return slot
        }
        nodes.append(node)
        references.append(.invalid)
        return Int32(nodes.count - 1)
    }

    /// Releases a slot; its arrays are dropped now so removed values do not linger in memory.
    private mutating func free(_ index: Int32) {
        nodes[Int(index)] = .branch()
        references[Int(index)] = .invalid
        freeSlots.append(index)
    }
}
