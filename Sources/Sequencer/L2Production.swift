import Chain
import EVM
import Primitives
import Rollup
import State

/// What an L2 block is made of besides the pool's transactions (`Specs/protocol.md` §4).
public struct L2BlockPlan: Sendable {
    public var kind: L2BlockKind
    public var l1AnchorNumber: UInt64
    public var l1AnchorHash: Hash
    /// Deposits relayed by system calls before any transaction.
    public var deposits: [DepositMessage]
    /// Transactions that must go first, each group all or nothing (a based block's contents; on replay, the
    /// whole logged block as one group).
    public var groups: [TransactionGroup]

    public init(kind: L2BlockKind, l1AnchorNumber: UInt64, l1AnchorHash: Hash, deposits: [DepositMessage] = [],
                groups: [TransactionGroup] = []) {
        self.kind = kind
        self.l1AnchorNumber = l1AnchorNumber
        self.l1AnchorHash = l1AnchorHash
        self.deposits = deposits
        self.groups = groups
    }
}

/// Builds L2 blocks with the one block builder: the L2's anchor and deposit system calls are the forced prefix's
/// prelude, and the seal adds the rollup header fields (inbox hash, outbox root). The sequencer builds with it,
/// and replays logged blocks with it (the logged block as one forced group, on an empty pool).
public enum L2Production {
    /// The attributes of an L2 block: the fixed fields of §3.1 (zero prevrandao and beacon root, no withdrawals).
    public static func attributes(timestamp: UInt64, coinbase: Address, gasLimit: UInt64? = nil) -> BlockAttributes {
        BlockAttributes(timestamp: timestamp, coinbase: coinbase, prevRandao: .zero, parentBeaconBlockRoot: .zero,
                        withdrawals: [], gasLimit: gasLimit, extraData: [])
    }

    /// The forced prefix and seal for `plan` on top of `chain`'s head, for `BlockBuilder.build` or
    /// `NodeChain.produce`.
    public static func recipe(on chain: Blockchain, attributes: BlockAttributes, plan: L2BlockPlan)
        -> (prefix: ForcedPrefix, seal: (inout BlockHeader, BlockExecutionResult) throws(InvalidBlock) -> Void) {
        let (prefix, seal, _) = recording(on: chain, attributes: attributes, plan: plan)
        return (prefix, seal)
    }

    /// `recipe`, and what the block's execution relayed: after the build, `relayed.outbox` holds the block's
    /// outbox leaves (the withdrawal ids of its system calls and transactions, in order).
    static func recording(on chain: Blockchain, attributes: BlockAttributes, plan: L2BlockPlan)
        -> (prefix: ForcedPrefix, seal: (inout BlockHeader, BlockExecutionResult) throws(InvalidBlock) -> Void,
            relayed: Relayed) {
        let l2ChainId = chain.config.chainId
        let template = L2Header(base: BlockBuilder.template(after: chain.head, config: chain.config, attributes: attributes),
                                kind: plan.kind, l1AnchorNumber: plan.l1AnchorNumber, l1AnchorHash: plan.l1AnchorHash)
        // The prelude runs once per trial of a group and once for real, last; what it saw last is the block's.
        let relayed = Relayed()
        let prefix = ForcedPrefix(prelude: { (execution: BlockExecution) throws(InvalidBlock) in
            do {
                let l2 = try L2BlockExecution(l2ChainId: l2ChainId, header: template, execution: execution)
                for deposit in plan.deposits { try l2.deliver(deposit) }
                relayed.depositIds = l2.depositIds
                relayed.withdrawalIds = l2.withdrawalIds
            } catch {
                throw InvalidBlock(.systemContractCallFailed, "\(error)")
            }
        }, groups: plan.groups)
        let seal = { (header: inout BlockHeader, result: BlockExecutionResult) throws(InvalidBlock) in
            let withdrawals = relayed.withdrawalIds + L2BlockExecution.withdrawalIds(in: result.receipts.flatMap(\.logs))
            relayed.outbox = withdrawals
            Self.seal(&header, plan: plan, depositIds: relayed.depositIds, withdrawalIds: withdrawals)
        }
        return (prefix, seal, relayed)
    }

