import Chain
import FixtureSupport
import Foundation
import Primitives
import Testing

@Suite struct BlockHeaderTests {
    static let pragueHeader = BlockHeader(
        parentHash: Hash(word: U256(1)), coinbase: try! Address(hex: "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba"),
        number: 7, gasLimit: 30_000_000, gasUsed: 21_000, timestamp: 84, extraData: [0xca, 0xfe],
        baseFeePerGas: U256(7), withdrawalsRoot: BlockHeader.emptyTrieRoot, blobGasUsed: 131_072,
        excessBlobGas: 0, parentBeaconBlockRoot: Hash(word: U256(2)),
        requestsHash: ExecutionRequest.requestsHash([]))

    @Test func rlpRoundTripKeepsEveryField() throws {
        let header = Self.pragueHeader
        let decoded = try BlockHeader.decode(rlp: header.rlpEncoded)
        #expect(decoded == header)
        #expect(decoded.hash == header.hash)
    }

    @Test func optionalFieldsStopWhereTheForkDoes() throws {
        var cancun = Self.pragueHeader
        cancun.requestsHash = nil
        let decoded = try BlockHeader.decode(rlp: cancun.rlpEncoded)
        #expect(decoded.requestsHash == nil)
        #expect(decoded.parentBeaconBlockRoot == cancun.parentBeaconBlockRoot)
        #expect(throws: InvalidBlock.self) {
            try ChainConfig(chainId: 1, fork: .prague).checkHeaderFormat(decoded)
        }
        try ChainConfig(chainId: 1, fork: .cancun).checkHeaderFormat(decoded)
    }

    /// The genesis header of an execution-spec-tests fixture: decoding and re-encoding keeps its hash.
    @Test func fixtureGenesisHashMatches() throws {
        guard Fixtures.available else { return }
        let path = "eest/blockchain_tests/prague/eip7002_el_triggerable_withdrawals/test_eip_7002.json"
        guard FileManager.default.fileExists(atPath: Fixtures.url(path).path) else {
            print("fixture \(path) absent: test SKIPPED")
            return
        }
        let tests = try #require(try Fixtures.json(path) as? [String: Any])
        for (_, value) in tests {
            let test = try #require(value as? [String: Any])
            let header = try #require(test["genesisBlockHeader"] as? [String: Any])
            let rlp = try Hex.decode(try #require(test["genesisRLP"] as? String))
            let block = try Block.decode(rlp: rlp)
            #expect(block.hash == (try Hash(hex: try #require(header["hash"] as? String))))
            #expect(block.rlpEncoded == rlp)
            #expect(block.header.requestsHash != nil)
            #expect(block.header.stateRoot == (try Hash(hex: try #require(header["stateRoot"] as? String))))
            // Every block of the test re-encodes to its fixture bytes.
            for entry in test["blocks"] as? [[String: Any]] ?? [] {
                let bytes = try Hex.decode(try #require(entry["rlp"] as? String))
                #expect(try Block.decode(rlp: bytes).rlpEncoded == bytes)
            }
        }
    }
}

@Suite struct BlockDecodingTests {
    static let validBlock = Block(header: BlockHeaderTests.pragueHeader, transactions: [], withdrawals: [])

    @Test(arguments: [
        ("empty input", [UInt8]()),
        ("a byte string", [0x83, 0x01, 0x02, 0x03]),
        ("an empty list", [0xc0]),
        ("a list of one byte", [0xc1, 0x01]),
        ("a truncated length", [0xf9, 0x01]),
    ] as [(String, [UInt8])])
    func malformedBytesAreRejected(_ label: String, _ bytes: [UInt8]) {
        #expect(throws: InvalidBlock.self, "\(label)") { try Block.decode(rlp: bytes) }
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = Self.validBlock.rlpEncoded
        #expect(try Block.decode(rlp: bytes) == Self.validBlock)
        for length in 0..<bytes.count {
            do {
                _ = try Block.decode(rlp: Array(bytes[..<length]))
                Issue.record("a block truncated to \(length) bytes decoded")
            } catch {
                #expect(error.code == .malformed)
            }
        }
    }

    @Test func trailingBytesAndWrongFieldSizesAreRejected() throws {
        let bytes = Self.validBlock.rlpEncoded
        #expect(throws: InvalidBlock.self) { try Block.decode(rlp: bytes + [0x00]) }
        // A header with a 31-byte parent hash.
        var header = RLPEncoder()
        header.appendList { list in list.append(bytes: [UInt8](repeating: 1, count: 31)) }
        var block = RLPEncoder()
        block.appendList { list in
            list.append(encoded: header.bytes)
            list.appendList { _ in }
            list.appendList { _ in }
        }
        do {
            _ = try Block.decode(rlp: block.bytes)
            Issue.record("a 31-byte parent hash decoded")
        } catch {
            #expect(error.code == .malformed)
            #expect(error.message.contains("parent hash"))
        }
    }

    @Test func aTypedTransactionMustNotWrapALegacyOne() throws {
        var block = RLPEncoder()
        block.appendList { list in
            Self.validBlock.header.encode(into: &list)
            list.appendList { transactions in transactions.append(bytes: [0xc0]) }
            list.appendList { _ in }
            list.appendList { _ in }
        }
        #expect(throws: InvalidBlock.self) { try Block.decode(rlp: block.bytes) }
    }
}
