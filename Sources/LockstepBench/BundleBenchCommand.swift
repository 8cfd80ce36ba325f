import ArgumentParser
import EVM
import Foundation
import JSON
import JSONRPCClient
import Primitives
import State
import StateTestRunner

/// `lockstep bench bundle`: simulates a 3-transaction bundle (an ETH transfer, a token transfer, an AMM swap) against
/// forked state served over JSON-RPC, first with a cold cache (every read goes over HTTP) and then warm (the fetched
/// base is shared, each simulation runs on its own copy-on-write overlay and is discarded).
struct BundleBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Forked-state simulation of a 3-transaction bundle: first (cold) and warm, per second per core.",
        discussion: """
            The pre-state (three funded searchers, a token and an AMM pool, both small hand-written contracts) is
            loaded into the JSON-RPC state server at --state-server with lockstep_setState; start one with
            `python3 Tests/Support/state_server.py` (it prints its port), or run
            `Deploy/bench/with-state-server.sh bench bundle --state-server`.
            Transactions are decoded and their senders recovered once, as bundle intake does; the figures are for
            simulation: execution, state reads and the overlay, on one core.
            """)

    @Option(name: .long, help: ArgumentHelp("The JSON-RPC state server that serves the forked pre-state.", valueName: "url"))
    var stateServer: String

    @Option(name: .long, help: "Warm simulations to time.")
    var iterations = 20_000

    @Flag(name: .long, help: "Print the results as JSON.")
    var json = false

    /// `transfer(to, amount)` on calldata `to ‖ amount`: balances live at slot = holder address; reverts when short.
    static let tokenCode: [UInt8] = [
        0x5f, 0x35,  // PUSH0 CALLDATALOAD: to
        0x60, 0x20, 0x35,  // amount
        0x33, 0x54,  // CALLER SLOAD: balance of the sender
        0x81, 0x81, 0x10,  // DUP2 DUP2 LT: balance < amount
        0x60, 0x18, 0x57,  // PUSH1 0x18 JUMPI: to the revert
        0x81, 0x90, 0x03,  // DUP2 SWAP1 SUB: balance - amount
        0x33, 0x55,  // CALLER SSTORE
        0x81, 0x54, 0x01,  // DUP2 SLOAD ADD: balance of `to` + amount
        0x90, 0x55, 0x00,  // SWAP1 SSTORE STOP
        0x5b, 0x5f, 0x5f, 0xfd,  // 0x18: JUMPDEST PUSH0 PUSH0 REVERT
    ]

    /// `swap(amountIn)`: a constant-product pool with reserves in slots 0 and 1; pays `y·in/(x+in)` of the second
    /// asset to the caller's balance (slot = caller) and updates both reserves.
    static let ammCode: [UInt8] = [
        0x5f, 0x35,  // PUSH0 CALLDATALOAD: in
        0x5f, 0x54,  // PUSH0 SLOAD: x
        0x60, 0x01, 0x54,  // PUSH1 1 SLOAD: y
        0x82, 0x82, 0x01,  // DUP3 DUP3 ADD: x + in
        0x81, 0x84, 0x02,  // DUP2 DUP5 MUL: y·in
        0x04,  // DIV: out
        0x80, 0x91, 0x03,  // DUP1 SWAP2 SUB: y - out
        0x60, 0x01, 0x55,  // PUSH1 1 SSTORE
        0x33, 0x54, 0x01, 0x33, 0x55,  // CALLER SLOAD ADD CALLER SSTORE
        0x01, 0x5f, 0x55, 0x00,  // ADD PUSH0 SSTORE STOP: x + in
    ]

    func run() throws {
        #if DEBUG
        if !json { print("warning: this is a debug build; figures are 25-40x slower than release") }
        #endif
        // The token's revert label sits after the 24 bytes of the straight-line path.
        precondition(Self.tokenCode[0x18] == 0x5b, "token code layout")
        let keys = try [
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
            "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        ].map { try PrivateKey(hex: $0) }
        let searchers = keys.map(\.address)
        let token = try Address(hex: "0x7070707070707070707070707070707070707070")
        let amm = try Address(hex: "0xa0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0")
        let recipient = try Address(hex: "0x000000000000000000000000000000000000beef")
        let coinbase = try Address(hex: "0x000000000000000000000000000000000000c0de")

        let pre = InMemoryState()
        let ether = U256(1_000_000_000_000_000_000)
        for searcher in searchers { pre.set(searcher, .init(balance: ether &* U256(100))) }
        var balances: [U256: U256] = [:]
        for searcher in searchers { balances[searcher.word] = U256(1_000_000) }
        pre.set(token, .init(code: Self.tokenCode, storage: balances))
        pre.set(amm, .init(code: Self.ammCode, storage: [U256(0): U256(10_000_000), U256(1): U256(20_000_000)]))

        let client = JSONRPCClient(url: stateServer, timeoutMilliseconds: 5_000)
        do {
            _ = try client.call("lockstep_setState", ForkedStateTestBackend.setStateParams(pre))
        } catch {
            throw BenchFailure("cannot load the pre-state into \(stateServer): \(error)")
        }

        let block = BlockEnvironment(number: 1, timestamp: 1_000, gasLimit: 30_000_000, coinbase: coinbase,
                                     baseFee: U256(7), prevRandao: .zero, excessBlobGas: 0, chainId: U256(1),
                                     fork: .prague)
        func word(_ value: U256) -> [UInt8] { value.bigEndianBytes }
        let fee = U256(1_000_000_000)
        let unsigned = [
            Transaction(type: .dynamicFee, chainId: 1, nonce: 0, maxPriorityFeePerGas: fee, maxFeePerGas: fee &* U256(2),
                        gasLimit: 21_000, to: recipient, value: ether, data: []),
            Transaction(type: .dynamicFee, chainId: 1, nonce: 0, maxPriorityFeePerGas: fee, maxFeePerGas: fee &* U256(2),
                        gasLimit: 100_000, to: token, value: .zero,
                        data: word(recipient.word) + word(U256(250))),
            Transaction(type: .dynamicFee, chainId: 1, nonce: 0, maxPriorityFeePerGas: fee, maxFeePerGas: fee &* U256(2),
                        gasLimit: 100_000, to: amm, value: .zero, data: word(U256(5_000))),
        ]
        // Intake: decode and recover once per bundle, as the bundle pool does (timed over 200 rounds).
        let raws = unsigned.enumerated().map { $0.element.signed(with: keys[$0.offset]).encoded }
        var bundle: [(Transaction, Address)] = []
        let rounds = 200
        let intakeNanos = try BenchClock.measureThrowing {
            for _ in 0..<rounds {
                bundle = try raws.map { raw in
                    let decoded = try Transaction.decode(raw)
                    return (decoded, try decoded.validate(chainId: 1, fork: .prague))
                }
            }
        } / UInt64(rounds)

        let base = ForkedState(provider: JSONRPCUpstream(client: client, blockNumber: 1))
        let prepared = bundle
        let iterations = max(1, self.iterations)
        let outcome = try runWithLargeStack { () -> Result<BundleBenchOutcome, Error> in
            Result { try Self.measure(prepared, base: base, block: block, coinbase: coinbase, iterations: iterations) }
        }.get()

        let warmMicros = Double(outcome.warmNanos) / Double(iterations) / 1_000
        let results = [
            BenchResult(name: "bundle first (cold)", value: Double(outcome.firstNanos) / 1_000, unit: "µs"),
            BenchResult(name: "bundle warm", value: warmMicros, unit: "µs"),
            BenchResult(name: "bundle warm rate", value: 1_000_000 / warmMicros, unit: "/s/core", target: "≥ 5,000 /s"),
            BenchResult(name: "intake decode+recover", value: Double(intakeNanos) / 1_000, unit: "µs"),
        ]
        if json {
            print(JSONOutput.array(results.map(\.json)).rendered())
        } else {
            for result in results { print(result.line) }
            print("first simulation: \(outcome.firstReads) remote reads over HTTP; warm: \(outcome.warmReads) " +
                  "in \(iterations) simulations; bundle gas \(outcome.gasUsed), coinbase gain \(outcome.value) wei")
        }
    }
}

