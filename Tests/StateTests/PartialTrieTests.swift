import Primitives
import Testing
@testable import State

/// Stateless (partial) tries: built from a root and the witness nodes for a set of keys, they must read the same
/// values and, after the same writes and deletions, reach the same root as the full trie.
@Suite("Partial tries from proofs")
struct PartialTrieTests {
    /// What a block does with one key.
    enum Operation {
        case read([UInt8])
        case write([UInt8], [UInt8])
        case delete([UInt8])

        var key: [UInt8] {
            switch self {
            case .read(let key), .write(let key, _), .delete(let key): key
            }
        }
    }

    /// A random key: a 32-byte hash (as in the state trie) or a short key from a small alphabet, which nests
    /// (branch values, embedded nodes, long extensions).
    static func randomKey(short: Bool, using generator: inout SeededGenerator) -> [UInt8] {
        if short {
            return (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                UInt8.random(in: 0...15, using: &generator) * 0x11
            }
        }
        return Keccak256.hash(generator.bytes(8)).bytes
    }

    /// A full trie of about `count` random keys (short values make some nodes embedded), and its keys.
    static func randomTrie(count: Int, short: Bool, using generator: inout SeededGenerator)
        -> (trie: MerklePatriciaTrie, keys: [[UInt8]]) {
        var trie = MerklePatriciaTrie()
        var keys = Set<[UInt8]>()
        for _ in 0..<count {
            let key = randomKey(short: short, using: &generator)
            trie.update(key: key, value: generator.bytes(Int.random(in: 1...40, using: &generator)))
            keys.insert(key)
        }
        return (trie, keys.sorted { $0.lexicographicallyPrecedes($1) })
    }

