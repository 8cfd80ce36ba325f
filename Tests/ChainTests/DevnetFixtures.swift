import Chain
import EVM
import Primitives

/// Shared helpers for tests that run a small devnet chain.
enum Devnet {
    static let chainId: UInt64 = 1337
    static let gwei = U256(1_000_000_000)
    static let recipient = try! Address(hex: "0x00000000000000000000000000000000000000aa")
    /// A contract that logs one word (42) with the topic `logTopic` and stops.
    static let logger = try! Address(hex: "0x00000000000000000000000000000000000000bb")
    static let logTopic = Hash(word: U256(0x1234))
    static let loggerCode: [UInt8] = [0x60, 0x2a, 0x60, 0x00, 0x52, 0x7f] + logTopic.bytes
        + [0x60, 0x20, 0x60, 0x00, 0xa1, 0x00]

    /// A contract that loops until it runs out of gas (JUMPDEST PUSH1 0 JUMP).
    static let burner = try! Address(hex: "0x00000000000000000000000000000000000000cc")

    static func genesis() -> Genesis {
        Genesis.devnet(chainId: chainId, timestamp: 1_000,
                       extraAlloc: [logger: InMemoryState.Account(nonce: 1, code: loggerCode),
                                    burner: InMemoryState.Account(nonce: 1, code: [0x5b, 0x60, 0x00, 0x56])])
    }

    /// An EIP-1559 transaction from dev account `account`, signed.
    static func transaction(from account: Int, nonce: UInt64, tip: UInt64 = 1, feeCap: UInt64 = 100,
                            gasLimit: UInt64 = 21_000, to: Address? = recipient, value: U256 = U256(1),
                            data: [UInt8] = [], chainId: UInt64 = chainId) -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: U256(tip) &* gwei,
                    maxFeePerGas: U256(feeCap) &* gwei, gasLimit: gasLimit, to: to, value: value, data: data)
            .signed(with: DevAccounts.privateKeys[account])
    }

    static func attributes(after chain: Blockchain, gasLimit: UInt64? = nil) -> BlockAttributes {
        BlockAttributes(timestamp: chain.headHeader.timestamp + 12, coinbase: Address(word: U256(0xc0ffee)),
                        prevRandao: Hash(word: U256(chain.headHeader.number + 7)),
                        parentBeaconBlockRoot: Hash(word: U256(chain.headHeader.number + 100)), gasLimit: gasLimit)
    }
}
