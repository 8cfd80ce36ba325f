import Primitives
import Testing
@testable import State

/// The incremental root (only dirty paths re-hashed) must equal a from-scratch rebuild after any sequence of
/// inserts, replacements and deletions.
@Suite("Trie incremental hashing")
struct TrieRandomizedTests {
    static func rebuilt(_ entries: [[UInt8]: [UInt8]]) -> MerklePatriciaTrie {
        var trie = MerklePatriciaTrie()
        for (key, value) in entries { trie.update(key: key, value: value) }
        return trie
    }

    @Test("random inserts and deletes, root read between rounds", arguments: [1, 2, 3, 4] as [UInt64])
    func randomOperations(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var trie = MerklePatriciaTrie()
        var model: [[UInt8]: [UInt8]] = [:]
        // Short keys from a small alphabet collide and nest (branch values, long extensions); with seed 1 and 2
        // keys are 32-byte hashes, as in the state trie.
        let shortKeys = seed > 2
        for round in 0..<30 {
            for _ in 0..<Int.random(in: 1...60, using: &generator) {
                let key: [UInt8]
                if !model.isEmpty && Bool.random(using: &generator) && Int.random(in: 0...2, using: &generator) == 0 {
                    key = model.keys.randomElement(using: &generator) ?? []
                } else if shortKeys {
                    key = (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                        UInt8.random(in: 0...3, using: &generator) * 0x11
                    }
                } else {
                    key = Keccak256.hash(generator.bytes(4)).bytes
                }
                if Int.random(in: 0...3, using: &generator) == 0 {
                    trie.delete(key: key)
                    model[key] = nil
                } else {
                    let value = generator.bytes(Int.random(in: 1...40, using: &generator))
                    trie.update(key: key, value: value)
                    model[key] = value
                }
            }
            var reference = Self.rebuilt(model)
            #expect(trie.rootHash == reference.rootHash, "seed \(seed) round \(round)")
            #expect(trie.count == model.count)
            if round % 10 == 9 {
                for (key, value) in model { #expect(trie.get(key: key) == value) }
                let sortedKeys = model.keys.sorted { $0.lexicographicallyPrecedes($1) }
                #expect(trie.entries.map(\.key) == sortedKeys)
            }
        }
        // Delete everything, in random order: back to the empty root, with no live nodes left.
        for key in model.keys.shuffled(using: &generator) { trie.delete(key: key) }
        #expect(trie.rootHash == MerklePatriciaTrie.emptyRootHash)
        #expect(trie.nodes.count == trie.freeSlots.count)
    }

    @Test("a copy is independent of the original (value semantics)")
    func copiesAreIndependent() {
        var original = MerklePatriciaTrie()
        for index in 0..<100 { original.update(key: [UInt8(index)], value: [1]) }
        let rootBefore = original.rootHash
        var copy = original
        copy.update(key: [5], value: [2])
        copy.delete(key: [6])
        #expect(original.rootHash == rootBefore)
        #expect(copy.rootHash != rootBefore)
        #expect(original.get(key: [6]) == [1])
    }

    @Test("A large trie's root hashed on several threads equals the one-thread root, after a build and after updates")
    func parallelSubtrieHashing() {
        // On one core the parallel path is not taken and this checks the one-thread path twice.
        var generator = SeededGenerator(seed: 9)
        var trie = MerklePatriciaTrie()
        var keys: [[UInt8]] = []
        for _ in 0..<60_000 {
            let key = Keccak256.hash(generator.bytes(8)).bytes
            keys.append(key)
            trie.update(key: key, value: generator.bytes(Int.random(in: 1...70, using: &generator)))
        }
        #expect(trie.nodes.count >= MerklePatriciaTrie.parallelHashingNodes)
        // computeRootHash walks the trie on the calling thread without touching the cache: the reference.
        let built = trie.computeRootHash()
        #expect(trie.rootHash == built)
        for round in 0..<3 {
            for _ in 0..<5_000 {
                let key = keys[Int.random(in: 0..<keys.count, using: &generator)]
                if Int.random(in: 0...9, using: &generator) == 0 {
                    trie.delete(key: key)
                } else {
                    trie.update(key: key, value: generator.bytes(Int.random(in: 1...70, using: &generator)))
                }
            }
            let expected = trie.computeRootHash()
            #expect(trie.rootHash == expected, "round \(round)")
        }
    }

    @Test("level-by-level hashing gives the reference root with 0 (one at a time) to every available lane count")
    func levelHashingLanes() {
        var generator = SeededGenerator(seed: 11)
        var trie = MerklePatriciaTrie()
        var keys: [[UInt8]] = []
        // Short keys nest (branch values, inline nodes under 32 bytes), long values span several Keccak blocks.
        for index in 0..<3_000 {
            let key = index % 3 == 0 ? generator.bytes(Int.random(in: 1...3, using: &generator))
                                     : Keccak256.hash(generator.bytes(8)).bytes
            keys.append(key)
            trie.update(key: key, value: generator.bytes(Int.random(in: 1...300, using: &generator)))
        }
        let lanes = [0] + Array(1...max(1, Keccak256.parallelLanes)).filter { $0 <= Keccak256.parallelLanes }
        for round in 0..<3 {
            for _ in 0..<400 {
                let key = keys[Int.random(in: 0..<keys.count, using: &generator)]
                if Int.random(in: 0...4, using: &generator) == 0 {
                    trie.delete(key: key)
                } else {
                    trie.update(key: key, value: generator.bytes(Int.random(in: 1...300, using: &generator)))
                }
            }
            let expected = trie.computeRootHash()
            for count in lanes {
                var copy = trie
                var work = LevelHashing()
                let reference = copy.updateReferenceByLevel(of: copy.root, work: &work, lanes: count)
                #expect(reference.rootHash == expected, "round \(round), \(count) lane(s)")
            }
            _ = trie.rootHash
        }
    }
}
