import Chain
import EVM
import Primitives

/// The L2 genesis (`Specs/protocol.md` §4.1): Prague system contracts, the Lockstep predeploys with the shipped
/// runtime code, and on the harness the ten development accounts.
public enum L2Genesis {
    /// The predeploys: `L2_MESSENGER` and `L1_BLOCK_INFO`.
    public static var predeploys: [Address: InMemoryState.Account] {
        [
            RollupProtocol.messengerAddress: InMemoryState.Account(
                nonce: 1, code: try! Hex.decode(ContractArtifacts.l2MessengerRuntimeBytecode)),
            RollupProtocol.l1BlockInfoAddress: InMemoryState.Account(
                nonce: 1, code: try! Hex.decode(ContractArtifacts.l1BlockInfoRuntimeBytecode)),
        ]
    }

    /// The genesis allocation and configuration.
    /// - Parameter fundDevelopmentAccounts: 10,000 ETH to each development account (harness and dev mode only).
    public static func genesis(l2ChainId: UInt64, timestamp: UInt64, gasLimit: UInt64 = 30_000_000,
                               fundDevelopmentAccounts: Bool,
                               extraAlloc: [Address: InMemoryState.Account] = [:]) -> Genesis {
        var alloc = Genesis.systemContractsAlloc
        alloc.merge(predeploys) { _, new in new }
        if fundDevelopmentAccounts {
            let balance = U256(10_000) &* U256(1_000_000_000_000_000_000)
            for address in DevAccounts.addresses { alloc[address] = InMemoryState.Account(balance: balance) }
        }
        alloc.merge(extraAlloc) { _, new in new }
        return Genesis(config: L2BlockExecution.chainConfig(l2ChainId: l2ChainId), alloc: alloc, timestamp: timestamp,
                       gasLimit: gasLimit)
    }

    /// The genesis header: kind sequenced, anchored at the L1 block the Rollup contract was deployed against.
    public static func header(_ genesis: Genesis, stateRoot: Hash, l1AnchorNumber: UInt64,
                              l1AnchorHash: Hash) -> L2Header {
        var base = genesis.header(stateRoot: stateRoot)
        base.parentBeaconBlockRoot = .zero
        base.requestsHash = RollupProtocol.emptyRequestsHash
        return L2Header(base: base, kind: .sequenced, l1AnchorNumber: l1AnchorNumber, l1AnchorHash: l1AnchorHash)
    }
}
