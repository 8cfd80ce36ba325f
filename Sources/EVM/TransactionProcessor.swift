import Primitives

/// Why a transaction cannot be included: it changes nothing and is reported with this reason.
public struct InvalidTransaction: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category, named as execution-spec-tests name its exceptions where one exists.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public static let nonceTooLow = Code(name: "NONCE_MISMATCH_TOO_LOW")
        public static let nonceTooHigh = Code(name: "NONCE_MISMATCH_TOO_HIGH")
        public static let nonceOverflow = Code(name: "NONCE_IS_MAX")
        public static let insufficientFunds = Code(name: "INSUFFICIENT_ACCOUNT_FUNDS")
        public static let feeCapBelowBaseFee = Code(name: "INSUFFICIENT_MAX_FEE_PER_GAS")
        public static let priorityFeeAboveFeeCap = Code(name: "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS")
        public static let intrinsicGas = Code(name: "INTRINSIC_GAS_TOO_LOW")
        public static let floorGas = Code(name: "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST")
        public static let gasAboveBlockLimit = Code(name: "GAS_ALLOWANCE_EXCEEDED")
        public static let gasAboveCap = Code(name: "GAS_LIMIT_EXCEEDS_MAXIMUM")
        public static let senderNotEOA = Code(name: "SENDER_NOT_EOA")
        public static let initcodeTooLarge = Code(name: "INITCODE_SIZE_EXCEEDED")
        public static let blobFeeCapTooLow = Code(name: "INSUFFICIENT_MAX_FEE_PER_BLOB_GAS")
        public static let blobCount = Code(name: "TYPE_3_TX_BLOB_COUNT_EXCEEDED")
        public static let blobVersionedHash = Code(name: "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH")
        public static let typeNotSupported = Code(name: "TYPE_NOT_SUPPORTED")
        public static let invalid = Code(name: "INVALID")
        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// What executing one transaction produced.
public struct TransactionReceipt: Sendable {
    public var success: Bool
    /// Gas charged to the sender (after refunds and the EIP-7623 floor).
    public var gasUsed: UInt64
    public var logs: [Log]
    public var output: [UInt8]
    public var createdAddress: Address?
}

/// Applies transactions to a `JournaledState`: validation, gas purchase, EIP-7702 authorizations, execution,
/// refunds, fee burn and the coinbase tip.
public struct TransactionProcessor {
    public var block: BlockEnvironment
    /// Optional EIP-3155 tracer for the next transactions.
    public var tracer: Tracer?

    public init(block: BlockEnvironment) {
        self.block = block
    }

