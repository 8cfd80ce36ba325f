import Chain
import EVM
import Primitives
import Testing

@Suite struct BloomTests {
    /// The execution specs' `logs_bloom` of one log from 0x…7002 with the topic keccak("Transfer(address,address,uint256)").
    @Test func bloomOfAKnownLog() throws {
        let log = Log(address: try Address(hex: "0x00000961ef480eb55e80d19ad83579a64c007002"),
                      topics: [Keccak256.hash(Array("Transfer(address,address,uint256)".utf8))], data: [])
        let bloom = Bloom(logs: [log])
        let setBytes = bloom.bytes.indices.filter { bloom.bytes[$0] != 0 }
        #expect(setBytes == [5, 15, 75, 79, 123, 195])
        let expected = "0x"
            + "000000000080000000000000000000400000000000000000000000000000000000000000000000000000000000000000"
            + "000000000000000000000000000000000000000000000000000000080000000200000000000000000000000000000000"
            + "000000000000000000000000000000000000000000000000000000100000000000000000000000000000000000000000"
            + "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "000000020000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "00000000000000000000000000000000"
        #expect(bloom.description == expected)
        #expect(bloom.mayContain(address: log.address))
        #expect(bloom.mayContain(topic: log.topics[0]))
        #expect(!bloom.mayContain(address: .zero))
    }
}

@Suite struct ReceiptTests {
    @Test(arguments: [TransactionType.legacy, .dynamicFee, .blob, .setCode])
    func typedEncodingRoundTrips(_ type: TransactionType) throws {
        let log = Log(address: try Address(hex: "0x00000000219ab540356cbb839cbe05303d7705fa"),
                      topics: [Hash(word: U256(9))], data: [1, 2, 3])
        let receipt = Receipt(type: type, succeeded: type != .blob, cumulativeGasUsed: 123_456, logs: [log, log])
        let encoded = receipt.encoded
        if type == .legacy { #expect(encoded.first! >= 0xc0) } else { #expect(encoded.first == type.rawValue) }
        #expect(try Receipt.decode(encoded) == receipt)
    }

    @Test func emptyTriesHaveTheEmptyRoot() {
        #expect(OrderedTrie.receiptsRoot([]) == BlockHeader.emptyTrieRoot)
        #expect(OrderedTrie.withdrawalsRoot([]) == BlockHeader.emptyTrieRoot)
    }
}
