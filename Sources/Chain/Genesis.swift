import EVM
import Foundation
import Primitives

/// A chain's genesis: its configuration, the initial allocation and the genesis header's free fields.
public struct Genesis: Sendable {
    public var config: ChainConfig
    public var alloc: [Address: InMemoryState.Account]
    public var timestamp: UInt64
    public var gasLimit: UInt64
    public var extraData: [UInt8]
    public var baseFeePerGas: U256
    public var coinbase: Address
    public var mixHash: Hash
    public var difficulty: U256
    public var nonce: UInt64
    /// Lockstep's extension: the chain has the `EXECUTE` precompile of native-rollup verification
    /// (`Specs/protocol.md` §8.3). `"lockstepExecute": true` in a genesis file's `config`; off by default.
    public var executePrecompile = false

    public init(config: ChainConfig, alloc: [Address: InMemoryState.Account], timestamp: UInt64 = 0,
                gasLimit: UInt64 = 30_000_000, extraData: [UInt8] = [], baseFeePerGas: U256 = U256(1_000_000_000),
                coinbase: Address = .zero, mixHash: Hash = .zero, difficulty: U256 = .zero, nonce: UInt64 = 0) {
        self.config = config
        self.alloc = alloc
        self.timestamp = timestamp
        self.gasLimit = gasLimit
        self.extraData = extraData
        self.baseFeePerGas = baseFeePerGas
        self.coinbase = coinbase
        self.mixHash = mixHash
        self.difficulty = difficulty
        self.nonce = nonce
    }

    /// The Lockstep devnet genesis: Prague from block 0, the system contracts (EIP-4788, EIP-2935, EIP-7002,
    /// EIP-7251) at their canonical addresses, and the ten development accounts funded.
    public static func devnet(chainId: UInt64 = 1337, timestamp: UInt64 = 0,
                              balance: U256 = U256(10_000) &* U256(1_000_000_000_000_000_000),
                              extraAlloc: [Address: InMemoryState.Account] = [:]) -> Genesis {
        var alloc = systemContractsAlloc
        for address in DevAccounts.addresses { alloc[address] = InMemoryState.Account(balance: balance) }
        alloc.merge(extraAlloc) { _, new in new }
        return Genesis(config: ChainConfig(chainId: chainId, fork: .prague), alloc: alloc, timestamp: timestamp)
    }

    /// The system contracts as deployed on mainnet (nonce 1, no storage).
    public static var systemContractsAlloc: [Address: InMemoryState.Account] {
        [
            SystemCall.beaconRootsAddress: InMemoryState.Account(nonce: 1, code: SystemContractCode.beaconRoots),
            SystemCall.historyStorageAddress: InMemoryState.Account(nonce: 1, code: SystemContractCode.historyStorage),
            SystemCall.withdrawalRequestAddress: InMemoryState.Account(nonce: 1, code: SystemContractCode.withdrawalRequests),
            SystemCall.consolidationRequestAddress: InMemoryState.Account(nonce: 1, code: SystemContractCode.consolidationRequests),
        ]
    }

    /// The genesis header for a state root; the fork at `timestamp` decides which optional fields it carries.
    public func header(stateRoot: Hash) -> BlockHeader {
        let fork = self.config.fork(at: self.timestamp)
        var header = BlockHeader(stateRoot: stateRoot, difficulty: self.difficulty, number: 0, gasLimit: self.gasLimit,
                                 timestamp: self.timestamp, extraData: self.extraData, mixHash: self.mixHash,
                                 nonce: self.nonce)
        header.coinbase = self.coinbase
        if fork >= .london { header.baseFeePerGas = self.baseFeePerGas }
        if fork >= .shanghai { header.withdrawalsRoot = BlockHeader.emptyTrieRoot }
        if fork >= .cancun {
            header.blobGasUsed = 0
            header.excessBlobGas = 0
            header.parentBeaconBlockRoot = .zero
        }
        if fork >= .prague { header.requestsHash = ExecutionRequest.requestsHash([]) }
        return header
    }

