import EVM
import Foundation
import Primitives
import StateTestRunner
import FixtureSupport
import Testing
@testable import State

/// Execution witnesses: stateless re-execution reproduces the post-state root, and a missing or forged element is
/// an error rather than a result.
@Suite("Execution witnesses")
struct ExecutionWitnessTests {
    static let sender = try! PrivateKey(hex: "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
    static let counter = try! Address(hex: "0x000000000000000000000000000000000000c0de")

    /// A counter contract (slot 0 += 1, then clears slot 5) and a funded sender, with unrelated accounts and slots so
    /// that the tries have depth.
    static func preState() -> InMemoryState {
        var accounts: [Address: InMemoryState.Account] = [
            sender.address: .init(balance: U256.power(U256(10), U256(18))),
            // SLOAD(0) + 1 → SSTORE(0); SSTORE(5, 0); STOP
            counter: .init(code: try! Hex.decode("0x600160005401600055600060055500"),
                           storage: [U256(0): U256(41), U256(5): U256(9), U256(77): U256(1)]),
        ]
        for i in 1...200 { accounts[Address(word: U256(UInt64(0x1000 + i)))] = .init(nonce: UInt64(i), balance: U256(UInt64(i))) }
        return InMemoryState(accounts: accounts)
    }

    static func transaction() -> Transaction {
        Transaction(type: .dynamicFee, chainId: 1, nonce: 0, maxPriorityFeePerGas: U256(1), maxFeePerGas: U256(10),
                    gasLimit: 100_000, to: counter, value: .zero, data: []).signed(with: sender)
    }

    static let block = BlockEnvironment(number: 1, timestamp: 12, gasLimit: 30_000_000, coinbase: .zero,
                                        baseFee: U256(7), prevRandao: .zero, excessBlobGas: 0, chainId: U256(1),
                                        fork: .prague)

    /// Executes in memory with a recorder; returns the witness and the true post-state root.
    static func recordedRun() throws -> (ExecutionWitness, Hash) {
        let pre = preState()
        let recorder = RecordingBackend(pre)
        let state = JournaledState(backend: recorder)
        _ = try TransactionProcessor(block: block).execute(transaction(), sender: sender.address, state: state)
        let changes = state.takeChanges()
        let witness = WitnessBuilder.build(pre: pre, recorder: recorder, changes: changes)
        pre.apply(changes)
        var records: [Address: AccountRecord] = [:]
        for (address, account) in pre.accounts {
            records[address] = AccountRecord(nonce: account.nonce, balance: account.balance,
                                             storageRoot: StateRoot.storageRoot(account.storage),
                                             codeHash: Keccak256.hash(account.code))
        }
        return (witness, StateRoot.stateRoot(records))
    }

    static func statelessRoot(_ witness: ExecutionWitness) throws -> Hash {
        let stateless = try StatelessState(witness: witness)
        let state = JournaledState(backend: stateless)
        _ = try TransactionProcessor(block: block).execute(transaction(), sender: sender.address, state: state)
        return try stateless.postStateRoot(applying: state.takeChanges())
    }

    @Test("Stateless re-execution from the witness reproduces the post-state root (with a slot deletion)")
    func roundTrip() throws {
        let (witness, expected) = try Self.recordedRun()
        #expect(witness.stateNodes.count > 1)
        #expect(witness.stateNodes.count < 60)  // a witness, not the whole state
        #expect(try Self.statelessRoot(witness) == expected)
    }

    @Test("A witness without the account nodes is rejected, not executed with guesses")
    func missingNodes() throws {
        var (witness, _) = try Self.recordedRun()
        witness.stateNodes = []
        #expect(throws: (any Error).self) { try Self.statelessRoot(witness) }
    }

    @Test("A witness without the contract's code is rejected")
    func missingCode() throws {
        var (witness, _) = try Self.recordedRun()
        witness.codes = []
        do {
            _ = try Self.statelessRoot(witness)
            Issue.record("execution without code succeeded")
        } catch {
            #expect("\(error)".contains("code"))
        }
    }

    @Test("A forged storage node is never reached: the read fails instead")
    func forgedStorage() throws {
        var (witness, _) = try Self.recordedRun()
        witness.storageNodes = witness.storageNodes.map { node in
            var forged = node
            if let last = forged.indices.last { forged[last] ^= 0x01 }
            return forged
        }
        #expect(throws: (any Error).self) { try Self.statelessRoot(witness) }
    }

    @Test("Public state tests re-executed statelessly from their witnesses", .enabled(if: Fixtures.available),
          arguments: ["ethtests/GeneralStateTests/stSStoreTest", "ethtests/GeneralStateTests/stCreate2",
                      "eest/state_tests/cancun/eip6780_selfdestruct", "eest/state_tests/prague/eip7702_set_code_tx"])
    func publicSuites(path: String) throws {
        guard let root = Fixtures.root else { return }
        var runner = StateTestRunner()
        runner.viaWitness = true
        let configured = runner
        let files = StateTestRunner.files(at: root.appendingPathComponent(path).path)
        let results = runWithLargeStack { files.flatMap { configured.run(file: $0) } }
        let failed = results.filter { $0.status == .failed }
        for failure in failed.prefix(10) { print("  FAIL stateless \(failure.name) \(failure.fork): \(failure.reason)") }
        print("stateless \(path): \(results.filter { $0.status == .passed }.count) passed, \(failed.count) failed")
        #expect(!results.isEmpty)
        #expect(failed.isEmpty)
    }
}