    /// Applies `operations` to the full trie and to a partial trie built from the witness for exactly their keys,
    /// checking reads and the root along the way.
    static func replay(_ operations: [Operation], on full: inout MerklePatriciaTrie,
                       witness: [[UInt8]]? = nil) throws {
        let root = full.rootHash
        let nodes = witness ?? full.witnessNodes(forKeys: operations.map(\.key))
        var partial = try MerklePatriciaTrie(root: root, proofNodes: nodes)
        #expect(partial.rootHash == root)
        for (step, operation) in operations.enumerated() {
            switch operation {
            case .read(let key):
                #expect(try partial.getThrowing(key: key) == full.get(key: key), "step \(step)")
            case .write(let key, let value):
                full.update(key: key, value: value)
                try partial.updateThrowing(key: key, value: value)
            case .delete(let key):
                full.delete(key: key)
                try partial.deleteThrowing(key: key)
            }
            if step % 20 == 19 { #expect(partial.rootHash == full.rootHash, "step \(step)") }
        }
        #expect(partial.rootHash == full.rootHash)
        for operation in operations {
            #expect(try partial.getThrowing(key: operation.key) == full.get(key: operation.key))
        }
    }

    @Test("random reads, updates, inserts and deletes reach the full trie's root",
          arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomBlocks(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        let short = seed % 2 == 0
        var (full, keys) = Self.randomTrie(count: 500, short: short, using: &generator)
        keys.shuffle(using: &generator)
        var operations: [Operation] = []
        var next = keys.makeIterator()
        for _ in 0..<30 { if let key = next.next() { operations.append(.read(key)) } }
        for _ in 0..<30 {
            if let key = next.next() { operations.append(.write(key, generator.bytes(Int.random(in: 1...40, using: &generator)))) }
        }
        for _ in 0..<60 { if let key = next.next() { operations.append(.delete(key)) } }
        var inserted: [[UInt8]] = []
        for _ in 0..<30 {
            let key = Self.randomKey(short: short, using: &generator)
            operations.append(.write(key, generator.bytes(Int.random(in: 1...40, using: &generator))))
            inserted.append(key)
        }
        for _ in 0..<10 { operations.append(.read(Self.randomKey(short: short, using: &generator))) }
        for _ in 0..<5 { operations.append(.delete(Self.randomKey(short: short, using: &generator))) }
        operations.shuffle(using: &generator)
        // Insert-then-delete splits a node and collapses it again, the case that needs an extension's child.
        for key in inserted.prefix(10) { operations.append(.delete(key)) }
        try Self.replay(operations, on: &full)
    }

    @Test("deleting almost every key collapses branch after branch", arguments: [11, 12] as [UInt64])
    func deleteNearlyEverything(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var (full, keys) = Self.randomTrie(count: 200, short: seed % 2 == 0, using: &generator)
        let doomed = keys.shuffled(using: &generator).dropFirst(3)
        try Self.replay(doomed.map { .delete($0) }, on: &full)
    }

    @Test("the keys' proofs alone suffice for reads, updates and inserts")
    func proofsSufficeWithoutDeletes() throws {
        var generator = SeededGenerator(seed: 21)
        var (full, keys) = Self.randomTrie(count: 500, short: false, using: &generator)
        var operations: [Operation] = keys.prefix(40).map { .write($0, generator.bytes(33)) }
        operations += keys.suffix(20).map { .read($0) }
        operations += (0..<40).map { _ in .write(Self.randomKey(short: false, using: &generator), generator.bytes(70)) }
        let root = full.rootHash
        var proofs = Set<[UInt8]>()
        for operation in operations { proofs.formUnion(full.proof(key: operation.key)) }
        try Self.replay(operations, on: &full, witness: Array(proofs))
        #expect(try MerklePatriciaTrie(root: root, proofNodes: Array(proofs)).isPartial)
    }

    @Test("a deletion whose remaining sibling is not in the witness fails clearly and changes nothing")
    func missingSibling() throws {
        var generator = SeededGenerator(seed: 31)
        var (full, keys) = Self.randomTrie(count: 500, short: false, using: &generator)
        let root = full.rootHash
        var found: [UInt8]?
        for key in keys {
            // The key's proof alone: its branch's other children are unresolved.
            var partial = try MerklePatriciaTrie(root: root, proofNodes: full.proof(key: key))
            do {
                try partial.deleteThrowing(key: key)
            } catch {
                #expect(error.code == .missingSibling)
                #expect(error.description.hasPrefix("incomplete witness: deleting key"))
                #expect(error.nodePath != nil)
                #expect(partial.rootHash == root, "a failed deletion must not change the trie")
                partial.delete(key: key)
                #expect(partial.rootHash == root, "the non-throwing delete leaves the trie unchanged")
                #expect(partial.get(key: key) != nil)
                found = key
                break
            }
        }
        let key = try #require(found, "500 random keys always leave some branch with two children")
        // With the witness for the key, which adds the sibling, the deletion works.
        var partial = try MerklePatriciaTrie(root: root, proofNodes: full.witnessNodes(forKeys: [key]))
        try partial.deleteThrowing(key: key)
        full.delete(key: key)
        #expect(partial.rootHash == full.rootHash)
    }

    @Test("proof nodes added later resolve paths in place, as a forked state fetches them block by block")
    func resolveLater() throws {
        var generator = SeededGenerator(seed: 47)
        var (full, keys) = Self.randomTrie(count: 400, short: false, using: &generator)
        let root = full.rootHash
        // Start from the root hash alone, as a fork does.
        var partial = try MerklePatriciaTrie(root: root, proofNodes: [])
        #expect(partial.rootHash == root)
        #expect(throws: TrieProofError.self) { try partial.getThrowing(key: keys[0]) }
        // Nodes that match nothing change nothing.
        #expect(try partial.resolve(proofNodes: [[0xc1, 0x80]]) == 0)
        for (index, key) in keys.enumerated() where index % 3 == 0 {
            try partial.resolve(proofNodes: full.proof(key: key))
            #expect(try partial.getThrowing(key: key) == full.get(key: key))
            #expect(partial.rootHash == root, "resolving never changes the root")
        }
        // Delete keys, fetching a missing sibling through the proof of its own key, as the fork's search does.
        var searched = 0
        for (index, key) in keys.enumerated() where index % 3 == 0 {
            for _ in 0..<3 {
                do {
                    try partial.deleteThrowing(key: key)
                    break
                } catch {
                    #expect(error.code == .missingSibling)
                    let path = try #require(error.nodePath)
                    let sibling = try #require(keys.first { key in
                        let nibbles = key.flatMap { [$0 >> 4, $0 & 0x0f] }
                        return Array(nibbles.prefix(path.count)) == path
                    })
                    searched += 1
                    #expect(try partial.resolve(proofNodes: full.proof(key: sibling)) > 0)
                }
            }
            full.delete(key: key)
            #expect(partial.rootHash == full.rootHash)
        }
        #expect(searched > 0, "some deletion needed a sibling its own proof did not show")
    }

