import EVM
import Primitives

/// System calls: the protocol calls system contracts at the start and end of each block from the system address,
/// outside of any transaction (no gas is bought, no nonce bumped, no fee paid).
public enum SystemCall {
    /// The caller of every system call.
    public static let systemAddress = try! Address(hex: "0xfffffffffffffffffffffffffffffffffffffffe")
    /// The gas a system call may use.
    public static let gasLimit = 30_000_000

    /// EIP-4788: stores the parent beacon block root, keyed by timestamp.
    public static let beaconRootsAddress = try! Address(hex: "0x000f3df6d732807ef1319fb7b8bb8522d0beac02")
    /// EIP-2935: stores the parent block hash, keyed by number.
    public static let historyStorageAddress = try! Address(hex: "0x0000f90827f1c53a10cb7a02335b175320002935")
    /// EIP-7002: queues execution-layer-triggered withdrawal requests.
    public static let withdrawalRequestAddress = try! Address(hex: "0x00000961ef480eb55e80d19ad83579a64c007002")
    /// EIP-7251: queues consolidation requests.
    public static let consolidationRequestAddress = try! Address(hex: "0x0000bbddc7ce488642fb579f8b00f3a590007251")

    /// Calls `target` with `input` from the system address and ends the call like a transaction (warm sets and
    /// transient storage are reset). Nothing is pre-warmed, as in the execution specs' `process_system_transaction`.
    ///
    /// - Returns: the call's result; a target without code returns success with no output.
    public static func call(_ target: Address, input: [UInt8], state: JournaledState,
                            block: BlockEnvironment) -> CallResult {
        let evm = EVM(state: state, block: block,
                      transaction: TransactionContext(origin: systemAddress, gasPrice: block.baseFee))
        let result = evm.call(caller: systemAddress, target: target, codeAddress: target, value: .zero,
                              transfersValue: false, input: input, gas: gasLimit, isStatic: false, depth: 0)
        state.finishTransaction()
        return result
    }

    /// A system call whose failure invalidates the block (EIP-7002 and EIP-7251 dequeues).
    /// - Throws: `InvalidBlock` with `.systemContractEmpty` when the contract has no code, or
    ///   `.systemContractCallFailed` when the call reverts or halts.
    public static func checkedCall(_ target: Address, input: [UInt8], state: JournaledState,
                                   block: BlockEnvironment) throws(InvalidBlock) -> [UInt8] {
        guard state.code(target).count > 0 else {
            throw InvalidBlock(.systemContractEmpty, "system contract \(target) has no code")
        }
        let result = call(target, input: input, state: state, block: block)
        guard result.success else {
            let reason = result.haltReason ?? "reverted"
            throw InvalidBlock(.systemContractCallFailed, "system contract \(target) call failed: \(reason)")
        }
        return result.output
    }
}
