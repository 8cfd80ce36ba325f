import Chain
import EVM
import JSONRPCClient
import Primitives
import State

/// A problem with a genesis file, naming the field.
public struct GenesisError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The devnet's first block and its allocation: built in (Prague from genesis, the ten development accounts funded,
/// the system contracts deployed) or read from a geth-style genesis file.
public struct DevnetGenesis: Sendable {
    public var config: ChainConfig
    public var header: BlockHeader
    public var alloc: [Address: InMemoryState.Account]

    /// Lockstep's default L1: chain id 31337 (anvil's), 30M gas, a 1 gwei base fee, Prague rules.
    public static func builtIn(chainId: UInt64 = 31337, timestamp: UInt64, gasLimit: UInt64 = 30_000_000,
                               balance: U256 = DevAccounts.defaultBalance) -> DevnetGenesis {
        var alloc: [Address: InMemoryState.Account] = [:]
        for address in DevAccounts.addresses { alloc[address] = InMemoryState.Account(balance: balance) }
        return make(config: ChainConfig(chainId: chainId, fork: .prague), alloc: alloc, timestamp: timestamp,
                    gasLimit: gasLimit, baseFee: U256(1_000_000_000), extraData: Array("lockstep".utf8))
    }

    /// A genesis with `alloc` plus the system contracts, and a header committing to them.
    static func make(config: ChainConfig, alloc: [Address: InMemoryState.Account], timestamp: UInt64,
                     gasLimit: UInt64, baseFee: U256, extraData: [UInt8] = [], coinbase: Address = .zero,
                     mixHash: Hash = .zero, excessBlobGas: UInt64 = 0) -> DevnetGenesis {
        var alloc = alloc
        let fork = config.fork(at: timestamp)
        if fork >= .cancun, alloc[SystemContracts.beaconRoots.address] == nil {
            alloc[SystemContracts.beaconRoots.address] = .init(nonce: 1, code: SystemContracts.beaconRoots.code)
        }
        if fork >= .prague {
            for contract in SystemContracts.all where alloc[contract.address] == nil {
                alloc[contract.address] = .init(nonce: 1, code: contract.code)
            }
        }
        let root = WorldState(accounts: alloc).stateRoot
        let header = BlockHeader(
            coinbase: coinbase, stateRoot: root, number: 0, gasLimit: gasLimit, timestamp: timestamp,
            extraData: extraData, mixHash: mixHash, baseFeePerGas: baseFee,
            withdrawalsRoot: fork >= .shanghai ? BlockHeader.emptyTrieRoot : nil,
            blobGasUsed: fork >= .cancun ? 0 : nil, excessBlobGas: fork >= .cancun ? excessBlobGas : nil,
            parentBeaconBlockRoot: fork >= .cancun ? Hash.zero : nil,
            requestsHash: fork >= .prague ? ExecutionRequest.requestsHash([]) : nil)
        return DevnetGenesis(config: config, header: header, alloc: alloc)
    }

