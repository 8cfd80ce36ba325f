import Chain
import EVM
import Foundation
import Primitives

extension Genesis {
    /// Lockstep's default L1: anvil's chain id 31337, Prague from genesis with the system contracts, the ten
    /// development accounts funded with 10,000 ETH, a 1 gwei base fee, and `extraAccounts` besides.
    public static func devnetL1(chainId: UInt64 = 31337, timestamp: UInt64, gasLimit: UInt64 = 30_000_000,
                                extraAccounts: [Address: InMemoryState.Account] = [:]) -> Genesis {
        var genesis = Genesis.devnet(chainId: chainId, timestamp: timestamp, extraAlloc: extraAccounts)
        genesis.gasLimit = gasLimit
        genesis.extraData = Array("lockstep".utf8)
        return genesis
    }
}