    @Test("a lookup or write through a node the witness lacks fails with its path")
    func missingNode() throws {
        var generator = SeededGenerator(seed: 41)
        let (full, keys) = Self.randomTrie(count: 500, short: false, using: &generator)
        var fullCopy = full
        let root = fullCopy.rootHash
        var partial = try MerklePatriciaTrie(root: root, proofNodes: full.proof(key: keys[0]))
        #expect(partial.isPartial)
        #expect(try partial.getThrowing(key: keys[0]) == full.get(key: keys[0]))
        let other = keys[keys.count - 1]
        #expect(partial.get(key: other) == nil)
        do {
            _ = try partial.getThrowing(key: other)
            Issue.record("reading a key outside the witness must throw")
        } catch {
            #expect(error.code == .missingNode)
            let path = try #require(error.nodePath)
            #expect(path == Array(Nibbles.of(other).prefix(path.count)))
            #expect(error.description.contains("the witness lacks node 0x"))
            #expect(error.description.contains("at path \(MerklePatriciaTrie.describe(path: path))"))
        }
        #expect(throws: TrieProofError.self) { try partial.updateThrowing(key: other, value: [1]) }
        #expect(throws: TrieProofError.self) { try partial.deleteThrowing(key: other) }
        partial.update(key: other, value: [1])
        #expect(partial.rootHash == root, "failed writes leave the trie unchanged")
    }

    @Test("tampered and malformed witness nodes are rejected")
    func tamperedNodes() throws {
        var generator = SeededGenerator(seed: 51)
        var (full, keys) = Self.randomTrie(count: 300, short: false, using: &generator)
        let root = full.rootHash
        let key = keys[7]
        let proof = full.proof(key: key)
        #expect(proof.count >= 2)

        // A changed node no longer hashes to what its parent commits to: it is ignored, the path is incomplete.
        var tampered = proof
        tampered[tampered.count - 1][5] ^= 0x01
        let partial = try MerklePatriciaTrie(root: root, proofNodes: tampered)
        #expect(throws: TrieProofError.self) { try partial.getThrowing(key: key) }
        var tamperedRoot = proof
        tamperedRoot[0][3] ^= 0x01
        #expect(throws: TrieProofError.self) {
            try MerklePatriciaTrie(root: root, proofNodes: tamperedRoot).getThrowing(key: key)
        }

