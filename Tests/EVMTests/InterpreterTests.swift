import EVM
import Primitives
import Testing

/// Small programs whose results and gas are known by hand: the smallest tests that catch interpreter regressions.
@Suite("Interpreter")
struct InterpreterTests {
    static let caller = try! Address(hex: "0x1000000000000000000000000000000000000001")
    static let contract = try! Address(hex: "0x2000000000000000000000000000000000000002")

    /// Runs `code` as a call from `caller` with `gas`, returning the result and the state.
    static func run(_ hex: String, gas: Int = 1_000_000, fork: Fork = .prague, storage: [U256: U256] = [:],
                    isStatic: Bool = false) throws -> (CallResult, JournaledState, EVM) {
        let backend = InMemoryState(accounts: [
            caller: .init(balance: U256(1_000_000)),
            contract: .init(code: try Hex.decode(hex), storage: storage),
        ])
        let state = JournaledState(backend: backend)
        let block = BlockEnvironment(number: 10, timestamp: 1000, gasLimit: 30_000_000, coinbase: .zero, baseFee: U256(7),
                                     prevRandao: U256(42), excessBlobGas: 0, chainId: U256(1), fork: fork)
        let evm = EVM(state: state, block: block, transaction: TransactionContext(origin: caller, gasPrice: U256(7)))
        _ = state.warmAccount(caller)
        _ = state.warmAccount(contract)
        let result = evm.call(caller: caller, target: contract, codeAddress: contract, value: .zero,
                              transfersValue: true, input: [], gas: gas, isStatic: isStatic, depth: 0)
        return (result, state, evm)
    }

    @Test("Arithmetic result and exact gas: PUSH1 2 PUSH1 3 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN")
    func addAndReturn() throws {
        let (result, _, _) = try Self.run("0x600260030160005260206000f3")
        #expect(result.success)
        #expect(result.output == Hash(word: U256(5)).bytes)
        // 3+3+3+3+3 (+3 memory for one word) +3+3 = 24
        #expect(1_000_000 - result.gasLeft == 24)
    }

    @Test("REVERT returns data, keeps unused gas and undoes storage writes")
    func revertUndoesStorage() throws {
        // SSTORE(0, 1); MSTORE(0, 0xaa); REVERT(31, 1)
        let (result, state, _) = try Self.run("0x600160005560aa6000526001601ffd")
        #expect(!result.success)
        #expect(result.output == [0xaa])
        #expect(result.gasLeft > 0)
        #expect(state.storage(Self.contract, .zero) == .zero)
    }

    @Test("An invalid opcode consumes all gas")
    func invalidOpcode() throws {
        let (result, _, _) = try Self.run("0xfe")
        #expect(!result.success)
        #expect(result.gasLeft == 0)
    }

    @Test("A jump into PUSH data is rejected")
    func badJump() throws {
        // PUSH1 3 JUMP PUSH1 0x5b: offset 3 is PUSH data that happens to be 0x5b.
        let (result, _, _) = try Self.run("0x600356605b")
        #expect(!result.success)
    }

    @Test("SSTORE in a static context halts")
    func staticWrite() throws {
        let (result, _, _) = try Self.run("0x6001600055", isStatic: true)
        #expect(!result.success)
        #expect(result.gasLeft == 0)
    }

    @Test("SSTORE prices: cold set 22100, then warm reset to original refunds 19900 (EIP-2200/2929/3529)")
    func sstorePricing() throws {
        // SSTORE(0, 1) then SSTORE(0, 0): cold new slot (2100 + 20000), then dirty back to original (100).
        let (result, _, _) = try Self.run("0x60016000556000600055")
        #expect(result.success)
        #expect(1_000_000 - result.gasLeft == 3 * 4 + 22_100 + 100)
        #expect(result.refund == 19_900)
    }

    @Test("Stack underflow and overflow halt")
    func stackLimits() throws {
        #expect(try !Self.run("0x01").0.success)
        // 1025 pushes overflow the 1024-slot stack.
        #expect(try !Self.run("0x" + String(repeating: "5f", count: 1025)).0.success)
        #expect(try Self.run("0x" + String(repeating: "5f", count: 1024)).0.success)
    }

    @Test("CLZ exists from Osaka only (EIP-7939)")
    func countLeadingZeros() throws {
        // PUSH1 1 CLZ PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
        let osaka = try Self.run("0x60011e60005260206000f3", fork: .osaka).0
        #expect(osaka.success)
        #expect(osaka.output == Hash(word: U256(255)).bytes)
        #expect(try !Self.run("0x60011e60005260206000f3", fork: .prague).0.success)
    }

    @Test("Transient storage lives for the transaction only (EIP-1153)")
    func transientStorage() throws {
        // TSTORE(1, 7); TLOAD(1) → return it
        let (result, state, _) = try Self.run("0x600760015d60015c60005260206000f3")
        #expect(result.output == Hash(word: U256(7)).bytes)
        state.finishTransaction()
        #expect(state.tload(Self.contract, U256(1)) == .zero)
    }

    @Test("Logs carry address, topics and data; a reverted frame drops them")
    func logs() throws {
        // MSTORE8(0, 0xab); LOG1(offset 0, size 1, topic 0x42)
        let (result, _, evm4) = try Self.run("0x60ab600053604260016000a1")
        #expect(result.success)
        #expect(evm4.logs.count == 1)
        #expect(evm4.logs.first?.topics == [Hash(word: U256(0x42))])
        #expect(evm4.logs.first?.data == [0xab])
        let (reverted, _, evm5) = try Self.run("0x60ab600053604260016000a160006000fd")
        #expect(!reverted.success)
        #expect(evm5.logs.isEmpty)
    }
}
