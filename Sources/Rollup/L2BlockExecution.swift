import Chain
import EVM
import Primitives

/// One L2 block executing under the L2's rules (`Specs/protocol.md` §4): Prague with the anchor system call,
/// deposits relayed by system calls at the top, no blob transactions, and the outbox collected from the
/// messenger's `SentToL1` logs. Runs on any state backend: the sequencer's world state, a builder's forked
/// overlay, or a stateless witness.
public final class L2BlockExecution {
    public let l2ChainId: UInt64
    public let header: L2Header
    public let execution: BlockExecution
    /// The ids of the deposits delivered so far, in order.
    public private(set) var depositIds: [Hash] = []
    /// The outbox leaves so far: ids of the withdrawals the block emitted, in execution order.
    public private(set) var withdrawalIds: [Hash] = []
    /// The block's transactions applied so far.
    public private(set) var transactions: [Transaction] = []

    /// The chain configuration of an L2: Prague from genesis.
    public static func chainConfig(l2ChainId: UInt64) -> ChainConfig {
        var config = ChainConfig(chainId: l2ChainId, fork: .prague)
        config.timestampsMayRepeat = true  // §4: several blocks a second share a timestamp
        return config
    }

    /// Starts the block: the Prague pre-block system calls, then the anchor system call.
    /// - Throws: `L2BlockError` when the anchor call fails (the L1 block info predeploy is missing or broken).
    public convenience init(l2ChainId: UInt64, header: L2Header, backend: StateBackend) throws(L2BlockError) {
        try self.init(l2ChainId: l2ChainId, header: header,
                      execution: BlockExecution(config: Self.chainConfig(l2ChainId: l2ChainId), header: header.base,
                                                backend: backend))
    }

    /// Starts the block on an execution already begun for `header.base` (the block builder's, when the
    /// sequencer builds): the anchor system call.
    public init(l2ChainId: UInt64, header: L2Header, execution: BlockExecution) throws(L2BlockError) {
        self.l2ChainId = l2ChainId
        self.header = header
        self.execution = execution
        let anchorCall = Self.setAnchorSelector
            + U256(header.l1AnchorNumber).bigEndianBytes + header.l1AnchorHash.bytes
        let (result, _) = self.systemCall(RollupProtocol.l1BlockInfoAddress, input: anchorCall,
                                          gas: RollupProtocol.anchorSystemGas)
        guard result.success else {
            throw L2BlockError("L2 block \(header.number): the anchor system call to \(RollupProtocol.l1BlockInfoAddress) failed (\(result.haltReason ?? "reverted"))")
        }
    }

    /// Continues a block whose opening system calls (the Prague pre-block calls and the anchor) already ran into
    /// `backend`: a checkpoint of the block's start that many simulations share (`JointSimulator`'s drafts).
    public init(l2ChainId: UInt64, header: L2Header, startedOn backend: StateBackend) {
        self.l2ChainId = l2ChainId
        self.header = header
        self.execution = BlockExecution(config: Self.chainConfig(l2ChainId: l2ChainId), header: header.base,
                                        startedOn: backend)
    }

    static let setAnchorSelector = Array(Keccak256.digest(Array("setAnchor(uint256,bytes32)".utf8)).prefix(4))

    /// Relays one deposit: mints its value to the messenger and calls `relayDeposit` from the system address.
    /// - Throws: `L2BlockError` when the relay reverts (a deposit relayed twice, or a broken messenger): the block
    ///   is invalid.
    public func deliver(_ deposit: DepositMessage) throws(L2BlockError) {
        let id = deposit.id(l2ChainId: self.l2ChainId)
        guard self.transactions.isEmpty else {
            throw L2BlockError("L2 block \(self.header.number): deposit \(id) comes after a transaction; deposits go first")
        }
        self.execution.state.addBalance(RollupProtocol.messengerAddress, deposit.value)
        let (result, logs) = self.systemCall(RollupProtocol.messengerAddress, input: deposit.relayCalldata,
                                             gas: RollupProtocol.depositSystemGas)
        guard result.success else {
            throw L2BlockError("L2 block \(self.header.number): relaying deposit \(id) failed (\(result.haltReason ?? "reverted"))")
        }
        self.depositIds.append(id)
        self.collectWithdrawals(logs)
    }

    /// Gas the block can still give a transaction.
    public var gasAvailable: UInt64 { self.execution.gasAvailable }

