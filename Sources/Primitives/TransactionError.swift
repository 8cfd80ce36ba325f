/// Why a transaction was rejected: malformed encoding, a bad signature, or a static validity rule.
public struct TransactionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category of the rejection, stable for callers and JSON-RPC error mapping.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short identifier (`invalid_signature`, `intrinsic_gas_too_low`, …).
        public let name: String

        public var description: String { name }

        /// The bytes are not a canonical RLP transaction.
        public static let malformed = Code(name: "malformed")
        /// The envelope type byte is unknown or the fork does not support it.
        public static let unsupportedType = Code(name: "unsupported_type")
        /// r, s or v are out of range, s is high (EIP-2), or no sender recovers.
        public static let invalidSignature = Code(name: "invalid_signature")
        /// The chain id differs from the chain's.
        public static let invalidChainId = Code(name: "invalid_chain_id")
        /// The gas limit is below the intrinsic gas or the EIP-7623 calldata floor.
        public static let intrinsicGasTooLow = Code(name: "intrinsic_gas_too_low")
        /// The nonce is 2^64-1 or more (EIP-2681).
        public static let nonceTooBig = Code(name: "nonce_too_big")
        /// A value does not fit its field (gas limit above 2^64-1, fee times gas above 2^256-1).
        public static let overflow = Code(name: "overflow")
        /// The priority fee exceeds the fee cap.
        public static let priorityFeeAboveMaxFee = Code(name: "priority_fee_above_max_fee")
        /// The initcode of a creation exceeds 49152 bytes (EIP-3860).
        public static let initcodeTooLarge = Code(name: "initcode_too_large")
        /// The gas limit exceeds the per-transaction cap of 2^24 (EIP-7825, Osaka).
        public static let gasLimitAboveCap = Code(name: "gas_limit_above_cap")
        /// A blob or set-code transaction without a recipient, or with an empty blob or authorization list.
        public static let invalidShape = Code(name: "invalid_shape")
    }

    /// The category.
    public let code: Code
    /// What was wrong, for humans.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func malformed(_ error: RLPError) -> TransactionError {
        TransactionError(.malformed, "malformed transaction: \(error)")
    }
}