    /// Seals `header` (every Ethereum field filled in) as an L2 header of `plan`'s kind and anchor, with the inbox
    /// hash of `depositIds` and the outbox root of `withdrawalIds` (the deposits' withdrawals, then the
    /// transactions', in order).
    public static func seal(_ header: inout BlockHeader, plan: L2BlockPlan, depositIds: [Hash], withdrawalIds: [Hash]) {
        var l2 = L2Header(base: header, kind: plan.kind, l1AnchorNumber: plan.l1AnchorNumber,
                          l1AnchorHash: plan.l1AnchorHash, inboxHash: InboxHash.of(depositIds),
                          outboxRoot: Outbox.root(withdrawalIds))
        l2.base.requestsHash = RollupProtocol.emptyRequestsHash  // §3.1: no execution-layer requests on the L2
        header = l2.blockHeader
    }

    /// Rebuilds `block` on `chain`'s head from its own contents (its deposits, then its transactions as one group,
    /// with its header's time, coinbase, gas limit, kind and anchor) without appending it.
    /// - Throws: `L2BlockError` when the result is not the block (another hash), `InvalidBlock` when it does not
    ///   execute; nothing changes either way.
    public static func rebuild(_ block: L2Block, on chain: Blockchain) throws -> (built: BuiltBlock, withdrawalIds: [Hash]) {
        let base = block.header.base
        guard base.parentHash == chain.head.hash else {
            throw L2BlockError("L2 block \(block.number) (\(block.hash)) has parent \(base.parentHash), not the head " +
                               "\(chain.head.number) (\(chain.head.hash))")
        }
        let attributes = self.attributes(timestamp: base.timestamp, coinbase: base.coinbase, gasLimit: base.gasLimit)
        let recovered = Transaction.recoverSenders(block.transactions)
        let senders = try block.transactions.indices.map { index in
            if let sender = recovered[index] { return sender }
            return try block.transactions[index].recoverSender()  // throws what is wrong with the signature
        }
        let plan = L2BlockPlan(kind: block.header.kind, l1AnchorNumber: block.header.l1AnchorNumber,
                               l1AnchorHash: block.header.l1AnchorHash, deposits: block.deposits,
                               groups: block.transactions.isEmpty ? [] : [TransactionGroup(
                                   transactions: block.transactions, senders: senders,
                                   revertible: Set(block.transactions.map(\.hash)))])
        let (prefix, seal, relayed) = recording(on: chain, attributes: attributes, plan: plan)
        let built = try BlockBuilder().build(on: chain, pool: TransactionPool(chainId: chain.config.chainId),
                                             attributes: attributes, prefix: prefix, seal: seal)
        guard built.block.header.hash == block.hash else {
            throw L2BlockError("L2 block \(block.number) does not rebuild to itself: its hash is \(block.hash), " +
                               "its contents give \(built.block.header.hash)")
        }
        return (built, relayed.outbox)
    }

    /// Replays a logged L2 block on `chain`: rebuilds it and appends it if the result is the block (same hash);
    /// nothing changes otherwise.
    /// - Throws: `L2BlockError` when it does not rebuild to itself.
    @discardableResult
    public static func replay(_ block: L2Block, on chain: Blockchain) throws -> [Hash] {
        let (built, withdrawalIds) = try rebuild(block, on: chain)
        chain.append(built: built)
        return withdrawalIds
    }

    /// What the prelude saw, for the seal.
    final class Relayed: @unchecked Sendable {
        // @unchecked: used only on the thread that builds the block.
        var depositIds: [Hash] = []
        var withdrawalIds: [Hash] = []
        /// The block's outbox leaves, set by the seal.
        var outbox: [Hash] = []
    }
}

extension L2Block {
    /// The L2 block a built block is (its header carries the rollup fields), with the deposits it relayed.
    public init(built block: Block, deposits: [DepositMessage]) throws(L2BlockError) {
        self.init(header: try L2Header(blockHeader: block.header), transactions: block.transactions, deposits: deposits)
    }
}