    /// Reads a geth-style genesis file: `config` (chainId, cancunTime, pragueTime, blobSchedule), `alloc`
    /// (balance, nonce, code, storage), `gasLimit`, `timestamp`, `baseFeePerGas`, `extraData`, `coinbase`,
    /// `mixHash`, `excessBlobGas`. Quantities may be hex or decimal. Lockstep runs Cancun and Prague blocks, so
    /// `cancunTime` must be 0 (or the chain must start on Prague).
    public static func parse(_ bytes: [UInt8]) throws -> DevnetGenesis {
        let json: JSONValue
        do { json = try JSONValue(parsing: bytes) } catch { throw GenesisError("the genesis file is not JSON: \(error)") }
        guard case .object(let root) = json else { throw GenesisError("the genesis file must hold a JSON object") }
        func quantity(_ value: JSONValue?, _ name: String) throws -> U256? {
            guard let value, value != .null else { return nil }
            switch value {
            case .number(let number):
                guard let integer = UInt64(number.text) else { throw GenesisError("\(name): \(number.text) is not an integer") }
                return U256(integer)
            case .string(let text):
                if !text.hasPrefix("0x"), let integer = UInt64(text) { return U256(integer) }
                do { return try value.decodeQuantity() } catch { throw GenesisError("\(name): \(error)") }
            default:
                throw GenesisError("\(name): expected a number, found \(value.kindDescription)")
            }
        }
        func small(_ value: JSONValue?, _ name: String) throws -> UInt64? {
            guard let word = try quantity(value, name) else { return nil }
            guard let result = word.uint64 else { throw GenesisError("\(name): does not fit in 64 bits") }
            return result
        }
        func data(_ value: JSONValue?, _ name: String) throws -> [UInt8]? {
            guard let value, value != .null else { return nil }
            do { return try value.decodeData() } catch { throw GenesisError("\(name): \(error)") }
        }

        let config = root["config"]?.objectValue ?? [:]
        guard let chainId = try small(config["chainId"], "config.chainId") else {
            throw GenesisError("config.chainId is missing")
        }
        let timestamp = try small(root["timestamp"], "timestamp") ?? 0
        var activations: [ChainConfig.ForkActivation] = []
        if let cancun = try small(config["cancunTime"], "config.cancunTime") {
            activations.append(.init(fork: .cancun, timestamp: cancun))
        }
        if let prague = try small(config["pragueTime"], "config.pragueTime") {
            activations.append(.init(fork: .prague, timestamp: prague))
        }
        if activations.isEmpty { activations = [.init(fork: .prague, timestamp: 0)] }
        guard activations.map(\.timestamp).min()! <= timestamp else {
            throw GenesisError("the first fork (cancunTime or pragueTime) must be active at the genesis timestamp: " +
                               "Lockstep runs Cancun and Prague blocks only")
        }
        var schedule: [Fork: BlobParameters] = [:]
        if case .object(let entries) = config["blobSchedule"] ?? .null {
            for (name, entry) in entries {
                guard let fork = Fork(name: name.prefix(1).uppercased() + name.dropFirst()) else { continue }
                guard let target = try small(entry["target"], "blobSchedule.\(name).target"),
                      let max = try small(entry["max"], "blobSchedule.\(name).max"),
                      let fraction = try small(entry["baseFeeUpdateFraction"], "blobSchedule.\(name).baseFeeUpdateFraction")
                else { throw GenesisError("blobSchedule.\(name) needs target, max and baseFeeUpdateFraction") }
                schedule[fork] = BlobParameters(target: Int(target), max: Int(max), baseFeeUpdateFraction: fraction)
            }
        }
        var alloc: [Address: InMemoryState.Account] = [:]
        for (key, entry) in root["alloc"]?.objectValue ?? [:] {
            let text = key.hasPrefix("0x") ? key : "0x" + key
            let address: Address
            do { address = try Address(hex: text) } catch { throw GenesisError("alloc key \(key): \(error)") }
            var storage: [U256: U256] = [:]
            for (slot, value) in entry["storage"]?.objectValue ?? [:] {
                guard let slotWord = try quantity(.string(slot), "alloc.\(key).storage key"),
                      let valueWord = try quantity(value, "alloc.\(key).storage[\(slot)]") else { continue }
                storage[slotWord] = valueWord
            }
            alloc[address] = InMemoryState.Account(
                nonce: try small(entry["nonce"], "alloc.\(key).nonce") ?? 0,
                balance: try quantity(entry["balance"], "alloc.\(key).balance") ?? .zero,
                code: try data(entry["code"], "alloc.\(key).code") ?? [], storage: storage)
        }
        let coinbase: Address
        if case .string(let text) = root["coinbase"] ?? .null {
            do { coinbase = try Address(hex: text) } catch { throw GenesisError("coinbase: \(error)") }
        } else {
            coinbase = .zero
        }
        let mixHash = try data(root["mixHash"], "mixHash").flatMap { Hash(bytes: $0) } ?? .zero
        return make(config: ChainConfig(chainId: chainId, forks: activations, blobSchedule: schedule), alloc: alloc,
                    timestamp: timestamp, gasLimit: try small(root["gasLimit"], "gasLimit") ?? 30_000_000,
                    baseFee: try quantity(root["baseFeePerGas"], "baseFeePerGas") ?? U256(1_000_000_000),
                    extraData: try data(root["extraData"], "extraData") ?? [], coinbase: coinbase, mixHash: mixHash,
                    excessBlobGas: try small(root["excessBlobGas"], "excessBlobGas") ?? 0)
    }

    /// This genesis as a geth-style file (what `parse` reads back to the same header).
    public var gethJSON: JSONValue {
        var alloc: [String: JSONValue] = [:]
        for (address, account) in self.alloc {
            var entry: [String: JSONValue] = ["balance": .quantity(account.balance)]
            if account.nonce != 0 { entry["nonce"] = .quantity(account.nonce) }
            if !account.code.isEmpty { entry["code"] = .data(account.code) }
            if !account.storage.isEmpty {
                var storage: [String: JSONValue] = [:]
                for (slot, value) in account.storage { storage[Hash(word: slot).description] = .string(Hash(word: value).description) }
                entry["storage"] = .object(storage)
            }
            alloc[address.description] = .object(entry)
        }
        var config: [String: JSONValue] = ["chainId": .number(self.config.chainId)]
        for activation in self.config.forks {
            config[activation.fork.name.lowercased() + "Time"] = .number(activation.timestamp)
        }
        var schedule: [String: JSONValue] = [:]
        for (fork, parameters) in self.config.blobSchedule {
            schedule[fork.name.lowercased()] = .object([
                "target": .number(parameters.target), "max": .number(parameters.max),
                "baseFeeUpdateFraction": .number(parameters.baseFeeUpdateFraction)])
        }
        if !schedule.isEmpty { config["blobSchedule"] = .object(schedule) }
        return .object([
            "config": .object(config), "alloc": .object(alloc), "gasLimit": .quantity(header.gasLimit),
            "timestamp": .quantity(header.timestamp), "baseFeePerGas": .quantity(header.baseFeePerGas ?? .zero),
            "extraData": .data(header.extraData), "coinbase": .string(header.coinbase.description),
            "mixHash": .string(header.mixHash.description), "excessBlobGas": .quantity(header.excessBlobGas ?? 0),
        ])
    }
}
