import Chain
import EVM
import Primitives
import Rollup

/// Runs contract deployments and calls on a genesis allocation, so that a chain can start with contracts whose
/// storage their constructors wrote: the transactions execute with the real EVM on an in-memory state at block 0
/// (no fee: the base fee and gas price are zero) and the resulting accounts become the genesis `alloc`.
/// Nothing here is logged or mined; the chain's block 0 simply holds the outcome.
public final class GenesisScript {
    private let backend: InMemoryState
    private let state: JournaledState
    private let processor: TransactionProcessor
    private let chainId: UInt64

    /// Starts from `alloc` on a chain with `chainId` (Prague rules).
    public init(alloc: [Address: InMemoryState.Account], chainId: UInt64, timestamp: UInt64) {
        self.backend = InMemoryState(accounts: alloc)
        self.state = JournaledState(backend: self.backend)
        self.chainId = chainId
        self.processor = TransactionProcessor(block: BlockEnvironment(
            number: 0, timestamp: timestamp, gasLimit: 30_000_000, coinbase: .zero, baseFee: .zero, prevRandao: .zero,
            excessBlobGas: 0, chainId: U256(chainId), fork: .prague))
    }

    /// Deploys `bytecode` followed by its ABI-encoded constructor `arguments` from `sender`.
    /// - Returns: the new contract's address.
    /// - Throws: `GenesisScriptError` when the deployment is invalid or its constructor reverts.
    @discardableResult
    public func deploy(from sender: Address, bytecode: String, arguments: [ABIValue] = [], value: U256 = .zero,
                       name: String) throws -> Address {
        try self.deploy(from: sender, bytecode: bytecode, encodedArguments: ABIValue.encode(arguments), value: value,
                        name: name)
    }

    /// Deploys `bytecode` followed by `encodedArguments` from `sender`.
    @discardableResult
    public func deploy(from sender: Address, bytecode: String, encodedArguments: [UInt8], value: U256 = .zero,
                       name: String) throws -> Address {
        let code: [UInt8]
        do {
            code = try Hex.decode(bytecode) + encodedArguments
        } catch {
            throw GenesisScriptError("\(name): the compiled bytecode is not hex: \(error)")
        }
        let receipt = try self.run(from: sender, to: nil, value: value, data: code, what: "deploying \(name)")
        guard let address = receipt.createdAddress else { throw GenesisScriptError("deploying \(name) created nothing") }
        return address
    }

    /// Calls `target` from `sender` with `data` (a transaction at zero gas price).
    /// - Throws: `GenesisScriptError` when the call reverts.
    public func call(from sender: Address, _ target: Address, _ data: [UInt8], value: U256 = .zero,
                     what: String) throws {
        try self.run(from: sender, to: target, value: value, data: data, what: what)
    }

    /// Calls `target` from the system address, outside any transaction (as the protocol's system calls are).
    /// - Throws: `GenesisScriptError` when the call reverts.
    public func systemCall(_ target: Address, _ data: [UInt8], what: String) throws {
        let result = SystemCall.call(target, input: data, state: self.state, block: self.processor.block)
        guard result.success else { throw GenesisScriptError("\(what) failed: \(result.haltReason ?? "reverted")") }
    }

    /// The allocation the script has produced so far.
    public func alloc() -> [Address: InMemoryState.Account] {
        self.backend.apply(self.state.takeChanges())
        return self.backend.accounts
    }

    @discardableResult
    private func run(from sender: Address, to: Address?, value: U256, data: [UInt8], what: String) throws
        -> TransactionReceipt {
        let transaction = Transaction(type: .dynamicFee, chainId: self.chainId, nonce: self.state.nonce(sender),
                                      maxPriorityFeePerGas: .zero, maxFeePerGas: .zero, gasLimit: 16_000_000, to: to,
                                      value: value, data: data)
        let receipt: TransactionReceipt
        do {
            receipt = try self.processor.execute(transaction, sender: sender, state: self.state)
        } catch {
            throw GenesisScriptError("\(what): \(error)")
        }
        self.state.finishTransaction()
        guard receipt.success else {
            throw GenesisScriptError("\(what) reverted\(Self.revertReason(receipt.output).map { ": \($0)" } ?? "")")
        }
        return receipt
    }

    /// The `Error(string)` message of a revert, if it carries one.
    static func revertReason(_ output: [UInt8]) -> String? {
        guard output.count >= 68, output.prefix(4) == [0x08, 0xc3, 0x79, 0xa0] else { return nil }
        guard output[36..<60].allSatisfy({ $0 == 0 }) else { return nil }
        let length = output[60..<68].reduce(0) { $0 << 8 | Int($1) }
        guard length >= 0, 68 + length <= output.count else { return nil }
        return String(decoding: output[68..<(68 + length)], as: UTF8.self)
    }
}

/// A genesis script step that failed: a broken artifact or a constructor that reverted.
public struct GenesisScriptError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