        // Nodes that hash correctly but are not nodes.
        let notRLP: [UInt8] = [0xc5, 0x01]
        let threeItems = RLPItem.list([.bytes([0x20]), .bytes([1]), .bytes([2])]).encoded
        let badReference = RLPItem.list(Array(repeating: .bytes([]), count: 15) + [.bytes([1, 2, 3]), .bytes([])]).encoded
        for node in [notRLP, threeItems, badReference] {
            let error = #expect(throws: TrieProofError.self) {
                try MerklePatriciaTrie(root: Keccak256.hash(node), proofNodes: [node])
            }
            #expect(error?.code == .malformedNode)
        }

        // An extension leading to a leaf is not a canonical trie.
        let leaf = RLPItem.list([.bytes([0x20] + Array(repeating: 0xab, count: 31)), .bytes([1, 2, 3])]).encoded
        let extensionNode = RLPItem.list([.bytes([0x00, 0x12]), .bytes(Keccak256.hash(leaf).bytes)]).encoded
        #expect(throws: TrieProofError.self) {
            try MerklePatriciaTrie(root: Keccak256.hash(extensionNode), proofNodes: [extensionNode, leaf])
        }
        // Unreachable junk is ignored.
        let withJunk = try MerklePatriciaTrie(root: root, proofNodes: proof + [notRLP, threeItems])
        #expect(try withJunk.getThrowing(key: key) == full.get(key: key))
    }

    @Test("a witness whose nodes share one subtree many times does not expand exponentially")
    func sharedSubtreesAreCapped() throws {
        // Six levels of branches whose 16 children are all the same node: 16^6 leaves from seven nodes.
        let leaf = RLPItem.list([.bytes([0x20, 0xab]), .bytes(Array(repeating: 7, count: 40))]).encoded
        var nodes = [leaf]
        var hash = Keccak256.hash(leaf)
        for _ in 0..<6 {
            let branch = RLPItem.list(Array(repeating: .bytes(hash.bytes), count: 16) + [.bytes([])]).encoded
            nodes.append(branch)
            hash = Keccak256.hash(branch)
        }
        var partial = try MerklePatriciaTrie(root: hash, proofNodes: nodes)
        #expect(partial.nodes.count < 2_000)
        #expect(partial.rootHash == hash)
        var readable = 0
        var unreadable = 0
        for nibble in 0..<16 as Range<UInt8> {
            let key: [UInt8] = [nibble << 4 | nibble, nibble << 4 | nibble, nibble << 4 | nibble, 0xab]
            do {
                #expect(try partial.getThrowing(key: key) == Array(repeating: 7, count: 40))
                readable += 1
            } catch {
                unreadable += 1
            }
        }
        #expect(readable > 0 && unreadable > 0)
    }

    @Test("the empty root gives an empty, writable trie; an unknown root a fully unresolved one")
    func emptyAndUnresolvedRoots() throws {
        var partial = try MerklePatriciaTrie(root: MerklePatriciaTrie.emptyRootHash, proofNodes: [[0xc0], [1, 2]])
        #expect(partial.isEmpty && !partial.isPartial)
        #expect(partial.rootHash == MerklePatriciaTrie.emptyRootHash)
        #expect(try partial.getThrowing(key: [1]) == nil)
        var full = MerklePatriciaTrie()
        for byte in 0..<50 as Range<UInt8> {
            try partial.updateThrowing(key: [byte, 7], value: [byte])
            full.update(key: [byte, 7], value: [byte])
        }
        #expect(partial.rootHash == full.rootHash)

        let unknown = Keccak256.hash([1, 2, 3])
        var opaque = try MerklePatriciaTrie(root: unknown, proofNodes: [])
        #expect(opaque.isPartial && !opaque.isEmpty)
        #expect(opaque.rootHash == unknown)
        #expect(throws: TrieProofError.self) { try opaque.getThrowing(key: [1]) }
    }

    @Test("a root shorter than 32 bytes (hashed anyway) round-trips")
    func shortRoot() throws {
        var full = MerklePatriciaTrie()
        full.update(key: [1], value: [2])
        let root = full.rootHash
        var partial = try MerklePatriciaTrie.fromProofs(root: root, proofNodes: full.proof(key: [1]))
        #expect(try partial.getThrowing(key: [1]) == [2])
        try partial.updateThrowing(key: [1, 2], value: [3])
        full.update(key: [1, 2], value: [3])
        try partial.deleteThrowing(key: [1])
        full.delete(key: [1])
        #expect(partial.rootHash == full.rootHash)
    }

    @Test("secure tries: accounts read, written and deleted through a witness")
    func secureTrie() throws {
        var generator = SeededGenerator(seed: 61)
        var full = SecureTrie()
        var addresses: [[UInt8]] = []
        for index in 0..<400 {
            let address = generator.bytes(20)
            addresses.append(address)
            full.update(key: address, value: AccountRecord(nonce: UInt64(index), balance: U256(UInt64(index))).rlpEncoded)
        }
        let root = full.rootHash
        addresses.shuffle(using: &generator)
        let written = Array(addresses[0..<40])
        let deleted = Array(addresses[40..<80])
        let read = Array(addresses[80..<100])
        let created = (0..<20).map { _ in generator.bytes(20) }
        let touched = written + deleted + read + created
        var partial = try SecureTrie.fromProofs(root: root, proofNodes: full.witnessNodes(forKeys: touched))
        #expect(partial.rootHash == root)
        for address in read { #expect(try partial.getThrowing(key: address) == full.get(key: address)) }
        for address in written + created {
            let value = AccountRecord(nonce: 1_000, balance: U256(UInt64(7))).rlpEncoded
            try partial.updateThrowing(key: address, value: value)
            full.update(key: address, value: value)
        }
        for address in deleted {
            try partial.deleteThrowing(key: address)
            full.delete(key: address)
        }
        #expect(partial.rootHash == full.rootHash)
        // Untouched accounts are readable only when the witness happens to hold their leaf (as a sibling).
        var unreadable = 0
        for address in addresses[100...] {
            do {
                #expect(try partial.getThrowing(key: address) == full.get(key: address))
            } catch {
                #expect(error.code == .missingNode)
                unreadable += 1
            }
        }
        #expect(unreadable > 250)
    }
}
