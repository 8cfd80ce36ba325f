import EVM
import Primitives

/// Why a block was rejected. A rejected block changes nothing: the chain and its state stay as they were.
public struct InvalidBlock: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category, named as execution-spec-tests name its `BlockException`s.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        /// The bytes are not a canonical RLP block of the expected shape.
        public static let malformed = Code(name: "RLP_STRUCTURES_ENCODING")
        /// The header lacks a field the fork requires, or carries one it does not know.
        public static let incorrectFormat = Code(name: "INCORRECT_BLOCK_FORMAT")
        public static let unknownParent = Code(name: "UNKNOWN_PARENT")
        public static let blockNumber = Code(name: "INVALID_BLOCK_NUMBER")
        public static let timestamp = Code(name: "INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT")
        public static let gasLimit = Code(name: "INVALID_GASLIMIT")
        public static let baseFee = Code(name: "INVALID_BASEFEE_PER_GAS")
        public static let excessBlobGas = Code(name: "INVALID_EXCESS_BLOB_GAS")
        public static let gasUsedAboveLimit = Code(name: "INVALID_GAS_USED_ABOVE_LIMIT")
        public static let extraDataTooBig = Code(name: "EXTRA_DATA_TOO_BIG")
        public static let difficulty = Code(name: "INVALID_DIFFICULTY")
        public static let nonce = Code(name: "INVALID_BLOCK_NONCE")
        public static let ommersHash = Code(name: "INVALID_UNCLES_HASH")
        public static let ommers = Code(name: "IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS")
        public static let gasUsed = Code(name: "INVALID_GAS_USED")
        public static let stateRoot = Code(name: "INVALID_STATE_ROOT")
        public static let receiptsRoot = Code(name: "INVALID_RECEIPTS_ROOT")
        public static let transactionsRoot = Code(name: "INVALID_TRANSACTIONS_ROOT")
        public static let logsBloom = Code(name: "INVALID_LOG_BLOOM")
        public static let withdrawalsRoot = Code(name: "INVALID_WITHDRAWALS_ROOT")
        public static let blobGasUsed = Code(name: "INCORRECT_BLOB_GAS_USED")
        public static let blobGasAboveLimit = Code(name: "BLOB_GAS_USED_ABOVE_LIMIT")
        public static let requestsHash = Code(name: "INVALID_REQUESTS")
        public static let depositEventLayout = Code(name: "INVALID_DEPOSIT_EVENT_LAYOUT")
        public static let systemContractEmpty = Code(name: "SYSTEM_CONTRACT_EMPTY")
        public static let systemContractCallFailed = Code(name: "SYSTEM_CONTRACT_CALL_FAILED")
        /// A forked chain could not read the upstream state the block needs (the upstream failed, or its proofs
        /// do not reveal a trie node); the block says nothing wrong, it just cannot be checked now.
        public static let stateUnavailable = Code(name: "STATE_UNAVAILABLE")
        /// The block's hash is not the one it was announced with.
        public static let blockHash = Code(name: "INVALID_BLOCK_HASH")
        /// A transaction is not includable; `InvalidBlock.transactionCode` says why.
        public static let invalidTransaction = Code(name: "INVALID_TRANSACTION")
        /// The fork is not one Lockstep executes.
        public static let unsupportedFork = Code(name: "UNSUPPORTED_FORK")

        public var description: String { self.name }
    }

    public let code: Code
    public let message: String
    /// For `.invalidTransaction`: the transaction's index in the block and the rule it broke (named as
    /// execution-spec-tests name `TransactionException`s).
    public let transactionIndex: Int?
    public let transactionCode: String?

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
        self.transactionIndex = nil
        self.transactionCode = nil
    }

    /// A block rejected because its transaction at `index` is not includable.
    public init(transactionIndex index: Int, code: String, message: String) {
        self.code = .invalidTransaction
        self.message = "invalid transaction at index \(index): \(message)"
        self.transactionIndex = index
        self.transactionCode = code
    }

    /// The fixture-style name: `BlockException.X` or `TransactionException.X`.
    public var exceptionName: String {
        if let transactionCode { return "TransactionException.\(transactionCode)" }
        return "BlockException.\(self.code.name)"
    }

    public var description: String { self.message }
}
