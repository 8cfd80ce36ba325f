import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Primitives
import Synchronization

extension MerklePatriciaTrie {
    /// The root hash of the empty trie: keccak256(rlp("")) =
    /// 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421.
    public static let emptyRootHash: Hash = Keccak256.hash([0x80])

    /// The root hash, re-hashing only the nodes changed since the last call (the result is cached in the nodes,
    /// which is why reading it is mutating).
    public var rootHash: Hash {
        mutating get {
            guard root != TrieNode.none else { return Self.emptyRootHash }
            if Self.hashingThreads > 1 && nodes.count >= Self.parallelHashingNodes {
                updateSubtriesInParallel(threads: Self.hashingThreads)
            }
            var levels = LevelHashing()
            return updateReferenceByLevel(of: root, work: &levels).rootHash
        }
    }

    /// Threads `rootHash` hashes a large trie's changed subtries on: one per core.
    static let hashingThreads = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    /// Tries smaller than this many nodes are hashed on one thread (a storage trie, a small state).
    static let parallelHashingNodes = 50_000
    /// Fewer changed subtries than this two levels down are hashed on one thread: too little work to share.
    static let parallelHashingSubtries = 32

    /// Hashes the changed subtries two levels below the root (up to 256, disjoint) on `threads` threads, each
    /// taking the next one until none is left, so that hashing from the root then only re-encodes the top.
    /// A state trie of a million accounts after 10,000 updates has some 30,000 changed nodes, nearly all below.
    mutating func updateSubtriesInParallel(threads: Int) {
        guard !references[Int(root)].isValid else { return }
        var subtries: [Int32] = []
        var level = [root]
        for depth in 0..<3 {
            var next: [Int32] = []
            for index in level where !references[Int(index)].isValid {
                let node = nodes[Int(index)]
                switch node.kind {
                case .branch where depth < 2:
                    for nibble in 0..<16 where node.children[nibble] != TrieNode.none { next.append(node.children[nibble]) }
                case .extension where depth < 2:
                    next.append(node.child)
                default:
                    if index != root { subtries.append(index) }
                }
            }
            level = next
        }
        guard subtries.count >= Self.parallelHashingSubtries else { return }
        let work = subtries
        nodes.withUnsafeBufferPointer { nodes in
            references.withUnsafeMutableBufferPointer { references in
                // The subtries are disjoint: each thread writes the references of its own nodes only.
                nonisolated(unsafe) let (shared, cache) = (nodes, references)
                let next = Atomic<Int>(0)
                DispatchQueue.concurrentPerform(iterations: threads) { _ in
                    var levels = LevelHashing()
                    while true {
                        let item = next.add(1, ordering: .relaxed).oldValue
                        guard item < work.count else { return }
                        _ = Self.updateReferenceByLevel(of: work[item], nodes: shared, references: cache, work: &levels)
                    }
                }
            }
        }
    }

    /// Computes and caches the references of the dirty nodes under `index` level by level, deepest first, hashing
    /// each level's encodings `Keccak256.parallelLanes` at a time (one message per vector lane).
    /// - Parameter lanes: messages per Keccak pass, at most `Keccak256.parallelLanes`; 0 hashes one node at a time.
    mutating func updateReferenceByLevel(of index: Int32, work: inout LevelHashing,
                                         lanes: Int = Keccak256.parallelLanes) -> NodeReference {
        nodes.withUnsafeBufferPointer { nodes in
            references.withUnsafeMutableBufferPointer { references in
                Self.updateReferenceByLevel(of: index, nodes: nodes, references: references, work: &work, lanes: lanes)
            }
        }
    }

    /// `updateReferenceByLevel(of:work:)` on the arena's buffers, which threads hashing disjoint subtries share.
    ///
    /// A node's children are one level below it, so once a level's nodes are hashed every node of the level above
    /// has the references it encodes. Within a level the nodes are independent, which is what lets them share one
    /// multi-lane Keccak pass; without vector lanes (`parallelLanes` 0) it hashes them one by one.
    static func updateReferenceByLevel(of top: Int32, nodes: UnsafeBufferPointer<TrieNode>,
                                       references: UnsafeMutableBufferPointer<NodeReference>,
                                       work: inout LevelHashing,
                                       lanes: Int = Keccak256.parallelLanes) -> NodeReference {
        let cached = references[Int(top)]
        if cached.isValid { return cached }
        guard lanes > 0 else {
            return updateReference(of: top, nodes: nodes, references: references, scratch: &work.scratch)
        }
        // The dirty nodes under `top` with their depth below it: a node is dirty exactly when its reference is not
        // valid, and a dirty node's dirty children are found through it.
        work.dirty.removeAll(keepingCapacity: true)
        work.stack.removeAll(keepingCapacity: true)
        work.stack.append((top, 0))
        var deepest: Int32 = 0
        while let (index, depth) = work.stack.popLast() {
            let i = Int(index)
            if references[i].isValid { continue }
            switch nodes[i].kind {
            case .unresolved:
                // Its reference is set at creation and never invalidated; restore it from the stored hash regardless.
                references[i] = NodeReference(storage: nodes[i].unresolvedHash, count: 32)
                continue
            case .leaf:
                break
            case .extension:
                work.stack.append((nodes[i].child, depth + 1))
            case .branch:
                for nibble in 0..<16 {
                    let child = nodes[i].children[nibble]
                    if child != TrieNode.none && !references[Int(child)].isValid { work.stack.append((child, depth + 1)) }
                }
            }
            work.dirty.append((index, depth))
            deepest = max(deepest, depth)
        }
        // Group by depth (a counting sort), deepest level first.
        work.levelStart.removeAll(keepingCapacity: true)
        work.levelStart.append(contentsOf: repeatElement(0, count: Int(deepest) + 2))
        for (_, depth) in work.dirty { work.levelStart[Int(deepest - depth) + 1] += 1 }
        for level in 0...Int(deepest) { work.levelStart[level + 1] += work.levelStart[level] }
        work.ordered.removeAll(keepingCapacity: true)
        work.ordered.append(contentsOf: repeatElement(0, count: work.dirty.count))
        var fill = work.levelStart
        for (index, depth) in work.dirty {
            let level = Int(deepest - depth)
            work.ordered[fill[level]] = index
            fill[level] += 1
        }
        for level in 0...Int(deepest) {
            work.encodings.removeAll(keepingCapacity: true)
            work.pending.removeAll(keepingCapacity: true)
            for position in work.levelStart[level]..<work.levelStart[level + 1] {
                let index = work.ordered[position]
                encode(node: index, nodes: nodes, into: &work.scratch) { references[Int($0)] }
                if work.scratch.count < 32 {
                    references[Int(index)] = work.scratch.withUnsafeBytes { NodeReference(encoding: $0) }
                } else {
                    work.pending.append(LevelHashing.Pending(node: index, offset: work.encodings.count,
                                                             length: work.scratch.count))
                    work.encodings.append(contentsOf: work.scratch)
                }
            }
            work.hashPending(lanes: lanes, references: references)
        }
        return references[Int(top)]
    }

