import Chain
import EVM
import Foundation
import Primitives

/// The outcome of one blockchain test.
public struct BlockchainTestResult: Sendable {
    public enum Status: String, Sendable {
        case passed, failed, skipped
    }

    public var file: String
    public var name: String
    /// The fixture's network (`Prague`, `CancunToPragueAtTime15k`, …).
    public var network: String
    public var status: Status
    /// Why it failed or was skipped (empty when it passed).
    public var reason: String
    /// Blocks imported (valid) and rejected (expected-invalid) while running it.
    public var blocksImported: Int
    public var blocksRejected: Int
}

/// Runs execution-spec-tests (and ethereum/tests) blockchain tests: builds the genesis from `pre`, imports every
/// block of `blocks` (rejecting the ones marked `expectException`, for the reason named), then checks the head
/// hash against `lastblockhash` and the state against `postState` (or `postStateHash`).
public struct BlockchainTestRunner: Sendable {
    /// Only run tests whose network is one of these (all when empty).
    public var networks: Set<String>
    /// Only run tests whose name contains this text.
    public var nameFilter: String?

    public init(networks: Set<String> = [], nameFilter: String? = nil) {
        self.networks = networks
        self.nameFilter = nameFilter
    }

    /// Runs every test of one file. A file that cannot be read yields one failed result saying why; tests that
    /// are not blockchain tests (no `blocks`) are ignored.
    public func run(file: URL) -> [BlockchainTestResult] {
        let fileName = file.lastPathComponent
        let tests: [String: Any]
        do {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
            guard let dictionary = object as? [String: Any] else { throw BlockchainTestError("top level is not an object") }
            tests = dictionary
        } catch {
            return [BlockchainTestResult(file: fileName, name: fileName, network: "-", status: .failed,
                                         reason: "cannot read \(file.path): \(error)", blocksImported: 0,
                                         blocksRejected: 0)]
        }
        var results: [BlockchainTestResult] = []
        for (name, value) in tests.sorted(by: { $0.key < $1.key }) {
            if let filter = self.nameFilter, !name.contains(filter) { continue }
            guard let test = value as? [String: Any], test["blocks"] != nil else { continue }
            let network = test["network"] as? String ?? "-"
            if !self.networks.isEmpty && !self.networks.contains(network.lowercased()) { continue }
            var result = BlockchainTestResult(file: fileName, name: name, network: network, status: .failed,
                                              reason: "", blocksImported: 0, blocksRejected: 0)
            do {
                try self.run(test, into: &result)
            } catch {
                result.status = .failed
                result.reason = "\(error)"
            }
            results.append(result)
        }
        return results
    }

    func run(_ test: [String: Any], into result: inout BlockchainTestResult) throws {
        guard let forks = ChainConfig.forks(network: result.network) else {
            result.status = .skipped
            result.reason = "unknown network \(result.network)"
            return
        }
        if let unsupported = forks.first(where: { !ChainConfig.supportedForks.contains($0.fork) }) {
            result.status = .skipped
            result.reason = "\(unsupported.fork.name) blocks are not executed (supported: \(ChainConfig.supportedForks.map(\.name).joined(separator: ", ")))"
            return
        }
        let config = try Self.config(test, forks: forks)
        let accounts = try Self.accounts(test["pre"] as? [String: Any] ?? [:])
        guard let genesisRLP = test["genesisRLP"] as? String else { throw BlockchainTestError("no genesisRLP") }
        let genesis = try Block.decode(rlp: try Hex.decode(genesisRLP))
        if let expected = (test["genesisBlockHeader"] as? [String: Any])?["hash"] as? String,
           try Hash(hex: expected) != genesis.hash {
            throw BlockchainTestError("genesis hash \(genesis.hash), fixture says \(expected)")
        }
        let chain = try Blockchain(config: config, genesis: genesis.header, accounts: accounts)

        for (position, entry) in (test["blocks"] as? [[String: Any]] ?? []).enumerated() {
            let expectException = entry["expectException"] as? String
            let headBefore = chain.head.hash, rootBefore = chain.state.stateRoot
            let outcome: Result<ChainBlock, InvalidBlock>
            do {
                let block = try Block.decode(rlp: try Hex.decode(entry["rlp"] as? String ?? ""))
                outcome = .success(try chain.importBlock(block))
            } catch let error as InvalidBlock {
                outcome = .failure(error)
            }
            switch (outcome, expectException) {
            case (.success(let accepted), nil):
                result.blocksImported += 1
                if let header = entry["blockHeader"] as? [String: Any], let hashText = header["hash"] as? String,
                   try Hash(hex: hashText) != accepted.hash {
                    throw BlockchainTestError("block \(position) imported with hash \(accepted.hash), fixture says \(hashText)")
                }
            case (.success, let expected?):
                throw BlockchainTestError("block \(position) was accepted, but the fixture expects \(expected)")
            case (.failure(let error), nil):
                throw BlockchainTestError("block \(position) rejected: \(error.exceptionName): \(error.message)")
            case (.failure(let error), let expected?):
                result.blocksRejected += 1
                guard chain.head.hash == headBefore, chain.state.stateRoot == rootBefore else {
                    throw BlockchainTestError("block \(position) was rejected but the chain changed (head or state root)")
                }
                let alternatives = expected.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
                if !alternatives.contains(error.exceptionName) {
                    throw BlockchainTestError("block \(position) rejected as \(error.exceptionName) (\(error.message)), but the fixture expects \(expected)")
                }
            }
        }

        if let expected = test["lastblockhash"] as? String, try Hash(hex: expected) != chain.head.hash {
            throw BlockchainTestError("head is \(chain.head.hash) (block \(chain.head.number)), fixture's last block hash is \(expected)")
        }
        if let post = test["postState"] as? [String: Any] {
            try Self.compare(chain.state, with: try Self.accounts(post))
        } else if let expected = test["postStateHash"] as? String, try Hash(hex: expected) != chain.state.stateRoot {
            throw BlockchainTestError("state root \(chain.state.stateRoot), fixture's post-state hash is \(expected)")
        }
        result.status = .passed
    }

