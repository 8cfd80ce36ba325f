import Foundation
import Primitives
import FixtureSupport
import Testing
@testable import State

/// Account encoding and the storage and state roots built from them.
@Suite("State roots")
struct StateRootTests {
    @Test("empty constants")
    func emptyConstants() {
        #expect(AccountRecord.emptyCodeHash.hexString
            == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(StateRoot.storageRoot([:]) == MerklePatriciaTrie.emptyRootHash)
        #expect(StateRoot.storageRoot([1: 0]) == MerklePatriciaTrie.emptyRootHash)
        #expect(StateRoot.stateRoot([:]) == MerklePatriciaTrie.emptyRootHash)
    }

    @Test("account RLP round trip and the hex_encoded_securetrie_test values")
    func accountRecord() throws {
        let account = AccountRecord(nonce: 1, balance: U256(0x05f4_46a7))
        let encoded = account.rlpEncoded
        #expect(Hex.encode(encoded) == "0xf848018405f446a7a056e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421a0c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(try AccountRecord(rlp: encoded) == account)
        #expect(throws: RLPError.self) { try AccountRecord(rlp: encoded + [0]) }
    }

    @Test("stateRoot of the hex_encoded_securetrie_test accounts", .enabled(if: Fixtures.available))
    func stateRootFixture() throws {
        let tests = try #require(
            try Fixtures.json("ethtests/TrieTests/hex_encoded_securetrie_test.json") as? [String: [String: Any]])
        for (name, test) in tests {
            let input = try #require(test["in"] as? [String: String])
            var accounts: [Address: AccountRecord] = [:]
            for (address, value) in input {
                accounts[try Address(hex: address)] = try AccountRecord(rlp: try Hex.decode(value))
            }
            #expect(StateRoot.stateRoot(accounts) == (try Hash(hex: try #require(test["root"] as? String))), "\(name)")
        }
    }

    @Test("storageRoot: keccak(slot) → rlp(value), zero values omitted")
    func storageRoot() {
        var trie = SecureTrie()
        trie.update(key: U256(1).bigEndianBytes, value: [0x82, 0x01, 0x00])
        trie.update(key: U256(2).bigEndianBytes, value: [0x05])
        #expect(StateRoot.storageRoot([1: 0x100, 2: 5, 3: 0]) == trie.rootHash)
        #expect(StateRoot.storageValueEncoding(5) == [0x05])
        #expect(StateRoot.storageValueEncoding(0x80) == [0x81, 0x80])
    }
}
