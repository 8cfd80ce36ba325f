import Primitives

/// The block a transaction executes in, as opcodes see it.
public struct BlockEnvironment: Sendable {
    public var number: UInt64
    public var timestamp: UInt64
    public var gasLimit: UInt64
    public var coinbase: Address
    public var baseFee: U256
    /// PREVRANDAO (EIP-4399); DIFFICULTY before the merge.
    public var prevRandao: U256
    /// EIP-4844 excess blob gas of the block.
    public var excessBlobGas: UInt64
    public var chainId: U256
    public var fork: Fork
    /// Precompiles the chain adds beyond the fork's (`CustomPrecompile`); usually none.
    public var customPrecompiles: CustomPrecompiles

    public init(number: UInt64, timestamp: UInt64, gasLimit: UInt64, coinbase: Address, baseFee: U256,
                prevRandao: U256, excessBlobGas: UInt64, chainId: U256, fork: Fork,
                customPrecompiles: CustomPrecompiles = .none) {
        self.number = number
        self.timestamp = timestamp
        self.gasLimit = gasLimit
        self.coinbase = coinbase
        self.baseFee = baseFee
        self.prevRandao = prevRandao
        self.excessBlobGas = excessBlobGas
        self.chainId = chainId
        self.fork = fork
        self.customPrecompiles = customPrecompiles
    }

    /// EIP-4844 `fake_exponential`-derived blob base fee, with the update fraction of the fork (EIP-7691 in Prague).
    public var blobBaseFee: U256 {
        BlobSchedule.baseFee(excessBlobGas: excessBlobGas, fork: fork)
    }
}

/// EIP-4844 / EIP-7691 / EIP-7594 blob parameters per fork.
public enum BlobSchedule {
    /// Gas per blob.
    public static let gasPerBlob: UInt64 = 131_072

    /// The base fee update fraction.
    public static func updateFraction(fork: Fork) -> UInt64 {
        fork >= .prague ? 5_007_716 : 3_338_477
    }

    /// Blobs a block may carry.
    public static func maxBlobsPerBlock(fork: Fork) -> Int {
        fork >= .prague ? 9 : 6
    }

    /// Blobs one transaction may carry (EIP-7594 caps it at 6 from Osaka; before, only the block limit applies).
    public static func maxBlobsPerTransaction(fork: Fork) -> Int {
        fork >= .osaka ? 6 : maxBlobsPerBlock(fork: fork)
    }

    /// `fake_exponential(1, excess, fraction)` from EIP-4844.
    public static func baseFee(excessBlobGas: UInt64, fork: Fork) -> U256 {
        let denominator = U256(updateFraction(fork: fork))
        let numerator = U256(excessBlobGas)
        var i = U256.one
        var output = U256.zero
        var accumulator = denominator  // factor (1) × denominator
        while !accumulator.isZero {
            output = output &+ accumulator
            accumulator = (accumulator &* numerator) / (denominator &* i)
            i = i &+ U256.one
        }
        return output / denominator
    }
}

/// Per-transaction values opcodes read.
public struct TransactionContext: Sendable {
    public var origin: Address
    public var gasPrice: U256
    public var blobHashes: [Hash]

    public init(origin: Address, gasPrice: U256, blobHashes: [Hash] = []) {
        self.origin = origin
        self.gasPrice = gasPrice
        self.blobHashes = blobHashes
    }
}

/// A log record emitted by LOG0–LOG4.
public struct Log: Hashable, Sendable {
    public var address: Address
    public var topics: [Hash]
    public var data: [UInt8]

    public init(address: Address, topics: [Hash], data: [UInt8]) {
        self.address = address
        self.topics = topics
        self.data = data
    }

    /// RLP `[address, [topics…], data]`.
    public func encode(into encoder: inout RLPEncoder) {
        encoder.appendList { list in
            list.append(address)
            list.appendList { topicList in
                for topic in topics { topicList.append(topic) }
            }
            list.append(bytes: data)
        }
    }

    /// Keccak of the RLP list of logs, as state tests check it.
    public static func hash(_ logs: [Log]) -> Hash {
        var encoder = RLPEncoder()
        encoder.appendList { list in
            for log in logs { log.encode(into: &list) }
        }
        return Keccak256.hash(encoder.bytes)
    }
}

/// What kind of frame a message starts.
public enum MessageKind: Sendable {
    case call, callCode, delegateCall, staticCall, create, create2
}

/// The outcome of a call or create frame.
public struct CallResult: Sendable {
    /// Whether the frame completed without reverting or halting.
    public var success: Bool
    /// Gas not used (returned to the caller).
    public var gasLeft: Int
    /// Return data (or revert data).
    public var output: [UInt8]
    /// For CREATE/CREATE2 that succeeded: the new contract.
    public var createdAddress: Address?
    /// Refund counter accumulated by the frame (EIP-3529), applied by the caller only on success.
    public var refund: Int
    /// Why the frame halted exceptionally ("out of gas", "invalid opcode", …); nil on success or REVERT.
    public var haltReason: String?

    public init(success: Bool, gasLeft: Int, output: [UInt8], createdAddress: Address? = nil, refund: Int = 0,
                haltReason: String? = nil) {
        self.success = success
        self.gasLeft = gasLeft
        self.output = output
        self.createdAddress = createdAddress
        self.refund = refund
        self.haltReason = haltReason
    }
}
