import Primitives

extension MerklePatriciaTrie {
    /// The root hash of the empty trie: keccak256(rlp("")) =
    /// 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421.
    public static let emptyRootHash: Hash = Keccak256.hash([0x80])

    /// The root hash, re-hashing only the nodes changed since the last call (the result is cached in the nodes,
    /// which is why reading it is mutating).
    public var rootHash: Hash {
        mutating get {
            guard root != TrieNode.none else { return Self.emptyRootHash }
            var scratch: [UInt8] = []
            scratch.reserveCapacity(1024)
            return updateReference(of: root, scratch: &scratch).rootHash
        }
    }

    /// The root hash computed without touching the cache: cheap when `rootHash` was read since the last update,
    /// otherwise it re-hashes the dirty nodes every time it is called.
    public func computeRootHash() -> Hash {
        guard root != TrieNode.none else { return Self.emptyRootHash }
        return reference(of: root).rootHash
    }

    /// Computes and caches the references of the dirty nodes under `index`, children before parents.
    ///
    /// `scratch` is one buffer reused for every encoding: a node is encoded only after all its children are done.
    mutating func updateReference(of index: Int32, scratch: inout [UInt8]) -> NodeReference {
        let i = Int(index)
        let cached = references[i]
        if cached.isValid { return cached }
        switch nodes[i].kind {
        case .unresolved:
            // Its reference is set at creation and never invalidated; restore it from the stored hash regardless.
            let reference = NodeReference(storage: nodes[i].unresolvedHash, count: 32)
            references[i] = reference
            return reference
        case .leaf:
            break
        case .extension:
            let child = nodes[i].child
            if !references[Int(child)].isValid { _ = updateReference(of: child, scratch: &scratch) }
        case .branch:
            // Gather first, recurse second: the 16 reference loads are independent, so their cache misses overlap
            // instead of each waiting behind the previous child's recursion (this loop dominated large tries).
            var dirtyChildren: UInt32 = 0
            for nibble in 0..<16 {
                let child = nodes[i].children[nibble]
                if child != TrieNode.none {
                    dirtyChildren |= (references[Int(child)].isValid ? 0 : 1) << UInt32(nibble)
                }
            }
            // Touch the dirty children's nodes together too, so those misses overlap as well (measured 2-3 ms of ~28 on
            // a 100k-account trie after 10k updates). The check only gives the loads a use the optimiser keeps.
            var pending = dirtyChildren
            var kinds: UInt8 = 0
            while pending != 0 {
                kinds |= nodes[Int(nodes[i].children[pending.trailingZeroBitCount])].kind.rawValue
                pending &= pending &- 1
            }
            precondition(kinds < 4, "node kind raw values are 0 to 3, so their OR is below 4")
            while dirtyChildren != 0 {
                let nibble = dirtyChildren.trailingZeroBitCount
                _ = updateReference(of: nodes[i].children[nibble], scratch: &scratch)
                dirtyChildren &= dirtyChildren &- 1
            }
        }
        encode(node: index, into: &scratch) { references[Int($0)] }
        let reference = scratch.withUnsafeBytes { NodeReference(encoding: $0) }
        references[i] = reference
        return reference
    }

    /// The reference of the node at `index`, from the cache when valid, else computed (and not stored).
    func reference(of index: Int32) -> NodeReference {
        let cached = references[Int(index)]
        if cached.isValid { return cached }
        if nodes[Int(index)].kind == .unresolved {
            return NodeReference(storage: nodes[Int(index)].unresolvedHash, count: 32)
        }
        var scratch: [UInt8] = []
        encode(node: index, into: &scratch) { reference(of: $0) }
        return scratch.withUnsafeBytes { NodeReference(encoding: $0) }
    }

    /// The complete RLP encoding of the node at `index`, as it appears in proofs (empty for an unresolved node,
    /// whose encoding the trie does not know).
    func encoding(of index: Int32) -> [UInt8] {
        var output: [UInt8] = []
        encode(node: index, into: &output) { reference(of: $0) }
        return output
    }

    /// Writes the RLP encoding of the node at `index` into `output` (replacing its contents).
    ///
    /// Child references come from `childReference`, each fetched once before anything is written, so the provider
    /// may itself encode (the uncached path) without touching `output`.
    func encode(node index: Int32, into output: inout [UInt8], childReference: (Int32) -> NodeReference) {
        output.removeAll(keepingCapacity: true)
        let i = Int(index)
        switch nodes[i].kind {
        case .unresolved:
            // Only the hash is known. Callers take an unresolved node's reference from the cache (always valid)
            // and never ask for its encoding; leave the output empty.
            break
        case .leaf:
            let pathLength = Nibbles.hexPrefixLength(nibbleCount: nodes[i].path.count)
            let pathItem = Self.hexPrefixItemLength(pathLength)
            TrieRLP.appendHeader(offset: 0xc0, length: pathItem + TrieRLP.stringLength(nodes[i].value), to: &output)
            if pathLength > 1 { TrieRLP.appendHeader(offset: 0x80, length: pathLength, to: &output) }
            Nibbles.appendHexPrefix(nodes[i].path, isLeaf: true, to: &output)
            TrieRLP.appendString(nodes[i].value, to: &output)

        case .extension:
            let child = childReference(nodes[i].child)
            let pathLength = Nibbles.hexPrefixLength(nibbleCount: nodes[i].path.count)
            let pathItem = Self.hexPrefixItemLength(pathLength)
            TrieRLP.appendHeader(offset: 0xc0, length: pathItem + child.encodedLength, to: &output)
            if pathLength > 1 { TrieRLP.appendHeader(offset: 0x80, length: pathLength, to: &output) }
            Nibbles.appendHexPrefix(nodes[i].path, isLeaf: false, to: &output)
            child.append(to: &output)

        case .branch:
            withUnsafeTemporaryAllocation(of: NodeReference.self, capacity: 16) { references in
                var payload = TrieRLP.stringLength(nodes[i].value)
                if nodes[i].value.isEmpty { payload = 1 }
                for nibble in 0..<16 {
                    let child = nodes[i].children[nibble]
                    let reference = child == TrieNode.none ? NodeReference.invalid : childReference(child)
                    references.initializeElement(at: nibble, to: reference)
                    payload += reference.isValid ? reference.encodedLength : 1
                }
                TrieRLP.appendHeader(offset: 0xc0, length: payload, to: &output)
                for nibble in 0..<16 {
                    let reference = references[nibble]
                    if reference.isValid {
                        reference.append(to: &output)
                    } else {
                        output.append(0x80)
                    }
                }
                if nodes[i].value.isEmpty {
                    output.append(0x80)
                } else {
                    TrieRLP.appendString(nodes[i].value, to: &output)
                }
            }
        }
    }

    /// Bytes taken by a hex-prefix path of `length` bytes as an RLP string: a single byte is always below 0x80
    /// (flag nibble at most 3), so it is its own encoding.
    @inline(__always)
    static func hexPrefixItemLength(_ length: Int) -> Int {
        length == 1 ? 1 : TrieRLP.headerLength(payload: length) + length
    }
}
