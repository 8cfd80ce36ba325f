import Primitives
import Testing
@testable import State

/// eth_getProof-style proofs: every generated proof verifies, absence is provable, and tampering is caught.
@Suite("Trie proofs")
struct TrieProofTests {
    /// A trie mixing short keys (embedded nodes, branch values) with 32-byte hashed keys (deep hashed paths).
    static func sampleTrie() -> (trie: MerklePatriciaTrie, entries: [[UInt8]: [UInt8]]) {
        var generator = SeededGenerator(seed: 7)
        var trie = MerklePatriciaTrie()
        var entries: [[UInt8]: [UInt8]] = [:]
        for word in ["do", "dog", "doge", "horse", "a", "ab", "abc"] {
            trie.update(key: Array(word.utf8), value: Array(word.utf8))
            entries[Array(word.utf8)] = Array(word.utf8)
        }
        for _ in 0..<300 {
            let key = Keccak256.hash(generator.bytes(8)).bytes
            let value = generator.bytes(Int.random(in: 1...80, using: &generator))
            trie.update(key: key, value: value)
            entries[key] = value
        }
        return (trie, entries)
    }

    @Test("every key's proof verifies to its value")
    func presentKeys() throws {
        var (trie, entries) = Self.sampleTrie()
        let root = trie.rootHash
        for (key, value) in entries {
            let proof = trie.proof(key: key)
            #expect(!proof.isEmpty)
            #expect(Keccak256.hash(proof[0]) == root)
            #expect(try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof) == value)
        }
    }

    @Test("absent keys verify to nil")
    func absentKeys() throws {
        var (trie, entries) = Self.sampleTrie()
        let root = trie.rootHash
        var generator = SeededGenerator(seed: 11)
        var absent = ["d", "dogs", "x", "", "abcd", "hors"].map { Array($0.utf8) }
        for _ in 0..<100 { absent.append(Keccak256.hash(generator.bytes(9)).bytes) }
        for key in absent where entries[key] == nil {
            let proof = trie.proof(key: key)
            #expect(try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof) == nil)
        }
    }

    @Test("proofs of a dirty trie (root not read since the last update) are the same")
    func dirtyTrieProofs() throws {
        var (trie, _) = Self.sampleTrie()
        trie.update(key: Array("dog".utf8), value: Array("hound".utf8))
        let dirtyProof = trie.proof(key: Array("dog".utf8))
        let root = trie.computeRootHash()
        #expect(root == trie.rootHash)
        #expect(dirtyProof == trie.proof(key: Array("dog".utf8)))
        #expect(try MerklePatriciaTrie.verifyProof(root: root, key: Array("dog".utf8), proof: dirtyProof) == Array("hound".utf8))
    }

    @Test("the empty trie proves absence with an empty proof")
    func emptyTrie() throws {
        var trie = MerklePatriciaTrie()
        let proof = trie.proof(key: [1, 2, 3])
        #expect(proof.isEmpty)
        #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: [1, 2, 3], proof: proof) == nil)
    }

    @Test("a single short node is its own root proof")
    func singleEmbeddedRoot() throws {
        var trie = MerklePatriciaTrie()
        trie.update(key: [1], value: [2])
        let proof = trie.proof(key: [1])
        #expect(proof.count == 1 && proof[0].count < 32)
        #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: [1], proof: proof) == [2])
        #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: [3], proof: proof) == nil)
    }

    @Test("tampered, truncated, padded and foreign proofs are rejected")
    func tamperedProofs() throws {
        var (trie, entries) = Self.sampleTrie()
        let root = trie.rootHash
        var generator = SeededGenerator(seed: 3)
        for key in entries.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).prefix(50) {
            let proof = trie.proof(key: key)
            // Flip one bit in one element.
            var tampered = proof
            let element = Int.random(in: 0..<proof.count, using: &generator)
            let byte = Int.random(in: 0..<proof[element].count, using: &generator)
            tampered[element][byte] ^= 1 << UInt8.random(in: 0...7, using: &generator)
            #expect(throws: TrieProofError.self) {
                try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: tampered)
            }
            // Drop the last element, when the path needs it.
            if proof.count > 1 {
                #expect(throws: TrieProofError.self) {
                    try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: Array(proof.dropLast()))
                }
            }
            // Extra elements prove nothing and are refused.
            #expect(throws: TrieProofError.self) {
                try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof + [proof[0]])
            }
            // The right proof against another root.
            #expect(throws: TrieProofError.self) {
                try MerklePatriciaTrie.verifyProof(root: MerklePatriciaTrie.emptyRootHash, key: key, proof: proof)
            }
        }
        #expect(throws: TrieProofError.self) {
            try MerklePatriciaTrie.verifyProof(root: root, key: [1], proof: [])
        }
    }

    @Test("a forged leaf value is caught by its parent's hash")
    func forgedValue() throws {
        var (trie, entries) = Self.sampleTrie()
        let root = trie.rootHash
        let key = try #require(entries.keys.first { $0.count == 32 })
        var proof = trie.proof(key: key)
        // Rebuild the last node with another value: it decodes fine, but no longer matches the parent's hash.
        var forged = MerklePatriciaTrie()
        forged.update(key: key, value: [0xde, 0xad])
        let forgedLeaf = try #require(forged.proof(key: key).first)
        proof[proof.count - 1] = forgedLeaf
        do {
            _ = try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: proof)
            Issue.record("forged proof verified")
        } catch {
            #expect(error.code == .hashMismatch)
        }
    }

    @Test("secure trie proofs use the hashed key")
    func secureProofs() throws {
        var trie = SecureTrie()
        for index in 0..<50 { trie.update(key: [UInt8(index)], value: [UInt8(index), 1]) }
        let root = trie.rootHash
        #expect(try SecureTrie.verifyProof(root: root, key: [7], proof: trie.proof(key: [7])) == [7, 1])
        #expect(try SecureTrie.verifyProof(root: root, key: [200], proof: trie.proof(key: [200])) == nil)
    }
}
