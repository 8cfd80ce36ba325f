import Chain
import EVM
import Foundation
import Primitives
import Rollup
import State

/// An L1 chain in memory for contract tests: blocks executed with the Chain module on a `WorldState`, with the
/// EXECUTE precompile configured, and each block's hash available to BLOCKHASH.
final class L1TestChain {
    let config: ChainConfig
    let world: WorldState
    private(set) var head: BlockHeader
    private var nonces: [Address: UInt64] = [:]

    struct Outcome {
        var receipt: Receipt
        var output: [UInt8]
        var gasUsed: UInt64
        var succeeded: Bool { self.receipt.succeeded }
        /// The revert reason of an `Error(string)` revert.
        var revertReason: String? { L1TestChain.revertReason(self.output) }
    }

    init(execute: Bool = true) {
        var genesis = Genesis.devnet(chainId: RollupProtocol.devnetL1ChainId, timestamp: 1_765_000_000)
        if execute {
            genesis.config.customPrecompiles = CustomPrecompiles(
                table: [RollupProtocol.executePrecompileAddress: ExecutePrecompile()])
        }
        self.config = genesis.config
        self.world = WorldState(accounts: genesis.alloc)
        self.head = genesis.header(stateRoot: self.world.stateRoot)
        self.world.setBlockHash(self.head.hash, number: 0)
    }

    /// The number the next block will have.
    var nextNumber: UInt64 { self.head.number + 1 }

    /// Signs a transaction from development account `key` with its next nonce.
    func transaction(key: Int, to: Address?, value: U256 = .zero, data: [UInt8], gas: UInt64 = 3_000_000) -> Transaction {
        let sender = DevAccounts.addresses[key]
        let nonce = self.nonces[sender] ?? 0
        self.nonces[sender] = nonce + 1
        return Transaction(type: .dynamicFee, chainId: self.config.chainId, nonce: nonce,
                           maxPriorityFeePerGas: U256(1_000_000_000), maxFeePerGas: U256(100_000_000_000),
                           gasLimit: gas, to: to, value: value, data: data).signed(with: DevAccounts.privateKeys[key])
    }

    /// Executes `transactions` in the next block and commits it.
    @discardableResult
    func mine(_ transactions: [Transaction]) throws -> [Outcome] {
        let template = BlockHeader(
            parentHash: self.head.hash, coinbase: Address.zero, number: self.head.number + 1, gasLimit: 60_000_000,
            timestamp: self.head.timestamp + 12, baseFeePerGas: FeeMarket.nextBaseFee(parent: self.head),
            withdrawalsRoot: BlockHeader.emptyTrieRoot, blobGasUsed: 0, excessBlobGas: 0,
            parentBeaconBlockRoot: .zero, requestsHash: RollupProtocol.emptyRequestsHash)
        let execution = BlockExecution(config: self.config, header: template, worldState: self.world)
        var outcomes: [Outcome] = []
        var previousGas: UInt64 = 0
        for transaction in transactions {
            let receipt = try execution.apply(transaction)
            outcomes.append(Outcome(receipt: receipt, output: execution.lastOutput,
                                    gasUsed: receipt.cumulativeGasUsed - previousGas))
            previousGas = receipt.cumulativeGasUsed
        }
        let result = try execution.finish()
        var header = template
        header.stateRoot = result.pendingState.stateRoot
        header.gasUsed = result.gasUsed
        self.world.commit(result.pendingState)
        self.world.setBlockHash(header.hash, number: header.number)
        self.head = header
        return outcomes
    }

    /// Deploys `bytecode ‖ arguments` from `key` and returns the contract's address.
    func deploy(key: Int, bytecode: String, arguments: [UInt8] = []) throws -> Address {
        let sender = DevAccounts.addresses[key]
        let nonce = self.nonces[sender] ?? 0
        let transaction = self.transaction(key: key, to: nil, data: try Hex.decode(bytecode) + arguments,
                                           gas: 10_000_000)
        let outcome = try self.mine([transaction])[0]
        guard outcome.succeeded else { throw TestFailure("deployment failed: \(outcome.revertReason ?? "no reason")") }
        return Address.contractAddress(sender: sender, nonce: nonce)
    }

    /// Runs a read-only call at the head.
    func call(_ to: Address, _ data: [UInt8]) -> [UInt8] {
        let state = JournaledState(backend: self.world)
        var environment = self.config.blockEnvironment(for: self.head)
        environment.number += 1
        let evm = EVM(state: state, block: environment,
                      transaction: TransactionContext(origin: .zero, gasPrice: .zero))
        return evm.call(caller: .zero, target: to, codeAddress: to, value: .zero, transfersValue: false,
                        input: data, gas: 30_000_000, isStatic: true, depth: 0).output
    }

    static func revertReason(_ output: [UInt8]) -> String? {
        guard output.count >= 68, output.prefix(4) == [0x08, 0xc3, 0x79, 0xa0] else { return nil }
        let length = Int(U256(bigEndianBytes: output[36..<68])!.uint64 ?? 0)
        guard 68 + length <= output.count else { return nil }
        return String(decoding: output[68..<68 + length], as: UTF8.self)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The folder of the protocol's vectors.
let vectorsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Specs/vectors")
