import EVM
import Primitives
import State

/// What a call asks for (`eth_call`, `eth_estimateGas`).
public struct CallArguments: Sendable {
    public var from: Address = .zero
    public var to: Address?
    public var gas: UInt64?
    public var gasPrice: U256?
    public var maxFeePerGas: U256?
    public var maxPriorityFeePerGas: U256?
    public var value: U256 = .zero
    public var data: [UInt8] = []
    public var accessList: [AccessListEntry] = []

    public init() {}
}

/// The outcome of executing a call without keeping it.
public struct SimulationOutcome: Sendable {
    public var success: Bool
    public var output: [UInt8]
    public var gasUsed: UInt64
    public var logs: [Log]
    public var createdAddress: Address?
}

/// A call that reverted (or failed) where success was needed, with its output: an `Error(string)` reason when
/// the contract gave one.
public struct CallReverted: Error, Sendable, CustomStringConvertible {
    public let output: [UInt8]
    public init(output: [UInt8]) { self.output = output }
    /// "execution reverted", with the decoded reason when there is one.
    public var description: String { Self.message(output) }

    /// "execution reverted" with the decoded `Error(string)` reason when `output` holds one.
    public static func message(_ output: [UInt8]) -> String {
        if output.count >= 68, output.prefix(4) == [0x08, 0xc3, 0x79, 0xa0] {
            let length = (U256(bigEndianBytes: output[36..<68]) ?? .zero).uint64 ?? 0
            if 68 + Int(min(length, UInt64(output.count))) <= output.count {
                return "execution reverted: " + String(decoding: output[68..<(68 + Int(length))], as: UTF8.self)
            }
        }
        return "execution reverted"
    }
}

/// A call the transaction rules refuse before it runs (too little gas for the intrinsic cost, a fee cap below
/// the base fee, funds short of gas × price + value).
public struct CallRejected: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Runs calls as transactions in the block after a given one, keeping nothing: `eth_call` and the gas search of
/// `eth_estimateGas`. Reads that reach a forked chain's upstream and fail throw `UpstreamReadFailed`.
public struct CallSimulator {
    public let config: ChainConfig
    /// The state the call runs on (the post-state of the block `header` follows).
    public let state: StateBackend
    /// The header of the block the call runs in.
    public let header: BlockHeader
    /// Where a failed upstream read is noticed (the chain's world state, also for a view of an earlier block).
    let reads: WorldState

    /// - Parameters:
    ///   - state: the state to call on; the chain's live state when nil.
    ///   - header: the header of the block after the one whose state this is.
    public init(chain: Blockchain, state: StateBackend? = nil, header: BlockHeader) {
        self.config = chain.config
        self.state = state ?? chain.state
        self.header = header
        self.reads = chain.state
    }

    /// Runs the call with `gas` (the arguments' gas, else the block's gas limit). Without a gas price the base fee
    /// is taken as zero, so that any account can call.
    /// - Throws: `CallRejected` when the transaction rules refuse it, `UpstreamReadFailed`.
    public func call(_ arguments: CallArguments, gas overrideGas: UInt64? = nil) throws -> SimulationOutcome {
        var header = self.header
        let priced = arguments.gasPrice != nil || arguments.maxFeePerGas != nil
        if !priced { header.baseFeePerGas = .zero }
        let gas = overrideGas ?? arguments.gas ?? header.gasLimit
        let feeCap = arguments.gasPrice ?? arguments.maxFeePerGas ?? .zero
        let tip = arguments.gasPrice ?? arguments.maxPriorityFeePerGas ?? .zero
        let backend = state
        let environment = config.blockEnvironment(for: header)
        let result = try reads.readingUpstream("reading forked state for the call") {
            let transaction = Transaction(
                type: .dynamicFee, chainId: config.chainId, nonce: backend.account(arguments.from)?.nonce ?? 0,
                maxPriorityFeePerGas: tip < feeCap ? tip : feeCap, maxFeePerGas: feeCap, gasLimit: gas,
                to: arguments.to, value: arguments.value, data: arguments.data, accessList: arguments.accessList)
            let processor = TransactionProcessor(block: environment)
            return Result { () throws(InvalidTransaction) in
                try processor.execute(transaction, sender: arguments.from, state: JournaledState(backend: backend))
            }
        }
        switch result {
        case .success(let receipt):
            return SimulationOutcome(success: receipt.success, output: receipt.output, gasUsed: receipt.gasUsed,
                                     logs: receipt.logs, createdAddress: receipt.createdAddress)
        case .failure(let error):
            throw CallRejected(message: error.message)
        }
    }

    /// The smallest gas limit with which the call succeeds (binary search over whole executions).
    /// - Throws: `CallReverted` when it fails even with the cap, `CallRejected`, `UpstreamReadFailed`.
    public func estimateGas(_ arguments: CallArguments) throws -> UInt64 {
        let cap = arguments.gas ?? header.gasLimit
        let first = try call(arguments, gas: cap)
        guard first.success else { throw CallReverted(output: first.output) }
        var low = max(first.gasUsed, 21_000) - 1
        var high = cap
        // Usually the gas used plus the 63/64 reserve is enough: try it before searching.
        let guess = min(cap, first.gasUsed + first.gasUsed / 63 + 2_300)
        if guess < high, try probe(arguments, gas: guess) { high = guess }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if try probe(arguments, gas: middle) { high = middle } else { low = middle }
        }
        return high
    }

    /// One probe of the gas search: whether the call succeeds with `gas` (a call the rules refuse, e.g. for too
    /// little gas for its intrinsic cost, does not); a failed upstream read is an error.
    func probe(_ arguments: CallArguments, gas: UInt64) throws -> Bool {
        do {
            return try call(arguments, gas: gas).success
        } catch is CallRejected {
            return false
        }
    }
}
