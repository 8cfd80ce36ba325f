import Chain
import EVM
import Primitives

/// What makes one chain's blocks differ from another's, for the node core: the genesis header, how a logged block
/// is replayed, and which transactions the chain refuses outright. The L1 devnet runs Ethereum's; the L2 adds
/// the rollup header fields, its system calls and its certificates (`Sequencer.L2Rules`).
public protocol ChainRules: Sendable {
    /// Adjusts the genesis header Ethereum's rules make (the state root aside).
    func adjustGenesis(_ header: inout BlockHeader)
    /// Re-executes a block event's payload on `chain` and appends it.
    /// - Throws: when the block is malformed or its execution does not give what it states.
    func replay(_ payload: [UInt8], on chain: Blockchain) throws
    /// Refuses a transaction the chain never takes, before the pool's checks (an L2 refuses blob transactions).
    func screen(_ transaction: Transaction) throws
}

/// Ethereum's rules: logged blocks are Ethereum blocks, imported with full validation.
public struct EthereumRules: ChainRules {
    public init() {}
    public func adjustGenesis(_ header: inout BlockHeader) {}
    public func replay(_ payload: [UInt8], on chain: Blockchain) throws {
        try chain.importBlock(Block.decode(rlp: payload))
    }
    public func screen(_ transaction: Transaction) throws {}
}
