import EVM
import Primitives

/// What executing one transaction of a block produced, beside its receipt.
public struct TransactionOutcome: Hashable, Sendable {
    public var hash: Hash
    public var sender: Address
    /// Gas this transaction used (after refunds and the EIP-7623 floor).
    public var gasUsed: UInt64
    /// EIP-4844 blob gas.
    public var blobGasUsed: UInt64
    /// The price paid per gas (base fee plus the priority fee actually paid).
    public var effectiveGasPrice: U256
    /// The contract a creation transaction deployed.
    public var contractAddress: Address?
    /// The index of its first log among all logs of the block.
    public var firstLogIndex: Int
}

/// Everything a block's execution produced; the header commits to all but the state changes' details.
public struct BlockExecutionResult: Sendable {
    public var receipts: [Receipt]
    public var outcomes: [TransactionOutcome]
    public var gasUsed: UInt64
    public var blobGasUsed: UInt64
    public var logsBloom: Bloom
    /// EIP-7685 requests (Prague on); nil before.
    public var requests: [ExecutionRequest]?
    public var requestsHash: Hash? { self.requests.map(ExecutionRequest.requestsHash) }
    /// The state after the block, prepared against the parent state but not committed.
    public var pendingState: WorldState.PendingState
}

/// What a block's execution produced, with its state changes not yet applied to any trie.
public struct BlockChanges: Sendable {
    public var receipts: [Receipt]
    public var outcomes: [TransactionOutcome]
    public var gasUsed: UInt64
    public var blobGasUsed: UInt64
    public var logsBloom: Bloom
    /// EIP-7685 requests (Prague on); nil before.
    public var requests: [ExecutionRequest]?
    public var requestsHash: Hash? { self.requests.map(ExecutionRequest.requestsHash) }
    public var changes: [AccountChange]
}

/// A block being executed step by step: pre-block system calls, transactions, withdrawals, then post-block
/// requests. `BlockExecutor` drives it for imported blocks, `BlockBuilder` for blocks it assembles.
///
/// Nothing touches the `WorldState` until the caller commits `BlockExecutionResult.pendingState`.
public final class BlockExecution {
    public let config: ChainConfig
    public let fork: Fork
    public let environment: BlockEnvironment
    /// The block's journaled state; rollup rules run their system calls on it (`Rollup.L2BlockExecution`).
    package let state: JournaledState
    let worldState: WorldState?
    let processor: TransactionProcessor
    let blobParameters: BlobParameters?

    public private(set) var receipts: [Receipt] = []
    public private(set) var outcomes: [TransactionOutcome] = []
    public private(set) var gasUsed: UInt64 = 0
    public private(set) var blobGasUsed: UInt64 = 0
    public private(set) var logCount = 0
    /// The return data of the last transaction applied (what `eth_callBundle` reports as its value).
    public private(set) var lastOutput: [UInt8] = []

    /// Starts a block with `header`'s environment on top of `worldState` and runs the pre-block system calls:
    /// EIP-4788 (the parent beacon block root, Cancun on) and EIP-2935 (the parent hash, Prague on).
    public convenience init(config: ChainConfig, header: BlockHeader, worldState: WorldState) {
        self.init(config: config, header: header, backend: worldState, worldState: worldState)
    }

    /// Starts a block on top of `worldState` whose reads go through `backend` (a recorder of what the block reads,
    /// say, over that same state); `finish()` prepares the post-state on `worldState`.
    public convenience init(config: ChainConfig, header: BlockHeader, worldState: WorldState, readingThrough backend: StateBackend) {
        self.init(config: config, header: header, backend: backend, worldState: worldState)
    }

    /// Starts a block on any state backend (a stateless witness, say). `finish()` needs a `WorldState`;
    /// `finishChanges()` works on every backend.
    public convenience init(config: ChainConfig, header: BlockHeader, backend: StateBackend) {
        self.init(config: config, header: header, backend: backend, worldState: backend as? WorldState)
    }

