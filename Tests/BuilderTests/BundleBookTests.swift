import Builder
import Chain
import EVM
import Foundation
import JSON
import Primitives
import RPCServer
import Rollup
import Store
import Testing

@Suite("Cross-layer bundle intake: parsing, hashes, replacement, durability")
struct BundleBookTests {
    static let l1ChainId: UInt64 = 31337
    static let l2ChainId: UInt64 = 313370

    static func raw(_ account: Int, chainId: UInt64, nonce: UInt64, value: UInt64 = 1) -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(50_000_000_000), gasLimit: 21_000, to: Address(word: U256(0x77)),
                    value: U256(value), data: [])
            .signed(with: DevAccounts.privateKeys[account])
    }

    static func object(l1Before: [Transaction] = [], l2: [Transaction] = [], l1After: [Transaction] = [],
                       block: UInt64 = 10, extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "l1Before": .array(l1Before.map { .data($0.networkEncoded) }), "l2": .array(l2.map { .data($0.networkEncoded) }),
            "l1After": .array(l1After.map { .data($0.networkEncoded) }), "blockNumber": .quantity(block),
        ]
        object.merge(extra) { _, new in new }
        return object
    }

    static func parse(_ object: [String: JSONValue]) throws -> CrossLayerBundle {
        try CrossLayerBundle.parse(object, l1ChainId: l1ChainId, l2ChainId: l2ChainId)
    }

    @Test("The bundle hash is §9.2's: the three legs' Flashbots hashes, hashed together")
    func bundleHash() throws {
        let before = Self.raw(1, chainId: Self.l1ChainId, nonce: 0)
        let l2 = Self.raw(1, chainId: Self.l2ChainId, nonce: 0)
        let bundle = try Self.parse(Self.object(l1Before: [before], l2: [l2]))
        let empty = Keccak256.hash([UInt8]())
        #expect(bundle.hash == Keccak256.hash(Keccak256.hash(before.hash.bytes).bytes + Keccak256.hash(l2.hash.bytes).bytes + empty.bytes))
        // The same transaction in another leg is another bundle (and the wrong chain id there is refused).
        #expect(throws: RPCError.self) { try Self.parse(Self.object(l1After: [l2])) }
    }

    @Test("Replacement and cancellation are per searcher, and every status survives a reopen")
    func replacementAndDurability() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("builder-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let searcher = DevAccounts.addresses[3]
        let uuid = UUID().uuidString.lowercased()
        var book = try BundleBook(log: try EventLog(path: path))
        let first = try Self.parse(Self.object(l2: [Self.raw(2, chainId: Self.l2ChainId, nonce: 0)],
                                               extra: ["replacementUuid": .string(uuid)]))
        await #expect(throws: RPCError.self) { try await book.add(first, params: .null, searcher: nil) }  // needs a signer
        let (firstHash, none) = try await book.add(first, params: .null, searcher: searcher)
        #expect(firstHash == first.hash && none == nil)
        let second = try Self.parse(Self.object(l2: [Self.raw(2, chainId: Self.l2ChainId, nonce: 0, value: 2)],
                                                extra: ["replacementUuid": .string(uuid)]))
        let (secondHash, replaced) = try await book.add(second, params: .null, searcher: searcher)
        #expect(replaced == first.hash && secondHash == second.hash)
        await #expect(throws: RPCError.self) { try await book.cancel(uuid: uuid, searcher: DevAccounts.addresses[4]) }
        let anonymous = try Self.parse(Self.object(l2: [Self.raw(5, chainId: Self.l2ChainId, nonce: 0)], block: 3))

        _ = try await book.add(anonymous, params: .null, searcher: nil)
        #expect(try await book.expire(l1Head: 3) == 1)
        book = try BundleBook(log: try EventLog(path: path))
        #expect(book.record(first.hash)?.status == .replaced)
        #expect(book.record(second.hash)?.status == .received)
        #expect(book.record(anonymous.hash)?.status == .notLanded)
        #expect(try await book.cancel(uuid: uuid, searcher: searcher) == second.hash)  // the replacement index was reloaded
        #expect(book.active().isEmpty)
    }
}