    /// The chain configuration of a test: its network's forks, chain id and EIP-7840 blob schedule.
    static func config(_ test: [String: Any], forks: [ChainConfig.ForkActivation]) throws -> ChainConfig {
        let configObject = test["config"] as? [String: Any] ?? [:]
        var chainId: UInt64 = 1
        if let text = configObject["chainid"] as? String {
            guard let id = try U256(hex: text).uint64 else { throw BlockchainTestError("chain id \(text) is too large") }
            chainId = id
        }
        var schedule: [Fork: BlobParameters] = [:]
        for (forkName, value) in configObject["blobSchedule"] as? [String: Any] ?? [:] {
            guard let fork = Fork(name: forkName), let entry = value as? [String: String] else { continue }
            let target = try U256(hex: entry["target"] ?? "0x0").uint64 ?? 0
            let max = try U256(hex: entry["max"] ?? "0x0").uint64 ?? 0
            let fraction = try U256(hex: entry["baseFeeUpdateFraction"] ?? "0x0").uint64 ?? 0
            let parameters = BlobParameters(target: Int(target), max: Int(max), baseFeeUpdateFraction: fraction)
            // The EVM prices blobs (BLOBBASEFEE, blob fees) with the fork's default fraction.
            if let defaults = BlobParameters.defaults(for: fork), defaults.baseFeeUpdateFraction != fraction {
                throw BlockchainTestError("blob schedule of \(forkName) changes the base fee update fraction, which the EVM does not support")
            }
            schedule[fork] = parameters
        }
        return ChainConfig(chainId: chainId, forks: forks, blobSchedule: schedule)
    }

    /// Accounts of a `pre` or `postState` section.
    static func accounts(_ section: [String: Any]) throws -> [Address: InMemoryState.Account] {
        var accounts: [Address: InMemoryState.Account] = [:]
        for (addressText, value) in section {
            guard let account = value as? [String: Any] else { continue }
            var storage: [U256: U256] = [:]
            for (key, slot) in account["storage"] as? [String: String] ?? [:] {
                let value = try U256(hex: slot)
                if !value.isZero { storage[try U256(hex: key)] = value }
            }
            guard let nonce = try U256(hex: account["nonce"] as? String ?? "0x0").uint64 else {
                throw BlockchainTestError("nonce of \(addressText) does not fit 64 bits")
            }
            accounts[try Address(hex: addressText.lowercased())] = InMemoryState.Account(
                nonce: nonce, balance: try U256(hex: account["balance"] as? String ?? "0x0"),
                code: try Hex.decode(account["code"] as? String ?? "0x"), storage: storage)
        }
        return accounts
    }

    /// Compares the chain's state with the expected accounts, reporting the first difference.
    static func compare(_ state: WorldState, with expected: [Address: InMemoryState.Account]) throws {
        let actual = state.accounts
        for (address, want) in expected.sorted(by: { $0.key < $1.key }) {
            guard let have = actual[address] else { throw BlockchainTestError("post-state: account \(address) is missing") }
            if have.nonce != want.nonce {
                throw BlockchainTestError("post-state: \(address) nonce \(have.nonce), expected \(want.nonce)")
            }
            if have.balance != want.balance {
                throw BlockchainTestError("post-state: \(address) balance \(have.balance), expected \(want.balance)")
            }
            if have.code != want.code {
                throw BlockchainTestError("post-state: \(address) code differs (\(have.code.count) bytes, expected \(want.code.count))")
            }
            let haveStorage = have.storage.filter { !$0.value.isZero }
            if haveStorage != want.storage {
                let keys = Set(haveStorage.keys).union(want.storage.keys).sorted { $0 < $1 }
                let key = keys.first { haveStorage[$0] != want.storage[$0] }!
                throw BlockchainTestError("post-state: \(address) storage[\(key)] = \(haveStorage[key] ?? .zero), expected \(want.storage[key] ?? .zero)")
            }
        }
        if let extra = actual.keys.sorted().first(where: { expected[$0] == nil }) {
            throw BlockchainTestError("post-state: unexpected account \(extra)")
        }
    }
}

/// A malformed blockchain test, or a difference from what it expects.
public struct BlockchainTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