    /// Continues a block whose pre-block system calls already ran into `backend` (a checkpoint of the block's
    /// start that many simulations share): nothing runs before the first transaction.
    public convenience init(config: ChainConfig, header: BlockHeader, startedOn backend: StateBackend) {
        self.init(config: config, header: header, backend: backend, worldState: nil, preBlockCalls: false)
    }

    init(config: ChainConfig, header: BlockHeader, backend: StateBackend, worldState: WorldState?, preBlockCalls: Bool = true) {
        self.config = config
        self.environment = config.blockEnvironment(for: header)
        self.fork = self.environment.fork
        self.worldState = worldState
        self.state = JournaledState(backend: backend)
        self.processor = TransactionProcessor(block: self.environment)
        self.blobParameters = config.blobParameters(for: self.fork)

        if preBlockCalls, self.fork >= .cancun, let beaconRoot = header.parentBeaconBlockRoot {
            _ = SystemCall.call(SystemCall.beaconRootsAddress, input: beaconRoot.bytes, state: self.state,
                                block: self.environment)
        }
        if preBlockCalls, self.fork >= .prague {
            _ = SystemCall.call(SystemCall.historyStorageAddress, input: header.parentHash.bytes, state: self.state,
                                block: self.environment)
        }
    }

    /// Gas the block can still give a transaction.
    public var gasAvailable: UInt64 { self.environment.gasLimit - self.gasUsed }

    /// Executes one transaction. When it is not includable, nothing changes and the error says why.
    ///
    /// - Parameter sender: the sender when already recovered; recovered from the signature otherwise.
    /// - Throws: `InvalidBlock` with code `.invalidTransaction` and the rule broken.
    @discardableResult
    public func apply(_ transaction: Transaction, sender knownSender: Address? = nil) throws(InvalidBlock) -> Receipt {
        let index = self.receipts.count
        func reject(_ code: String, _ message: String) -> InvalidBlock {
            InvalidBlock(transactionIndex: index, code: code, message: message)
        }
        let sender: Address
        do throws(TransactionError) {
            try transaction.validateStatic(chainId: self.config.chainId, fork: self.fork)
            if let knownSender {
                sender = knownSender
            } else {
                sender = try transaction.recoverSender()
            }
        } catch {
            throw reject(Self.exceptionName(error, transaction: transaction), error.message)
        }
        guard transaction.gasLimit <= self.gasAvailable else {
            throw reject("GAS_ALLOWANCE_EXCEEDED",
                         "gas limit \(transaction.gasLimit) is above the \(self.gasAvailable) gas left in the block")
        }
        let blobGas = UInt64(transaction.blobVersionedHashes.count) * BlobParameters.gasPerBlob
        if blobGas > 0 {
            let maxBlobGas = self.blobParameters?.maxBlobGasPerBlock ?? 0
            guard self.blobGasUsed + blobGas <= maxBlobGas else {
                throw reject("TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED",
                             "blob gas \(blobGas) is above the \(maxBlobGas - min(maxBlobGas, self.blobGasUsed)) left in the block")
            }
        }
        let result: TransactionReceipt
        do {
            result = try self.processor.execute(transaction, sender: sender, state: self.state)
        } catch {
            throw reject(error.code.name, error.message)
        }
        self.lastOutput = result.output
        self.gasUsed += result.gasUsed
        self.blobGasUsed += blobGas
        let receipt = Receipt(type: transaction.type, succeeded: result.success, cumulativeGasUsed: self.gasUsed,
                              logs: result.logs)
        self.receipts.append(receipt)
        self.outcomes.append(TransactionOutcome(
            hash: transaction.hash, sender: sender, gasUsed: result.gasUsed, blobGasUsed: blobGas,
            effectiveGasPrice: transaction.effectiveGasPrice(baseFee: self.environment.baseFee),
            contractAddress: result.createdAddress, firstLogIndex: self.logCount))
        self.logCount += result.logs.count
        return receipt
    }