    /// The root hash computed without touching the cache: cheap when `rootHash` was read since the last update,
    /// otherwise it re-hashes the dirty nodes every time it is called.
    public func computeRootHash() -> Hash {
        guard root != TrieNode.none else { return Self.emptyRootHash }
        return reference(of: root).rootHash
    }

    /// Computes and caches the references of the dirty nodes under `index`, children before parents, hashing one
    /// node at a time (where the CPU has no vector lanes for `updateReferenceByLevel`).
    ///
    /// `scratch` is one buffer reused for every encoding: a node is encoded only after all its children are done.
    static func updateReference(of index: Int32, nodes: UnsafeBufferPointer<TrieNode>,
                                references: UnsafeMutableBufferPointer<NodeReference>, scratch: inout [UInt8]) -> NodeReference {
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
            if !references[Int(child)].isValid {
                _ = updateReference(of: child, nodes: nodes, references: references, scratch: &scratch)
            }
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
                _ = updateReference(of: nodes[i].children[nibble], nodes: nodes, references: references, scratch: &scratch)
                dirtyChildren &= dirtyChildren &- 1
            }
        }
        encode(node: index, nodes: nodes, into: &scratch) { references[Int($0)] }
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
        nodes.withUnsafeBufferPointer { nodes in
            Self.encode(node: index, nodes: nodes, into: &output, childReference: childReference)
        }
    }

    /// `encode(node:into:childReference:)` on the arena's buffer.
    static func encode(node index: Int32, nodes: UnsafeBufferPointer<TrieNode>, into output: inout [UInt8],
                       childReference: (Int32) -> NodeReference) {
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

/// Buffers reused by `updateReferenceByLevel` across the subtries one thread hashes.
struct LevelHashing {
    /// A node encoded at this level, waiting for its hash: its encoding is `encodings[offset..<offset + length]`.
    struct Pending {
        var node: Int32
        var offset: Int
        var length: Int
    }

    var stack: [(Int32, Int32)] = []
    /// Dirty nodes and their depth, in the order found.
    var dirty: [(Int32, Int32)] = []
    /// The dirty nodes, deepest level first; level `l` is `ordered[levelStart[l]..<levelStart[l + 1]]`.
    var ordered: [Int32] = []
    var levelStart: [Int] = []
    var encodings: [UInt8] = []
    var pending: [Pending] = []
    /// `pending` grouped by sponge blocks, for `hashPending`.
    var grouped: [Pending] = []
    var scratch: [UInt8] = []

    init() {
        scratch.reserveCapacity(1024)
    }

    /// Hashes the level's pending encodings `lanes` at a time, messages of equal block counts together, and stores
    /// their references.
    mutating func hashPending(lanes: Int, references: UnsafeMutableBufferPointer<NodeReference>) {
        guard !pending.isEmpty else { return }
        // Nearly every level is one block count (branches of 16 hashes take 4 blocks, account leaves 1); order by it
        // only when it is not.
        let first = pending[0].length / Keccak256.rate
        var batch = pending
        if pending.contains(where: { $0.length / Keccak256.rate != first }) {
            grouped.removeAll(keepingCapacity: true)
            grouped.append(contentsOf: pending)
            grouped.sort { $0.length / Keccak256.rate < $1.length / Keccak256.rate }
            batch = grouped
        }
        encodings.withUnsafeBufferPointer { encodings in
            withUnsafeTemporaryAllocation(of: UnsafePointer<UInt8>?.self, capacity: lanes) { messages in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: lanes) { lengths in
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32 * lanes) { digests in
                        var start = 0
                        while start < batch.count {
                            let blocks = batch[start].length / Keccak256.rate
                            var count = 0
                            while count < lanes && start + count < batch.count
                                    && batch[start + count].length / Keccak256.rate == blocks {
                                let item = batch[start + count]
                                messages[count] = encodings.baseAddress! + item.offset
                                lengths[count] = item.length
                                count += 1
                            }
                            Keccak256.hashLanes(count: count, messages: UnsafePointer(messages.baseAddress!),
                                                lengths: lengths.baseAddress!, digests: digests.baseAddress!)
                            for lane in 0..<count {
                                references[Int(batch[start + lane].node)] =
                                    NodeReference(storage: Hash(loading: UnsafeRawPointer(digests.baseAddress! + 32 * lane)),
                                                  count: 32)
                            }
                            start += count
                        }
                    }
                }
            }
        }
    }
}