    /// Executes `transaction` from `sender` (already recovered) against `state`.
    ///
    /// - Throws: `InvalidTransaction` when it cannot be included; the state is then unchanged.
    public func execute(_ transaction: Transaction, sender: Address, state: JournaledState) throws(InvalidTransaction)
        -> TransactionReceipt {
        let fork = block.fork
        try validate(transaction, sender: sender, state: state)

        let gasLimit = transaction.gasLimit
        let effectiveGasPrice = transaction.effectiveGasPrice(baseFee: block.baseFee)
        let blobGas = UInt64(transaction.blobVersionedHashes.count) * BlobSchedule.gasPerBlob
        let blobFee = U256(blobGas) &* block.blobBaseFee

        // Buy gas and bump the nonce; these survive a failing execution.
        state.setBalance(sender, state.balance(sender) &- (U256(gasLimit) &* effectiveGasPrice) &- blobFee)
        let senderNonce = state.nonce(sender)
        if transaction.isCreate == false { state.setNonce(sender, senderNonce + 1) }

        // EIP-2929/2930/3651: the warm set at the start.
        _ = state.warmAccount(sender)
        if let to = transaction.to { _ = state.warmAccount(to) }
        if fork >= .shanghai { _ = state.warmAccount(block.coinbase) }
        for address in Precompiles.addresses(fork: fork) { _ = state.warmAccount(address) }
        for address in block.customPrecompiles.addresses { _ = state.warmAccount(address) }
        for entry in transaction.accessList {
            _ = state.warmAccount(entry.address)
            for key in entry.storageKeys { _ = state.warmSlot(entry.address, key.word) }
        }

        var refund = 0
        if transaction.type == .setCode {
            refund += applyAuthorizations(transaction.authorizationList, state: state)
        }

        let evm = EVM(state: state, block: block,
                      transaction: TransactionContext(origin: sender, gasPrice: effectiveGasPrice,
                                                      blobHashes: transaction.blobVersionedHashes))
        evm.tracer = tracer
        let intrinsic = transaction.intrinsicGas(fork: fork)
        let executionGas = Int(gasLimit - intrinsic)
        var result: CallResult
        if let to = transaction.to {
            var delegatedCode: Code? = nil
            var codeAddress = to
            if fork >= .prague, let delegate = state.code(to).delegationTarget {
                _ = state.warmAccount(delegate)
                delegatedCode = state.code(delegate)
                codeAddress = delegate
            }
            result = evm.call(caller: sender, target: to, codeAddress: codeAddress, value: transaction.value,
                              transfersValue: true, input: transaction.data, gas: executionGas, isStatic: false,
                              depth: 0, disablePrecompiles: delegatedCode != nil, delegatedCode: delegatedCode)
        } else {
            let address = Address.contractAddress(sender: sender, nonce: senderNonce)
            state.setNonce(sender, senderNonce + 1)
            _ = state.warmAccount(address)
            result = evm.create(caller: sender, address: address, value: transaction.value, initcode: transaction.data,
                                gas: executionGas, depth: 0)
        }
        if result.success { refund += result.refund }

        // Refund (EIP-3529: at most a fifth of the gas used), then the EIP-7623 calldata floor.
        var gasUsed = gasLimit - UInt64(max(result.gasLeft, 0))
        gasUsed -= min(UInt64(max(refund, 0)), gasUsed / 5)
        if fork >= .prague { gasUsed = max(gasUsed, transaction.floorDataGas(fork: fork)) }
        let gasReturned = gasLimit - gasUsed
        state.addBalance(sender, U256(gasReturned) &* effectiveGasPrice)
        // The base fee is burnt; the coinbase gets the priority fee (a zero tip still touches it).
        let tip = effectiveGasPrice &- block.baseFee
        state.addBalance(block.coinbase, U256(gasUsed) &* tip)

        let receipt = TransactionReceipt(success: result.success, gasUsed: gasUsed, logs: result.success ? evm.logs : [],
                                         output: result.output, createdAddress: result.createdAddress)
        state.finishTransaction()
        return receipt
    }