    /// EIP-4895: credits each withdrawal's amount (gwei → wei). A zero withdrawal to an absent account creates
    /// nothing (EIP-158 clears the touched empty account).
    public func apply(withdrawals: [Withdrawal]) {
        for withdrawal in withdrawals {
            self.state.addBalance(withdrawal.address, withdrawal.amountInWei)
        }
        self.state.finishTransaction()
    }

    /// Runs the post-block work (Prague on: EIP-6110 deposits from the receipts' logs, then the EIP-7002 and
    /// EIP-7251 dequeue calls) and prepares the post-state.
    /// - Throws: `InvalidBlock` for a malformed deposit event or a failing system contract.
    public func finish() throws(InvalidBlock) -> BlockExecutionResult {
        let finished = try self.finishChanges()
        guard let worldState = self.worldState else {
            throw InvalidBlock(.stateUnavailable, "this block execution has no world state to prepare a post-state on")
        }
        let pending = try worldState.prepare(finished.changes)
        return BlockExecutionResult(receipts: finished.receipts, outcomes: finished.outcomes,
                                    gasUsed: finished.gasUsed, blobGasUsed: finished.blobGasUsed,
                                    logsBloom: finished.logsBloom, requests: finished.requests,
                                    pendingState: pending)
    }

    /// Runs the post-block work and returns what the block produced with its raw state changes, for backends that
    /// compute their own roots (`StatelessState.postStateRoot(applying:)`).
    public func finishChanges() throws(InvalidBlock) -> BlockChanges {
        var requests: [ExecutionRequest]? = nil
        if self.fork >= .prague {
            var list: [ExecutionRequest] = []
            let deposits = try DepositLogParser.depositRequestData(logs: self.receipts.lazy.flatMap(\.logs))
            if !deposits.isEmpty { list.append(ExecutionRequest(type: .deposit, data: deposits)) }
            let withdrawals = try SystemCall.checkedCall(SystemCall.withdrawalRequestAddress, input: [],
                                                         state: self.state, block: self.environment)
            if !withdrawals.isEmpty { list.append(ExecutionRequest(type: .withdrawal, data: withdrawals)) }
            let consolidations = try SystemCall.checkedCall(SystemCall.consolidationRequestAddress, input: [],
                                                            state: self.state, block: self.environment)
            if !consolidations.isEmpty { list.append(ExecutionRequest(type: .consolidation, data: consolidations)) }
            requests = list
        }
        var bloom = Bloom()
        for receipt in self.receipts { bloom.formUnion(receipt.logsBloom) }
        return BlockChanges(receipts: self.receipts, outcomes: self.outcomes, gasUsed: self.gasUsed,
                            blobGasUsed: self.blobGasUsed, logsBloom: bloom, requests: requests,
                            changes: self.state.takeChanges())
    }

    /// The execution-spec-tests `TransactionException` name for a stateless validity error.
    static func exceptionName(_ error: TransactionError, transaction: Transaction) -> String {
        switch error.code {
        case .intrinsicGasTooLow:
            return transaction.gasLimit >= transaction.intrinsicGas(fork: .prague)
                ? "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST" : "INTRINSIC_GAS_TOO_LOW"
        case .invalidChainId: return "INVALID_CHAINID"
        case .invalidSignature: return "INVALID_SIGNATURE_VRS"
        case .nonceTooBig: return "NONCE_IS_MAX"
        case .overflow: return "GASLIMIT_PRICE_PRODUCT_OVERFLOW"
        case .priorityFeeAboveMaxFee: return "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS"
        case .initcodeTooLarge: return "INITCODE_SIZE_EXCEEDED"
        case .gasLimitAboveCap: return "GAS_LIMIT_EXCEEDS_MAXIMUM"
        case .unsupportedType: return "TYPE_NOT_SUPPORTED"
        case .invalidShape:
            if transaction.type == .blob {
                return transaction.isCreate ? "TYPE_3_TX_CONTRACT_CREATION" : "TYPE_3_TX_ZERO_BLOBS"
            }
            return transaction.isCreate ? "TYPE_4_TX_CONTRACT_CREATION" : "TYPE_4_EMPTY_AUTHORIZATION_LIST"
        default: return "INVALID"
        }
    }
}