    /// Parses a geth-style genesis file: `config` (chainId, `shanghaiTime`/`cancunTime`/`pragueTime`/`osakaTime`,
    /// optional `blobSchedule`), `alloc`, and the header fields. Numbers may be JSON numbers, decimal or hex strings.
    /// - Throws: `GenesisError` naming the field that is wrong.
    public static func parse(json data: Data) throws(GenesisError) -> Genesis {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw GenesisError("the genesis file is not a JSON object")
            }
            object = parsed
        } catch let error as GenesisError {
            throw error
        } catch {
            throw GenesisError("the genesis file is not valid JSON: \(error.localizedDescription)")
        }
        let configObject = object["config"] as? [String: Any] ?? [:]
        guard let chainId = try number(configObject["chainId"], "config.chainId")?.uint64 else {
            throw GenesisError("config.chainId is missing or above 2^64-1")
        }
        var forks = [ChainConfig.ForkActivation(fork: .paris, timestamp: 0)]
        for (key, fork) in [("shanghaiTime", Fork.shanghai), ("cancunTime", .cancun), ("pragueTime", .prague),
                            ("osakaTime", .osaka)] {
            if let time = try number(configObject[key], "config.\(key)") {
                guard let timestamp = time.uint64 else { throw GenesisError("config.\(key) is above 2^64-1") }
                forks.append(ChainConfig.ForkActivation(fork: fork, timestamp: timestamp))
            }
        }
        var schedule: [Fork: BlobParameters] = [:]
        for (name, value) in configObject["blobSchedule"] as? [String: Any] ?? [:] {
            guard let fork = Fork(name: name), let entry = value as? [String: Any] else { continue }
            let target = try number(entry["target"], "blobSchedule.\(name).target")?.uint64 ?? 0
            let max = try number(entry["max"], "blobSchedule.\(name).max")?.uint64 ?? 0
            let fraction = try number(entry["baseFeeUpdateFraction"], "blobSchedule.\(name).baseFeeUpdateFraction")?.uint64 ?? 0
            guard target <= 1024, max <= 1024 else { throw GenesisError("blobSchedule.\(name) has too many blobs") }
            schedule[fork] = BlobParameters(target: Int(target), max: Int(max), baseFeeUpdateFraction: fraction)
        }
        var alloc: [Address: InMemoryState.Account] = [:]
        for (key, value) in object["alloc"] as? [String: Any] ?? [:] {
            let text = key.hasPrefix("0x") ? key.lowercased() : "0x" + key.lowercased()
            guard let address = try? Address(hex: text) else { throw GenesisError("alloc key \(key) is not an address") }
            guard let account = value as? [String: Any] else { throw GenesisError("alloc.\(key) is not an object") }
            var storage: [U256: U256] = [:]
            for (slot, word) in account["storage"] as? [String: Any] ?? [:] {
                guard let slotValue = try number(slot, "alloc.\(key).storage key"),
                      let wordValue = try number(word, "alloc.\(key).storage[\(slot)]") else { continue }
                storage[slotValue] = wordValue
            }
            var code: [UInt8] = []
            if let codeText = account["code"] as? String {
                do { code = try Hex.decode(codeText) } catch { throw GenesisError("alloc.\(key).code: \(error)") }
            }
            let nonceValue = try number(account["nonce"], "alloc.\(key).nonce") ?? .zero
            guard let nonce = nonceValue.uint64 else { throw GenesisError("alloc.\(key).nonce is above 2^64-1") }
            alloc[address] = InMemoryState.Account(nonce: nonce,
                                                   balance: try number(account["balance"], "alloc.\(key).balance") ?? .zero,
                                                   code: code, storage: storage)
        }
        var genesis = Genesis(config: ChainConfig(chainId: chainId, forks: forks, blobSchedule: schedule), alloc: alloc)
        if let execute = configObject["lockstepExecute"] {
            guard let enabled = execute as? Bool else { throw GenesisError("config.lockstepExecute must be true or false") }
            genesis.executePrecompile = enabled
        }
        genesis.timestamp = try number(object["timestamp"], "timestamp")?.uint64 ?? 0
        genesis.gasLimit = try number(object["gasLimit"], "gasLimit")?.uint64 ?? 30_000_000
        genesis.baseFeePerGas = try number(object["baseFeePerGas"], "baseFeePerGas") ?? U256(1_000_000_000)
        genesis.difficulty = try number(object["difficulty"], "difficulty") ?? .zero
        genesis.nonce = try number(object["nonce"], "nonce")?.uint64 ?? 0
        if let text = object["extraData"] as? String {
            do { genesis.extraData = try Hex.decode(text) } catch { throw GenesisError("extraData: \(error)") }
        }
        if let text = object["mixHash"] as? String {
            do { genesis.mixHash = try Hash(hex: text) } catch { throw GenesisError("mixHash: \(error)") }
        }
        if let text = object["coinbase"] as? String {
            guard let address = try? Address(hex: text.lowercased()) else { throw GenesisError("coinbase is not an address") }
            genesis.coinbase = address
        }
        return genesis
    }

    /// A JSON number, decimal string or 0x-hex string as a U256; nil when absent.
    static func number(_ value: Any?, _ field: String) throws(GenesisError) -> U256? {
        switch value {
        case nil, is NSNull:
            return nil
        case let text as String:
            if text == "0x" || text == "0X" { return .zero }
            do { return try U256(parsing: text) } catch { throw GenesisError("\(field): \(error)") }
        case let number as NSNumber:
            guard number.doubleValue >= 0, number.doubleValue == number.doubleValue.rounded(),
                  number.doubleValue < 1.8e19 else {
                throw GenesisError("\(field): \(number) is not a non-negative integer")
            }
            return U256(number.uint64Value)
        default:
            throw GenesisError("\(field) is neither a number nor a string")
        }
    }
}

/// A malformed genesis file.
public struct GenesisError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { self.message }
}

extension Blockchain {
    /// A chain starting from `genesis`.
    /// A chain at `genesis`; `adjust` changes its header where a chain's own rules say so (a rollup's genesis
    /// carries its own fields), the state root aside.
    public convenience init(genesis: Genesis, adjust: (inout BlockHeader) -> Void = { _ in }) {
        let state = WorldState(accounts: genesis.alloc)
        var header = genesis.header(stateRoot: state.stateRoot)
        adjust(&header)
        header.stateRoot = state.stateRoot
        // The header's root is the allocation's by construction, so this cannot fail.
        try! self.init(config: genesis.config, genesis: header, state: state)
    }
}
