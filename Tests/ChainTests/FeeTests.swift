import Chain
import EVM
import Primitives
import Testing

@Suite struct FeeMarketTests {
    /// Vectors from the execution specs' `calculate_base_fee_per_gas` (Prague).
    @Test(arguments: [
        (30_000_000, 15_000_000, 1_000_000_000, 1_000_000_000),  // at target: unchanged
        (30_000_000, 30_000_000, 1_000_000_000, 1_125_000_000),  // full: +12.5 %
        (30_000_000, 0, 1_000_000_000, 875_000_000),  // empty: -12.5 %
        (30_000_000, 15_000_001, 7, 8),  // above target by a hair: at least +1
        (30_000_000, 20_000_000, 123_456_789, 128_600_821),
    ] as [(UInt64, UInt64, UInt64, UInt64)])
    func nextBaseFee(_ gasLimit: UInt64, _ gasUsed: UInt64, _ baseFee: UInt64, _ expected: UInt64) {
        #expect(FeeMarket.nextBaseFee(parentGasLimit: gasLimit, parentGasUsed: gasUsed, parentBaseFee: U256(baseFee))
                == U256(expected))
    }

    @Test func gasLimitMovesLessThanOneIn1024() {
        #expect(FeeMarket.isValidGasLimit(30_000_000, parentGasLimit: 30_000_000))
        #expect(FeeMarket.isValidGasLimit(30_029_295, parentGasLimit: 30_000_000))
        #expect(!FeeMarket.isValidGasLimit(30_029_296, parentGasLimit: 30_000_000))
        #expect(FeeMarket.isValidGasLimit(29_970_705, parentGasLimit: 30_000_000))
        #expect(!FeeMarket.isValidGasLimit(29_970_704, parentGasLimit: 30_000_000))
        #expect(!FeeMarket.isValidGasLimit(4_999, parentGasLimit: 5_000))
    }
}

@Suite struct BlobGasTests {
    /// Vectors from the execution specs' `calculate_blob_gas_price` (Cancun and Prague fractions).
    @Test(arguments: [
        (0, 1, 1), (786_432, 1, 1), (10_000_000, 7, 19), (100_000_000, 470_442_149, 10_203_769_476_395),
    ] as [(UInt64, UInt64, UInt64)])
    func blobBaseFee(_ excess: UInt64, _ prague: UInt64, _ cancun: UInt64) {
        #expect(BlobParameters.prague.blobBaseFee(excessBlobGas: excess) == U256(prague))
        #expect(BlobParameters.cancun.blobBaseFee(excessBlobGas: excess) == U256(cancun))
    }

    @Test func excessBlobGasCarriesWhatIsAboveTarget() {
        let prague = BlobParameters.prague
        #expect(prague.targetBlobGasPerBlock == 786_432)
        #expect(prague.maxBlobGasPerBlock == 1_179_648)
        #expect(prague.excessBlobGas(parentExcessBlobGas: 0, parentBlobGasUsed: 786_432) == 0)
        #expect(prague.excessBlobGas(parentExcessBlobGas: 0, parentBlobGasUsed: 1_179_648) == 393_216)
        #expect(prague.excessBlobGas(parentExcessBlobGas: 100, parentBlobGasUsed: 0) == 0)
        #expect(BlobParameters.cancun.excessBlobGas(parentExcessBlobGas: 0, parentBlobGasUsed: 786_432) == 393_216)
    }
}

@Suite struct RequestsTests {
    @Test func noRequestsHashToSha256OfNothing() throws {
        #expect(ExecutionRequest.requestsHash([])
                == (try Hash(hex: "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")))
    }

    @Test func requestsHashIsSha256OfTheRequestHashes() {
        let requests = [ExecutionRequest(type: .withdrawal, data: [1, 2, 3]),
                        ExecutionRequest(type: .consolidation, data: [4])]
        let expected = SHA256.hash(SHA256.hash([0x01, 1, 2, 3]) + SHA256.hash([0x02, 4]))
        #expect(ExecutionRequest.requestsHash(requests).bytes == expected)
    }

    @Test func depositEventWithAWrongLengthIsRejected() {
        let log = Log(address: DepositLogParser.depositContract, topics: [DepositLogParser.depositEventTopic],
                      data: [UInt8](repeating: 0, count: 575))
        do {
            _ = try DepositLogParser.depositRequestData(logs: [log])
            Issue.record("a 575-byte deposit event was accepted")
        } catch {
            #expect(error.code == .depositEventLayout)
        }
    }

    @Test func logsOfOtherContractsOrEventsAreNotDeposits() throws {
        let other = Log(address: .zero, topics: [DepositLogParser.depositEventTopic], data: [1])
        let otherEvent = Log(address: DepositLogParser.depositContract, topics: [], data: [1])
        #expect(try DepositLogParser.depositRequestData(logs: [other, otherEvent]).isEmpty)
    }
}
