// On a partial trie (built from proofs) these walks see only the resolved nodes: an unresolved subtree counts as
// empty, so they may miss keys. A stateless verifier only reads, writes and hashes; it does not iterate.
extension MerklePatriciaTrie {
    /// The smallest stored key strictly greater than `key` in byte-wise lexicographic order, or `nil` when there is
    /// none. `key` itself need not be stored.
    public func nextKey(after key: [UInt8]) -> [UInt8]? {
        var prefix: [UInt8] = []
        guard let nibbles = successor(of: root, key: Nibbles.of(key), depth: 0, prefix: &prefix) else { return nil }
        return Nibbles.packed(nibbles)
    }

    /// The greatest stored key strictly less than `key` in byte-wise lexicographic order, or `nil` when there is
    /// none. `key` itself need not be stored.
    public func previousKey(before key: [UInt8]) -> [UInt8]? {
        var prefix: [UInt8] = []
        guard let nibbles = predecessor(of: root, key: Nibbles.of(key), depth: 0, prefix: &prefix) else { return nil }
        return Nibbles.packed(nibbles)
    }

    /// Every key and value, in key order (a key sorts before the keys it is a prefix of).
    public var entries: [(key: [UInt8], value: [UInt8])] {
        var result: [(key: [UInt8], value: [UInt8])] = []
        result.reserveCapacity(count)
        var prefix: [UInt8] = []
        collect(root, prefix: &prefix, into: &result)
        return result
    }

    private func collect(_ index: Int32, prefix: inout [UInt8], into result: inout [(key: [UInt8], value: [UInt8])]) {
        guard index != TrieNode.none else { return }
        let node = nodes[Int(index)]
        let mark = prefix.count
        defer { prefix.removeSubrange(mark...) }
        switch node.kind {
        case .unresolved:
            return
        case .leaf:
            prefix.append(contentsOf: node.path)
            result.append((Nibbles.packed(prefix), node.value))
        case .extension:
            prefix.append(contentsOf: node.path)
            collect(node.child, prefix: &prefix, into: &result)
        case .branch:
            if !node.value.isEmpty { result.append((Nibbles.packed(prefix), node.value)) }
            for nibble in 0..<16 {
                prefix.append(UInt8(nibble))
                collect(node.children[nibble], prefix: &prefix, into: &result)
                prefix.removeLast()
            }
        }
    }

    /// The smallest full key (as nibbles) in the subtree at `index` greater than `key`, given that the subtree's
    /// position `prefix` equals `key[0..<depth]`.
    private func successor(of index: Int32, key: [UInt8], depth: Int, prefix: inout [UInt8]) -> [UInt8]? {
        guard index != TrieNode.none else { return nil }
        let node = nodes[Int(index)]
        switch node.kind {
        case .unresolved:
            return nil
        case .leaf, .extension:
            switch Self.compare(path: node.path, key: key, from: depth) {
            case .less:
                return nil
            case .greater, .keyEndsInside:
                return smallestKey(in: index, prefix: &prefix)
            case .matches:
                if node.kind == .leaf {
                    // The leaf's key is `key` itself only if the key ends here; otherwise `key` is longer, so greater.
                    return nil
                }
                let mark = prefix.count
                prefix.append(contentsOf: node.path)
                if let found = successor(of: node.child, key: key, depth: depth + node.path.count, prefix: &prefix) {
                    return found
                }
                prefix.removeSubrange(mark...)
                return nil
            }
        case .branch:
            // The branch value's key is the prefix, which is not greater than `key`.
            var first = 0
            if depth < key.count {
                let nibble = Int(key[depth])
                prefix.append(UInt8(nibble))
                if let found = successor(of: node.children[nibble], key: key, depth: depth + 1, prefix: &prefix) {
                    return found
                }
                prefix.removeLast()
                first = nibble + 1
            }
            for nibble in first..<16 where node.children[nibble] != TrieNode.none {
                prefix.append(UInt8(nibble))
                return smallestKey(in: node.children[nibble], prefix: &prefix)
            }
            return nil
        }
    }

