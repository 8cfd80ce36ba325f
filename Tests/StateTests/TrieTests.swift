import Foundation
import Primitives
import FixtureSupport
import Testing
@testable import State

/// ethereum/tests TrieTests: root hashes after sequences of updates and deletions, plain and secure, and
/// next/previous key lookup; plus the node-collapsing cases the fixtures exercise only indirectly.
@Suite("Trie")
struct TrieTests {
    /// A fixture string: `0x`-prefixed strings are hex, anything else is the raw UTF-8 bytes.
    static func bytes(_ text: String) throws -> [UInt8] {
        text.hasPrefix("0x") ? try Hex.decode(text) : Array(text.utf8)
    }

    /// The (key, value) operations of a test in fixture order; a `nil` value (JSON null) deletes the key.
    /// `in` is either a list of `[key, value]` pairs, applied in order, or an object, whose order must not matter.
    static func operations(_ input: Any) throws -> [(key: [UInt8], value: [UInt8]?)] {
        if let pairs = input as? [[Any]] {
            return try pairs.map { pair in
                (try bytes(pair[0] as? String ?? ""), try (pair[1] as? String).map(bytes))
            }
        }
        if let object = input as? [String: Any] {
            return try object.sorted { $0.key < $1.key }.map { key, value in
                (try bytes(key), try (value as? String).map(bytes))
            }
        }
        throw FixtureFormatError(message: "unsupported \"in\" of type \(type(of: input))")
    }

    /// Applies `operations` to a fresh trie (secure or plain) and returns its root.
    static func root(of operations: [(key: [UInt8], value: [UInt8]?)], secure: Bool) -> Hash {
        if secure {
            var trie = SecureTrie()
            for operation in operations { trie.update(key: operation.key, value: operation.value ?? []) }
            return trie.rootHash
        }
        var trie = MerklePatriciaTrie()
        for operation in operations { trie.update(key: operation.key, value: operation.value ?? []) }
        return trie.rootHash
    }

    @Test("root hash fixtures", .enabled(if: Fixtures.available), arguments: [
        "trietest.json", "trietest_secureTrie.json", "trieanyorder.json", "trieanyorder_secureTrie.json",
        "hex_encoded_securetrie_test.json",
    ])
    func rootFixtures(file: String) throws {
        let tests = try #require(try Fixtures.json("ethtests/TrieTests/\(file)") as? [String: [String: Any]])
        let secure = file.lowercased().contains("securetrie")
        let isAnyOrder = file.hasPrefix("trieanyorder") || file.hasPrefix("hex_encoded")
        var counts = SuiteCounts(name: "TrieTests/\(file)")
        for (name, test) in tests.sorted(by: { $0.key < $1.key }) {
            guard let input = test["in"], let rootText = test["root"] as? String else {
                counts.record(false, "\(name): missing in/root")
                continue
            }
            let expected = try Hash(hex: rootText)
            let operations = try Self.operations(input)
            var ok = Self.root(of: operations, secure: secure) == expected
            if isAnyOrder {
                // "Any order" means any: the reversed insertion order must give the same root.
                ok = ok && Self.root(of: operations.reversed(), secure: secure) == expected
            }
            counts.record(ok, name)
        }
        counts.report()
        #expect(counts.failed == 0, "failures: \(counts.failures)")
        #expect(counts.passed > 0)
    }

    @Test("trietestnextprev.json: next and previous keys", .enabled(if: Fixtures.available))
    func nextPreviousFixtures() throws {
        let file = "trietestnextprev.json"
        let tests = try #require(try Fixtures.json("ethtests/TrieTests/\(file)") as? [String: [String: Any]])
        var counts = SuiteCounts(name: "TrieTests/\(file)")
        for (name, test) in tests.sorted(by: { $0.key < $1.key }) {
            let keys = try #require(test["in"] as? [String])
            let cases = try #require(test["tests"] as? [[String]])
            var trie = MerklePatriciaTrie()
            for key in keys { trie.update(key: Array(key.utf8), value: Array(key.utf8)) }
            for lookup in cases {
                // [key, previous, next]; "" stands for "no such key".
                let key = Array(lookup[0].utf8)
                let previous = trie.previousKey(before: key).map { String(decoding: $0, as: UTF8.self) } ?? ""
                let next = trie.nextKey(after: key).map { String(decoding: $0, as: UTF8.self) } ?? ""
                counts.record(previous == lookup[1] && next == lookup[2],
                              "\(name) \"\(lookup[0])\": got (\(previous), \(next)), want (\(lookup[1]), \(lookup[2]))")
            }
        }
        counts.report()
        #expect(counts.failed == 0, "failures: \(counts.failures)")
        #expect(counts.passed > 0)
    }

