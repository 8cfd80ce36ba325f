import Primitives

extension MerklePatriciaTrie {
    /// The nodes a stateless verifier needs to read, write and delete any of `keys`, in any order and combination,
    /// on a partial trie built with `init(root:proofNodes:)` from this trie's root hash: the union of the keys'
    /// proofs plus the few siblings a deletion can collapse into.
    ///
    /// Why those siblings suffice: a deletion can leave a branch with one child, which then replaces the branch,
    /// so the verifier must know that child (its kind and path). A child on some key's path is in that key's proof.
    /// An untouched child never disappears, so a branch with two or more untouched children never collapses; only
    /// when a branch on the paths has exactly one untouched child can that child be the one left, and it is added.
    /// An insertion that splits an extension just above its child puts that child under a new branch, which a
    /// later deletion can collapse into it, so an extension's untouched child is added too. Nodes created or
    /// rewritten during the block are known to the verifier anyway; every other node keeps its place, so these
    /// are all the original nodes a collapse can reach. The cost is at most one node per branch or extension on
    /// the paths, and in a state trie usually far less (most branches there have many untouched children).
    ///
    /// Nodes shorter than 32 bytes are embedded in their parent and not listed separately (the root always is).
    /// Dirty nodes are encoded on the fly: read `rootHash` first after updates. Unresolved nodes of a partial
    /// trie are skipped.
    ///
    /// - Parameter keys: the keys the block reads or writes (duplicates allowed).
    /// - Returns: distinct RLP-encoded nodes, root first.
    public func witnessNodes(forKeys keys: [[UInt8]]) -> [[UInt8]] {
        guard root != TrieNode.none else { return [] }
        var onPaths = Set<Int32>()
        var order: [Int32] = []
        for key in keys {
            let nibbles = KeyNibbles(bytes: key)
            var index = root
            var depth = 0
            walk: while index != TrieNode.none {
                if onPaths.insert(index).inserted { order.append(index) }
                let i = Int(index)
                switch nodes[i].kind {
                case .leaf, .unresolved:
                    break walk
                case .extension:
                    let path = nodes[i].path
                    guard nibbles.commonPrefixLength(with: path, from: depth) == path.count else { break walk }
                    depth += path.count
                    index = nodes[i].child
                case .branch:
                    guard depth < nibbles.count else { break walk }
                    index = nodes[i].children[Int(nibbles[depth])]
                    depth += 1
                }
            }
        }

        var siblings: [Int32] = []
        for index in order {
            let i = Int(index)
            switch nodes[i].kind {
            case .branch:
                var untouchedCount = 0
                var untouched = TrieNode.none
                for nibble in 0..<16 {
                    let child = nodes[i].children[nibble]
                    if child != TrieNode.none && !onPaths.contains(child) {
                        untouchedCount += 1
                        untouched = child
                    }
                }
                if untouchedCount == 1 { siblings.append(untouched) }
            case .extension:
                if !onPaths.contains(nodes[i].child) { siblings.append(nodes[i].child) }
            case .leaf, .unresolved:
                break
            }
        }

        var result: [[UInt8]] = []
        result.reserveCapacity(order.count + siblings.count)
        var added = Set<Int32>()
        for index in order + siblings where nodes[Int(index)].kind != .unresolved && added.insert(index).inserted {
            let encoded = encoding(of: index)
            if index == root || encoded.count >= 32 { result.append(encoded) }
        }
        return result
    }
}
