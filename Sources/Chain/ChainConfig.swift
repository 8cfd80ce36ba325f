import EVM
import Primitives

/// What a chain is: its id, which fork's rules apply at each timestamp, and its blob parameters.
public struct ChainConfig: Hashable, Sendable {
    /// A fork and the timestamp from which it applies.
    public struct ForkActivation: Hashable, Sendable {
        public var fork: Fork
        public var timestamp: UInt64

        public init(fork: Fork, timestamp: UInt64) {
            self.fork = fork
            self.timestamp = timestamp
        }
    }

    public var chainId: UInt64
    /// Activations sorted by timestamp; the first applies from genesis.
    public var forks: [ForkActivation]
    /// EIP-7840 blob schedule; forks without an entry use `BlobParameters.defaults(for:)`.
    public var blobSchedule: [Fork: BlobParameters]
    /// Precompiles this chain adds beyond its forks' (the L1 devnet's `EXECUTE`); none by default.
    public var customPrecompiles: CustomPrecompiles = .none
    /// Whether a block may have its parent's timestamp (a rollup making several blocks a second); Ethereum
    /// requires a later one.
    public var timestampsMayRepeat = false

    /// Forks whose blocks Lockstep validates and executes with all their block-level rules.
    public static let supportedForks: [Fork] = [.cancun, .prague]

    public init(chainId: UInt64, forks: [ForkActivation], blobSchedule: [Fork: BlobParameters] = [:]) {
        self.chainId = chainId
        self.forks = forks.sorted { ($0.timestamp, $0.fork.rawValue) < ($1.timestamp, $1.fork.rawValue) }
        self.blobSchedule = blobSchedule
    }

    /// A chain on one fork from genesis.
    public init(chainId: UInt64, fork: Fork) {
        self.init(chainId: chainId, forks: [ForkActivation(fork: fork, timestamp: 0)])
    }

    /// The fork in force at `timestamp`.
    public func fork(at timestamp: UInt64) -> Fork {
        var current = self.forks.first?.fork ?? .prague
        for activation in self.forks where activation.timestamp <= timestamp { current = activation.fork }
        return current
    }

    /// The blob parameters in force under `fork` (nil before Cancun).
    public func blobParameters(for fork: Fork) -> BlobParameters? {
        self.blobSchedule[fork] ?? BlobParameters.defaults(for: fork)
    }

    /// Parses an execution-spec-tests network name: `Prague`, or a transition such as `CancunToPragueAtTime15k`.
    public static func forks(network: String) -> [ForkActivation]? {
        if let fork = Fork(name: network) { return [ForkActivation(fork: fork, timestamp: 0)] }
        guard let toRange = network.range(of: "To"), let atRange = network.range(of: "AtTime") else { return nil }
        let fromName = String(network[..<toRange.lowerBound])
        let toName = String(network[toRange.upperBound..<atRange.lowerBound])
        var timeText = String(network[atRange.upperBound...])
        var multiplier: UInt64 = 1
        if timeText.hasSuffix("k") {
            multiplier = 1000
            timeText.removeLast()
        }
        guard let from = Fork(name: fromName), let to = Fork(name: toName), let time = UInt64(timeText) else {
            return nil
        }
        return [ForkActivation(fork: from, timestamp: 0), ForkActivation(fork: to, timestamp: time * multiplier)]
    }

    /// The environment opcodes see while executing a block with `header`.
    public func blockEnvironment(for header: BlockHeader) -> BlockEnvironment {
        BlockEnvironment(number: header.number, timestamp: header.timestamp, gasLimit: header.gasLimit,
                         coinbase: header.coinbase, baseFee: header.baseFeePerGas ?? .zero,
                         prevRandao: header.prevRandao, excessBlobGas: header.excessBlobGas ?? 0,
                         chainId: U256(self.chainId), fork: self.fork(at: header.timestamp),
                         customPrecompiles: self.customPrecompiles)
    }

    /// Checks that the header carries exactly the optional fields its fork defines.
    /// - Throws: `InvalidBlock` with code `.incorrectFormat`.
    public func checkHeaderFormat(_ header: BlockHeader) throws(InvalidBlock) {
        let fork = self.fork(at: header.timestamp)
        func check(_ present: Bool, _ field: String, since introduced: Fork) throws(InvalidBlock) {
            let expected = fork >= introduced
            if present != expected {
                throw InvalidBlock(.incorrectFormat, expected
                    ? "header lacks \(field), required from \(introduced.name) (block is \(fork.name))"
                    : "header has \(field), which \(fork.name) does not define")
            }
        }
        try check(header.baseFeePerGas != nil, "baseFeePerGas", since: .london)
        try check(header.withdrawalsRoot != nil, "withdrawalsRoot", since: .shanghai)
        try check(header.blobGasUsed != nil, "blobGasUsed", since: .cancun)
        try check(header.excessBlobGas != nil, "excessBlobGas", since: .cancun)
        try check(header.parentBeaconBlockRoot != nil, "parentBeaconBlockRoot", since: .cancun)
        try check(header.requestsHash != nil, "requestsHash", since: .prague)
    }
}