extension BundleBenchCommand {
    /// Simulates the bundle once cold, then `iterations` times warm, each on a fresh overlay over `base`.
    static func measure(_ bundle: [(Transaction, Address)], base: ForkedState, block: BlockEnvironment,
                        coinbase: Address, iterations: Int) throws -> BundleBenchOutcome {
        let processor = TransactionProcessor(block: block)
        /// One simulation; returns the coinbase's gain (the bundle's value to the builder) and the gas used.
        func simulate() throws -> (value: U256, gasUsed: UInt64) {
            let overlay = StateOverlay(parent: base)
            let state = JournaledState(backend: overlay)
            let before = state.balance(coinbase)
            var gasUsed: UInt64 = 0
            for (transaction, sender) in bundle {
                let receipt = try processor.execute(transaction, sender: sender, state: state)
                guard receipt.success else {
                    throw BenchFailure("bundle transaction reverted: \(receipt.output.hexString)")
                }
                gasUsed += receipt.gasUsed
                state.finishTransaction()
            }
            let gain = state.balance(coinbase) &- before
            overlay.apply(state.takeChanges())
            try base.throwIfFailed()
            return (gain, gasUsed)
        }
        var first: (value: U256, gasUsed: UInt64) = (.zero, 0)
        var start = DispatchTime.now().uptimeNanoseconds
        first = try simulate()
        let firstNanos = DispatchTime.now().uptimeNanoseconds - start
        let readsAfterFirst = base.remoteReads
        var sink = U256.zero
        start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { sink = sink &+ (try simulate()).value }
        let warmNanos = DispatchTime.now().uptimeNanoseconds - start
        BenchClock.consume(sink)
        return BundleBenchOutcome(firstNanos: firstNanos, firstReads: readsAfterFirst, warmNanos: warmNanos,
                                  warmReads: base.remoteReads - readsAfterFirst, value: first.value,
                                  gasUsed: first.gasUsed)
    }
}

/// The bench's figures, carried out of the worker thread.
struct BundleBenchOutcome: Sendable {
    var firstNanos: UInt64
    var firstReads: Int
    var warmNanos: UInt64
    var warmReads: Int
    var value: U256
    var gasUsed: UInt64
}