    /// The checks that make a transaction includable, in the order the execution specs apply them.
    func validate(_ transaction: Transaction, sender: Address, state: JournaledState) throws(InvalidTransaction) {
        let fork = block.fork
        if transaction.type == .blob && fork < .cancun || transaction.type == .setCode && fork < .prague {
            throw InvalidTransaction(.typeNotSupported, "transaction type \(transaction.type) is not active in \(fork)")
        }
        let intrinsic = transaction.intrinsicGas(fork: fork)
        guard transaction.gasLimit >= intrinsic else {
            throw InvalidTransaction(.intrinsicGas, "intrinsic gas too low: gas limit \(transaction.gasLimit), intrinsic gas \(intrinsic)")
        }
        if fork >= .prague {
            let floor = transaction.floorDataGas(fork: fork)
            guard transaction.gasLimit >= floor else {
                throw InvalidTransaction(.floorGas, "gas limit \(transaction.gasLimit) is below the EIP-7623 floor of \(floor)")
            }
        }
        if fork >= .osaka && transaction.gasLimit > 1 << 24 {
            throw InvalidTransaction(.gasAboveCap, "gas limit \(transaction.gasLimit) is above the EIP-7825 cap of 16777216")
        }
        // Gas is counted in Int during execution (ethereum/tests use limits up to 2^63-1, which fits).
        guard transaction.gasLimit <= UInt64(Int.max) else {
            throw InvalidTransaction(.gasAboveBlockLimit, "gas limit \(transaction.gasLimit) is above 2^63-1")
        }
        guard transaction.gasLimit <= block.gasLimit else {
            throw InvalidTransaction(.gasAboveBlockLimit, "gas limit \(transaction.gasLimit) is above the block gas limit \(block.gasLimit)")
        }
        if transaction.isCreate && fork >= .shanghai && transaction.data.count > GasCost.maxInitcodeSize {
            throw InvalidTransaction(.initcodeTooLarge, "initcode is \(transaction.data.count) bytes, above the EIP-3860 limit of 49152")
        }
        if transaction.type == .blob {
            let count = transaction.blobVersionedHashes.count
            guard count > 0 && count <= BlobSchedule.maxBlobsPerTransaction(fork: fork) else {
                throw InvalidTransaction(.blobCount, "\(count) blobs; a transaction carries 1 to \(BlobSchedule.maxBlobsPerTransaction(fork: fork))")
            }
            for hash in transaction.blobVersionedHashes where hash.bytes[0] != 0x01 {
                throw InvalidTransaction(.blobVersionedHash, "blob versioned hash \(hash) does not start with version 0x01")
            }
            guard transaction.to != nil else {
                throw InvalidTransaction(.typeNotSupported, "a blob transaction cannot create a contract")
            }
            guard transaction.maxFeePerBlobGas >= block.blobBaseFee else {
                throw InvalidTransaction(.blobFeeCapTooLow, "max fee per blob gas \(transaction.maxFeePerBlobGas) is below the blob base fee \(block.blobBaseFee)")
            }
        }
        if transaction.type == .setCode {
            guard transaction.to != nil, !transaction.authorizationList.isEmpty else {
                throw InvalidTransaction(.typeNotSupported, "a set-code transaction needs a recipient and authorizations")
            }
        }
        guard transaction.maxPriorityFeePerGas <= transaction.maxFeePerGas else {
            throw InvalidTransaction(.priorityFeeAboveFeeCap, "max priority fee \(transaction.maxPriorityFeePerGas) is above max fee \(transaction.maxFeePerGas)")
        }
        guard transaction.maxFeePerGas >= block.baseFee else {
            throw InvalidTransaction(.feeCapBelowBaseFee, "max fee per gas \(transaction.maxFeePerGas) is below the base fee \(block.baseFee)")
        }
        let nonce = state.nonce(sender)
        guard transaction.nonce >= nonce else {
            throw InvalidTransaction(.nonceTooLow, "nonce too low: have \(transaction.nonce), want \(nonce)")
        }
        guard transaction.nonce == nonce else {
            throw InvalidTransaction(.nonceTooHigh, "nonce too high: have \(transaction.nonce), want \(nonce)")
        }
        guard nonce < UInt64.max else {
            throw InvalidTransaction(.nonceOverflow, "sender nonce is at its maximum")
        }
        // EIP-3607: the sender must not have code, unless it is an EIP-7702 delegation.
        let code = state.code(sender)
        if code.count > 0 && !(fork >= .prague && code.delegationTarget != nil) {
            throw InvalidTransaction(.senderNotEOA, "sender \(sender) has code (EIP-3607)")
        }
        // The balance must cover the worst case: all gas at the fee cap, the value and all blob gas at its cap.
        var maxCost = U256.multipliedFullWidth(U256(transaction.gasLimit), transaction.maxFeePerGas)
        var overflow = !maxCost.high.isZero
        var total = maxCost.low.addingReportingOverflow(transaction.value)
        overflow = overflow || total.overflow
        if transaction.type == .blob {
            let blobGas = U256(UInt64(transaction.blobVersionedHashes.count) * BlobSchedule.gasPerBlob)
            maxCost = U256.multipliedFullWidth(blobGas, transaction.maxFeePerBlobGas)
            overflow = overflow || !maxCost.high.isZero
            total = total.partialValue.addingReportingOverflow(maxCost.low)
            overflow = overflow || total.overflow
        }
        let balance = state.balance(sender)
        guard !overflow && balance >= total.partialValue else {
            throw InvalidTransaction(.insufficientFunds, "insufficient funds: balance \(balance), gas × fee cap + value needs more")
        }
    }

    /// EIP-7702: applies each valid authorization (invalid ones are skipped) and returns the refund earned for
    /// authorities that already existed.
    func applyAuthorizations(_ authorizations: [Authorization], state: JournaledState) -> Int {
        var refund = 0
        for authorization in authorizations {
            guard authorization.chainId.isZero || authorization.chainId == block.chainId else { continue }
            guard authorization.nonce < UInt64.max else { continue }
            guard authorization.r < Secp256k1.order, authorization.s < Secp256k1.order,
                  let authority = try? authorization.authority() else { continue }
            _ = state.warmAccount(authority)
            let code = state.code(authority)
            guard code.count == 0 || code.delegationTarget != nil else { continue }
            guard state.nonce(authority) == authorization.nonce else { continue }
            if state.exists(authority) { refund += GasCost.newAccount - 12_500 }
            state.setNonce(authority, authorization.nonce + 1)
            state.setCode(authority, authorization.address == .zero ? [] : Code.delegationDesignator(to: authorization.address))
        }
        return refund
    }
}