    @Test("the empty trie has the empty root, also after deleting everything")
    func emptyRoot() {
        var trie = MerklePatriciaTrie()
        #expect(trie.rootHash == MerklePatriciaTrie.emptyRootHash)
        #expect(trie.rootHash.hexString == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        trie.update(key: Array("dog".utf8), value: Array("puppy".utf8))
        #expect(trie.rootHash != MerklePatriciaTrie.emptyRootHash)
        trie.delete(key: Array("dog".utf8))
        #expect(trie.rootHash == MerklePatriciaTrie.emptyRootHash)
        #expect(trie.isEmpty && trie.count == 0)
    }

    @Test("get, replace and delete, with an empty value meaning delete")
    func getReplaceDelete() {
        var trie = MerklePatriciaTrie()
        trie.update(key: Array("do".utf8), value: Array("verb".utf8))
        trie.update(key: Array("dog".utf8), value: Array("puppy".utf8))
        trie.update(key: Array("doge".utf8), value: Array("coin".utf8))
        #expect(trie.get(key: Array("dog".utf8)) == Array("puppy".utf8))
        #expect(trie.get(key: Array("d".utf8)) == nil)
        #expect(trie.get(key: Array("dogs".utf8)) == nil)
        trie.update(key: Array("dog".utf8), value: Array("hound".utf8))
        #expect(trie.get(key: Array("dog".utf8)) == Array("hound".utf8))
        #expect(trie.count == 3)
        trie.update(key: Array("dog".utf8), value: [])
        #expect(trie.get(key: Array("dog".utf8)) == nil)
        #expect(trie.get(key: Array("doge".utf8)) == Array("coin".utf8))
        #expect(trie.count == 2)
        // Deleting an absent key changes nothing.
        let before = trie.rootHash
        trie.delete(key: Array("cat".utf8))
        trie.delete(key: Array("dogecoin".utf8))
        #expect(trie.rootHash == before && trie.count == 2)
    }

    @Test("deletion collapses a branch left with one child into the neighbouring leaf or extension")
    func deletionCollapses() {
        // Branch value + child → branch with only a value → leaf; extension + collapsed branch → merged leaf.
        let keys = ["abc", "abcd", "abce", "abd", "b"].map { Array($0.utf8) }
        for removed in keys.indices {
            var trie = MerklePatriciaTrie()
            for key in keys { trie.update(key: key, value: key + key) }
            trie.delete(key: keys[removed])
            var rebuilt = MerklePatriciaTrie()
            for (index, key) in keys.enumerated() where index != removed { rebuilt.update(key: key, value: key + key) }
            #expect(trie.rootHash == rebuilt.rootHash, "after deleting \(String(decoding: keys[removed], as: UTF8.self))")
            #expect(trie.nodes.count - trie.freeSlots.count == rebuilt.nodes.count - rebuilt.freeSlots.count)
        }
    }

    @Test("entries lists every key in byte order")
    func entriesInOrder() {
        var trie = MerklePatriciaTrie()
        let keys = ["doge", "do", "", "dog", "horse", "a"].map { Array($0.utf8) }
        for key in keys { trie.update(key: key, value: [1] + key) }
        let expected = keys.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(trie.entries.map(\.key) == expected)
        #expect(trie.entries.allSatisfy { $0.value == [1] + $0.key })
    }

    @Test("secure trie hashes keys before storing them")
    func secureTrie() {
        var secure = SecureTrie()
        var plain = MerklePatriciaTrie()
        for word in ["do", "dog", "doge", "horse"] {
            secure.update(key: Array(word.utf8), value: Array(word.utf8))
            plain.update(key: Keccak256.hash(Array(word.utf8)).bytes, value: Array(word.utf8))
        }
        #expect(secure.rootHash == plain.rootHash)
        #expect(secure.get(key: Array("dog".utf8)) == Array("dog".utf8))
        #expect(secure.count == 4)
    }
}

/// A fixture whose shape the test does not understand.
struct FixtureFormatError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
