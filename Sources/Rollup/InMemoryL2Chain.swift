import Chain
import EVM
import Primitives
import State

/// An L2 chain held in memory: produces blocks under the L2 rules (`L2BlockExecution`) on a `WorldState`, and the
/// execution witness of any range of them (the reads recorded against the range's pre-state). The protocol tools
/// (`lockstep protocol scenario`) and tests build blocks with it; it keeps no history beyond the blocks it made.
public final class InMemoryL2Chain {
    public let l2ChainId: UInt64
    public let world: WorldState
    public private(set) var head: L2Header
    public private(set) var blocks: [L2Block] = []
    // The range being recorded for a witness.
    private var rangePre: [Address: InMemoryState.Account]
    private var recorder: RecordingBackend
    private var rangeChanges: [AccountChange] = []
    /// The parent of the range being recorded.
    public private(set) var rangeParent: L2Header

    /// A chain at its genesis (`L2Genesis`, development accounts funded).
    public init(l2ChainId: UInt64 = RollupProtocol.devnetL2ChainId, extraAlloc: [Address: InMemoryState.Account] = [:],
         l1AnchorNumber: UInt64 = 1, l1AnchorHash: Hash = Keccak256.hash(Array("l1 block 1".utf8))) {
        self.l2ChainId = l2ChainId
        let genesis = L2Genesis.genesis(l2ChainId: l2ChainId, timestamp: 1_765_000_000,
                                        fundDevelopmentAccounts: true, extraAlloc: extraAlloc)
        self.world = WorldState(accounts: genesis.alloc)
        self.head = L2Genesis.header(genesis, stateRoot: self.world.stateRoot, l1AnchorNumber: l1AnchorNumber,
                                     l1AnchorHash: l1AnchorHash)
        self.world.setBlockHash(self.head.hash, number: 0)
        self.rangePre = self.world.accounts
        self.recorder = RecordingBackend(self.world)
        self.rangeParent = self.head
    }

    /// Starts recording a new witness range on top of the current head.
    public func startRange() {
        self.rangePre = self.world.accounts
        self.recorder = RecordingBackend(self.world)
        self.rangeChanges = []
        self.rangeParent = self.head
    }

    /// The witness of every block produced since `startRange()`.
    public func witness() -> ExecutionWitness {
        let pre = InMemoryState(accounts: self.rangePre)
        for (number, hash) in self.hashes { pre.blockHashes[number] = hash }
        return WitnessBuilder.build(pre: pre, recorder: self.recorder, changes: self.rangeChanges)
    }

    private var hashes: [UInt64: Hash] = [:]

    /// Produces and commits the next block.
    /// - Throws: `L2BlockError` or `InvalidBlock` when a deposit or transaction cannot be included; nothing changes.
    @discardableResult
    public func produce(kind: L2BlockKind = .sequenced, deposits: [DepositMessage] = [], transactions: [Transaction] = [],
                 coinbase: Address = DevAccounts.addresses[9], l1AnchorNumber: UInt64? = nil,
                 l1AnchorHash: Hash? = nil, timestamp: UInt64? = nil) throws -> L2Block {
        let template = L2Header.template(
            parentHash: self.head.hash, number: self.head.number + 1, timestamp: timestamp ?? self.head.base.timestamp + 1,
            gasLimit: self.head.base.gasLimit, baseFeePerGas: FeeMarket.nextBaseFee(parent: self.head.base),
            coinbase: coinbase, kind: kind, l1AnchorNumber: l1AnchorNumber ?? self.head.l1AnchorNumber,
            l1AnchorHash: l1AnchorHash ?? self.head.l1AnchorHash)
        let execution = try L2BlockExecution(l2ChainId: self.l2ChainId, header: template, backend: self.recorder)
        for deposit in deposits { try execution.deliver(deposit) }
        for transaction in transactions { try execution.apply(transaction) }
        let outcome = try execution.finish()
        let pending = try self.world.prepare(outcome.changes.changes)
        let header = outcome.seal(template, stateRoot: pending.stateRoot)
        self.world.commit(pending)
        self.world.setBlockHash(header.hash, number: header.number)
        self.hashes[header.number] = header.hash
        self.rangeChanges += outcome.changes.changes
        self.head = header
        let block = L2Block(header: header, transactions: transactions, deposits: deposits)
        self.blocks.append(block)
        return block
    }

    /// Signs an EIP-1559 transaction for this chain.
    public func transaction(key: Int, nonce: UInt64, to: Address?, value: U256 = .zero, data: [UInt8] = [],
                     gas: UInt64 = 300_000) -> Transaction {
        Transaction(type: .dynamicFee, chainId: self.l2ChainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(50_000_000_000), gasLimit: gas, to: to, value: value, data: data)
            .signed(with: DevAccounts.privateKeys[key])
    }
}