    /// Executes one transaction. When it is not includable nothing changes and the error says why.
    /// - Throws: `InvalidBlock` with the rule broken; blob transactions are refused on the L2.
    @discardableResult
    public func apply(_ transaction: Transaction, sender: Address? = nil) throws(InvalidBlock) -> Receipt {
        guard transaction.type != .blob else {
            throw InvalidBlock(transactionIndex: self.transactions.count, code: "TYPE_3_TX_ON_L2",
                               message: "blob transactions are not valid on the L2")
        }
        let receipt = try self.execution.apply(transaction, sender: sender)
        self.transactions.append(transaction)
        self.collectWithdrawals(receipt.logs)
        return receipt
    }

    /// Finishes the block: the Prague post-block calls, the inbox hash and the outbox root.
    public func finish() throws(L2BlockError) -> L2BlockOutcome {
        let changes: BlockChanges
        do {
            changes = try self.execution.finishChanges()
        } catch {
            throw L2BlockError("L2 block \(self.header.number): \(error.message)")
        }
        return L2BlockOutcome(changes: changes, transactions: self.transactions, depositIds: self.depositIds,
                              withdrawalIds: self.withdrawalIds)
    }

    /// Collects the withdrawals in `logs` (the messenger's `SentToL1` events).
    func collectWithdrawals(_ logs: [Log]) {
        self.withdrawalIds += Self.withdrawalIds(in: logs)
    }

    /// The ids of the withdrawals `logs` emit: the messenger's `SentToL1` events, in order (the outbox leaves).
    public static func withdrawalIds(in logs: [Log]) -> [Hash] {
        logs.filter { log in
            log.address == RollupProtocol.messengerAddress && log.topics.count >= 2
                && log.topics[0] == WithdrawalMessage.sentToL1Topic
        }.map { $0.topics[1] }
    }

    /// A system call from `SYSTEM_ADDRESS` that keeps its logs (EIP-4788-style calls discard them; the outbox
    /// needs them).
    func systemCall(_ target: Address, input: [UInt8], gas: Int) -> (CallResult, [Log]) {
        let environment = self.execution.environment
        let evm = EVM(state: self.execution.state, block: environment,
                      transaction: TransactionContext(origin: RollupProtocol.systemAddress,
                                                      gasPrice: environment.baseFee))
        let result = evm.call(caller: RollupProtocol.systemAddress, target: target, codeAddress: target,
                              value: .zero, transfersValue: false, input: input, gas: gas, isStatic: false, depth: 0)
        let logs = result.success ? evm.logs : []
        self.execution.state.finishTransaction()
        return (result, logs)
    }
}

/// What an L2 block's execution produced.
public struct L2BlockOutcome: Sendable {
    public var changes: BlockChanges
    public var transactions: [Transaction]
    public var depositIds: [Hash]
    public var withdrawalIds: [Hash]

    public var inboxHash: Hash { InboxHash.of(self.depositIds) }
    public var outboxRoot: Hash { Outbox.root(self.withdrawalIds) }

    /// `template` with every field the execution determines filled in, and `stateRoot`.
    public func seal(_ template: L2Header, stateRoot: Hash) -> L2Header {
        var header = template
        header.base.stateRoot = stateRoot
        header.base.transactionsRoot = OrderedTrie.transactionsRoot(self.transactions)
        header.base.receiptsRoot = OrderedTrie.receiptsRoot(self.changes.receipts)
        header.base.logsBloom = self.changes.logsBloom
        header.base.gasUsed = self.changes.gasUsed
        header.inboxHash = self.inboxHash
        header.outboxRoot = self.outboxRoot
        return header
    }

    /// Checks that `header` states what the execution produced (all but the state root).
    /// - Throws: `L2BlockError` naming the first field that differs.
    public func check(_ header: L2Header) throws(L2BlockError) {
        let expected = self.seal(header, stateRoot: header.stateRoot)
        func compare<T: Equatable>(_ name: String, _ claimed: T, _ computed: T) throws(L2BlockError) {
            guard claimed == computed else {
                throw L2BlockError("L2 block \(header.number): \(name) is \(claimed), execution gives \(computed)")
            }
        }
        try compare("gas used", header.base.gasUsed, expected.base.gasUsed)
        try compare("transactions root", header.base.transactionsRoot, expected.base.transactionsRoot)
        try compare("receipts root", header.base.receiptsRoot, expected.base.receiptsRoot)
        try compare("logs bloom", header.base.logsBloom, expected.base.logsBloom)
        try compare("inbox hash", header.inboxHash, expected.inboxHash)
        try compare("outbox root", header.outboxRoot, expected.outboxRoot)
    }
}