    /// The greatest full key (as nibbles) in the subtree at `index` less than `key`, given that the subtree's
    /// position `prefix` equals `key[0..<depth]`.
    private func predecessor(of index: Int32, key: [UInt8], depth: Int, prefix: inout [UInt8]) -> [UInt8]? {
        guard index != TrieNode.none else { return nil }
        let node = nodes[Int(index)]
        switch node.kind {
        case .unresolved:
            return nil
        case .leaf, .extension:
            switch Self.compare(path: node.path, key: key, from: depth) {
            case .greater, .keyEndsInside:
                return nil
            case .less:
                return largestKey(in: index, prefix: &prefix)
            case .matches:
                if node.kind == .leaf {
                    // The leaf's key is a prefix of `key`: smaller unless it is `key` itself.
                    guard depth + node.path.count < key.count else { return nil }
                    return largestKey(in: index, prefix: &prefix)
                }
                let mark = prefix.count
                prefix.append(contentsOf: node.path)
                if let found = predecessor(of: node.child, key: key, depth: depth + node.path.count, prefix: &prefix) {
                    return found
                }
                prefix.removeSubrange(mark...)
                return nil
            }
        case .branch:
            // Every key below starts with the prefix, so when `key` ends here nothing below is smaller.
            guard depth < key.count else { return nil }
            let nibble = Int(key[depth])
            prefix.append(UInt8(nibble))
            if let found = predecessor(of: node.children[nibble], key: key, depth: depth + 1, prefix: &prefix) {
                return found
            }
            prefix.removeLast()
            for lower in stride(from: nibble - 1, through: 0, by: -1) where node.children[lower] != TrieNode.none {
                prefix.append(UInt8(lower))
                return largestKey(in: node.children[lower], prefix: &prefix)
            }
            return node.value.isEmpty ? nil : prefix
        }
    }

    private func smallestKey(in index: Int32, prefix: inout [UInt8]) -> [UInt8]? {
        var index = index
        while index != TrieNode.none {
            let node = nodes[Int(index)]
            switch node.kind {
            case .unresolved:
                return nil
            case .leaf:
                return prefix + node.path
            case .extension:
                prefix.append(contentsOf: node.path)
                index = node.child
            case .branch:
                if !node.value.isEmpty { return prefix }
                guard let nibble = (0..<16).first(where: { node.children[$0] != TrieNode.none }) else { return nil }
                prefix.append(UInt8(nibble))
                index = node.children[nibble]
            }
        }
        return nil
    }

    private func largestKey(in index: Int32, prefix: inout [UInt8]) -> [UInt8]? {
        var index = index
        while index != TrieNode.none {
            let node = nodes[Int(index)]
            switch node.kind {
            case .unresolved:
                return nil
            case .leaf:
                return prefix + node.path
            case .extension:
                prefix.append(contentsOf: node.path)
                index = node.child
            case .branch:
                guard let nibble = (0..<16).last(where: { node.children[$0] != TrieNode.none }) else {
                    return node.value.isEmpty ? nil : prefix
                }
                prefix.append(UInt8(nibble))
                index = node.children[nibble]
            }
        }
        return nil
    }

    /// How a node path compares with the key nibbles from `start` on.
    private enum PathOrder {
        /// The path is a prefix of the remaining key (or equal to it).
        case matches
        /// The key ends inside the path, every nibble so far equal: all keys below are longer, so greater.
        case keyEndsInside
        /// At the first difference the path nibble is smaller: every key below is smaller than `key`.
        case less
        /// At the first difference the path nibble is greater: every key below is greater than `key`.
        case greater
    }

    private static func compare(path: [UInt8], key: [UInt8], from start: Int) -> PathOrder {
        for offset in 0..<path.count {
            guard start + offset < key.count else { return .keyEndsInside }
            let keyNibble = key[start + offset]
            if path[offset] < keyNibble { return .less }
            if path[offset] > keyNibble { return .greater }
        }
        return .matches
    }
}
