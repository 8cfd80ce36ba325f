import ArgumentParser
import Builder
import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import L1Devnet
import Node
import Primitives
import RPCServer
import Rollup
import Sequencer
import Store
import Synchronization

/// `lockstep bench builder`: joint simulations per second (cold and warm) and bundle intake next to a bare echo on
/// the same server stack, in one process on this machine.
struct BuilderBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "builder",
        abstract: "Builder: cross-layer bundle simulations per second (cold, warm); lockstep_sendBundle next to an echo.",
        discussion: """
            Starts the L1 devnet (EXECUTE enabled, the harness contracts, 2-of-3 policy) and the L2 sequencer in this
            process, each served on a loopback port, and makes a handoff. Then
            1. simulates a 3-transaction cross-layer bundle (a deposit on L1, a withdrawal on the L2, its execution
               on L1; with the builder's proofs and submitBased) on one thread: cold (new forks of both chains over
               JSON-RPC for each simulation) and warm (the same forks, their state cached);
            2. serves the builder's API with a durable bundle book (SQLite, synchronous) and a bare echo method on
               the same server, and drives both from --connections client threads over keep-alive HTTP: requests per
               second and p50/p99 latency of each, and their ratio.
            """)

    @Option(name: .long, help: "Cold simulations to time.")
    var cold = 5

    @Option(name: .long, help: "Seconds of warm simulations.")
    var warmSeconds = 5.0

    @Option(name: .long, help: "Concurrent client connections for the intake test.")
    var connections = 64

    @Option(name: .long, help: "Seconds per intake measurement.")
    var seconds = 5.0

    @Flag(name: .long, help: "Measure the auction instead: handoff → merged bundle sent, with --bundles waiting, over --slots handoffs (the bundles are drafted early before each handoff, as the builder does while a slot runs: printed, not counted; the slot-end block carries a plain transfer from one in ten of the bundles' senders, which those bundles' drafts must see).")
    var slot = false

    @Option(name: .long, help: "Bundles waiting at each handoff (with --slot).")
    var bundles = 1_000

    @Option(name: .long, help: "Handoffs to measure (with --slot).")
    var slots = 20

    @Flag(name: .long, help: "The Rollup counts the attestation proof only (DESIGN §4's setting for --slot); by default it needs the attestation and the EXECUTE proof.")
    var attestationOnly = false

    static let l1ChainId = RollupProtocol.devnetL1ChainId
    static let l2ChainId = RollupProtocol.devnetL2ChainId
    static let rollup = Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)
    static let ether = U256(1_000_000_000_000_000_000)

    static func sign(chainId: UInt64, key: PrivateKey, nonce: UInt64, to: Address?, value: U256 = .zero,
                     data: [UInt8] = [], gas: UInt64 = 300_000) -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(200_000_000_000), gasLimit: gas, to: to, value: value, data: data)
            .signed(with: key)
    }

    /// Serves `methods` on a free loopback port while `body` runs.
    static func serving(_ methods: RPCMethods, _ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(dispatcher: RPCDispatcher(methods: methods),
                                            configuration: RPCServerConfiguration(port: 0, quiet: true),
                                            onRunning: { continuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw NodeError("the server did not start") }
            try await body("http://127.0.0.1:\(port)")
            group.cancelAll()
        }
    }

    func run() async throws {
        #if DEBUG
        print("warning: this is a debug build; figures are 25-40x slower than release")
        #endif
        let depositors = slot ? Self.slotDepositors(bundles / 10 + 1) : []
        let funded = U256(1_000) &* Self.ether
        var l1Genesis = Genesis.devnetL1(timestamp: UInt64(Date().timeIntervalSince1970) - 1_000,
                                         extraAccounts: Dictionary(uniqueKeysWithValues: depositors.map {
                                             ($0.address, InMemoryState.Account(balance: funded)) }))
        l1Genesis.executePrecompile = true
        let genesisCopy = l1Genesis
        let devnet = try DevnetNode(automine: false) { try DevnetChain(genesis: genesisCopy, log: nil) }
        defer { devnet.stop() }
        let (cold, warmSeconds, connections, seconds) = (self.cold, self.warmSeconds, self.connections, self.seconds)
        let (slot, bundles, slots, attestationOnly) = (self.slot, self.bundles, self.slots, self.attestationOnly)
        try await Self.serving(devnet.methods()) { l1Url in
            let l1 = JSONRPCClient(url: l1Url, timeoutMilliseconds: 60_000)
            @Sendable func call(_ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
                try await offChainThread { try l1.call(method, params, idempotent: false) }
            }
            @Sendable func transact(_ key: Int, _ data: [UInt8], to: Address? = nil) async throws {
                let nonce = try await call("eth_getTransactionCount", [.string(DevAccounts.addresses[key].hexString), "pending"])
                    .decodeUInt64Quantity()
                let transaction = Self.sign(chainId: Self.l1ChainId, key: DevAccounts.privateKeys[key], nonce: nonce, to: to,
                                            data: data, gas: 8_000_000)
                _ = try await call("eth_sendRawTransaction", [.data(transaction.networkEncoded)])
                _ = try await call("evm_mine")
            }
            let head = try await call("eth_getBlockByNumber", ["latest", false])
            let anchor = (number: try head["number"]!.decodeUInt64Quantity(), hash: try Hash(hex: head["hash"]!.stringValue!))
            let senders = slot ? Self.slotSenders(bundles) : []
            let genesis = L2Genesis.genesis(l2ChainId: Self.l2ChainId, timestamp: UInt64(Date().timeIntervalSince1970) - 100,
                                            fundDevelopmentAccounts: true,
                                            extraAlloc: Dictionary(uniqueKeysWithValues: senders.map {
                                                ($0.address, InMemoryState.Account(balance: funded)) }))
            let identity = SequencerIdentity(key: DevAccounts.privateKeys[9],
                                             domain: RollupDomain(l1ChainId: Self.l1ChainId, rollup: Self.rollup))
            let l2 = try L2Node(devMode: true) { try SequencerChain(genesis: genesis, anchor: anchor, identity: identity, log: nil) }
            defer { l2.stop() }
            let l2Genesis = try await l2.withNodeChain { $0.head }
            try await transact(0, try Hex.decode(ContractArtifacts.attestationVerifierBytecode)
                + ABIValue.encode([.address(Self.rollup), .array([7, 6, 5].map { .address(DevAccounts.addresses[$0]) }), .uint(UInt64(2))]))
            try await transact(0, try Hex.decode(ContractArtifacts.executeVerifierBytecode) + ABIValue.encode([.uint(Self.l2ChainId)]))
            let verifiers = (0..<2).map { Address.contractAddress(sender: DevAccounts.addresses[0], nonce: UInt64($0)) }
            try await transact(0, try Hex.decode(ContractArtifacts.rollupBytecode)
                + RollupCalls.constructorArguments(sequencer: identity.address, l2ChainId: Self.l2ChainId,
                                                   genesisHash: l2Genesis.hash, genesisStateRoot: l2Genesis.header.stateRoot,
                                                   verifiers: [verifiers[0], attestationOnly ? .zero : verifiers[1], .zero],
                                                   threshold: attestationOnly ? 1 : 2))
            try await Self.serving(l2.methods()) { l2Url in
                try await l2.syncL1(L1Watcher(client: l1, addresses: [Self.rollup]), log: { _ in })
                try await l2.produce()
                if slot {
                    try await Self.slotLatency(l1: l1, l1Url: l1Url, l2Url: l2Url, l2: l2, bundles: bundles, slots: slots,
                                               depositors: depositors, attestationOnly: attestationOnly)
                    return
                }
                let target = try await call("eth_blockNumber").decodeUInt64Quantity() + 1
                let signed = try await l2.withSequencer { chain in
                    let made = try chain.produceSlotEnd(target: target)
                    return SignedHandoff(handoff: made.handoff, signature: made.signature)
                }
                try await Self.simulations(l1Url: l1Url, l2Url: l2Url, handoff: signed, target: target, cold: cold,
                                           warmSeconds: warmSeconds)
                try await Self.intake(l1: l1, target: target, connections: connections, seconds: seconds)
            }
        }
    }

    /// The 3-transaction bundle: 1 ETH deposited by account 1, 0.5 ETH withdrawn on the L2, executed by account 3.
    static func bundle(target: UInt64) throws -> CrossLayerBundle {
        let searcher = DevAccounts.addresses[1]
        let payee = Address(word: U256(0x9a9ee))
        let half = U256(500_000_000_000_000_000)
        let deposit = sign(chainId: l1ChainId, key: DevAccounts.privateKeys[1], nonce: 0, to: rollup, value: ether,
                           data: RollupCalls.sendToL2(to: searcher, data: []))
        let withdraw = sign(chainId: l2ChainId, key: DevAccounts.privateKeys[1], nonce: 0, to: RollupProtocol.messengerAddress,
                            value: half, data: ABIValue.call("sendToL1(address,bytes)", [.address(payee), .bytes([])]))
        let withdrawal = WithdrawalMessage(originKey: Hash(leftPadding: searcher.bytes), originNonce: .zero, sender: searcher,
                                           to: payee, value: half, data: [])
        let execute = sign(chainId: l1ChainId, key: DevAccounts.privateKeys[3], nonce: 0, to: rollup,
                           data: RollupCalls.executeFromL2(withdrawal))
        return try CrossLayerBundle.parse([
            "l1Before": .array([.data(deposit.networkEncoded)]), "l2": .array([.data(withdraw.networkEncoded)]),
            "l1After": .array([.data(execute.networkEncoded)]), "blockNumber": .quantity(target),
        ], l1ChainId: l1ChainId, l2ChainId: l2ChainId)
    }

    static func simulations(l1Url: String, l2Url: String, handoff: SignedHandoff, target: UInt64, cold: Int,
                            warmSeconds: Double) async throws {
        let bundle = try Self.bundle(target: target)
        let attesters = [7, 6].map { DevAccounts.privateKeys[$0] }
        let line = try await offChainThread { () -> String in
            func simulator() throws -> JointSimulator {
                try JointSimulator(handoff: handoff, l1Url: l1Url, l1ChainId: l1ChainId, l2Url: l2Url, rollup: rollup,
                                   builderKey: DevAccounts.privateKeys[8], attesters: attesters, executeProof: true, slotTime: 12)
            }
            // Cold: new forks each time (every account, slot and code read over JSON-RPC).
            var coldNanos: UInt64 = 0
            for _ in 0..<max(1, cold) {
                let start = DispatchTime.now().uptimeNanoseconds
                let result = try simulator().simulate(bundle)
                coldNanos += DispatchTime.now().uptimeNanoseconds - start
                if let failure = result.failure { throw NodeError("the bench bundle failed: \(failure.layer): \(failure.reason)") }
            }
            // Warm: the same forks; reads come from their caches.
            let warm = try simulator()
            _ = warm.simulate(bundle)
            var count = 0
            let start = DispatchTime.now().uptimeNanoseconds
            let deadline = start + UInt64(warmSeconds * 1e9)
            var last = JointSimulation()
            while DispatchTime.now().uptimeNanoseconds < deadline {
                last = warm.simulate(bundle)
                count += 1
            }
            let warmElapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if let failure = last.failure { throw NodeError("the bench bundle failed warm: \(failure.layer): \(failure.reason)") }
            let coldMs = Double(coldNanos) / 1e6 / Double(max(1, cold))
            return String(format: """
                joint simulation, 3-transaction bundle with proofs and submitBased (one thread):
                  cold (new forks over JSON-RPC): %8.1f simulations/s  (%.1f ms each, %d runs)
                  warm (forks cached):            %8.1f simulations/s  (%.2f ms each, %d runs)
                """, 1000 / coldMs, coldMs, max(1, cold), Double(count) / warmElapsed, warmElapsed * 1000 / Double(count), count)
        }
        print(line)
    }

    /// `lockstep_sendBundle` of distinct presigned bundles against a bare echo, on one server.
    static func intake(l1: JSONRPCClient, target: UInt64, connections: Int, seconds: Double) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-bench-builder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var limits = BundleLimits()
        limits.maxAnonymous = 10_000_000
        let book = try BundleBook(log: try EventLog(path: directory.appendingPathComponent("builder.sqlite").path), limits: limits)
        let service = BuilderService(l1: l1, l1ChainId: l1ChainId, l2ChainId: l2ChainId, book: book, builder: DevAccounts.addresses[8])
        try await service.refreshHead()
        var methods = service.methods()
        methods.register("bench_echo") { call in call.params[0] ?? .null }
        // Distinct bundles: one L2 transfer each, from 1,000 senders, 30 nonces each.
        let keys = (0..<1_000).map { index -> PrivateKey in
            var seed = [UInt8](repeating: 0, count: 32)
            seed[0] = 0xb1
            seed[30] = UInt8(index >> 8)
            seed[31] = UInt8(index & 0xff)
            return try! PrivateKey(bytes: seed)
        }
        let farTarget = target + 1_000_000
        let bodies: [JSONValue] = (0..<30).flatMap { nonce in
            keys.map { key in
                JSONValue.object(["l2": .array([.data(sign(chainId: l2ChainId, key: key, nonce: UInt64(nonce),
                                                           to: Address(word: U256(0x77)), gas: 21_000).networkEncoded)]),
                                  "blockNumber": .quantity(farTarget)])
            }
        }
        try await serving(methods) { url in
            let echo = try await load(url: url, connections: connections, seconds: seconds) { client, _ in
                try client.call("bench_echo", [.string("ping")]) == .string("ping")
            }
            let next = Atomic<Int>(0)
            let send = try await load(url: url, connections: connections, seconds: seconds) { client, _ in
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < bodies.count else { return nil }
                return try client.call("lockstep_sendBundle", [bodies[index]], idempotent: false)["bundleHash"]?.stringValue != nil
            }
            print(String(format: """
                intake over HTTP, %d connections (client and server share the machine's cores):
                  echo:                %8.0f requests/s  p50 %.2f ms  p99 %.2f ms
                  lockstep_sendBundle: %8.0f requests/s  p50 %.2f ms  p99 %.2f ms  (%.0f%% of echo; durable, %d kept)
                """, connections, echo.rate, echo.p50, echo.p99, send.rate, send.p50, send.p99, 100 * send.rate / echo.rate,
                book.active().count))
        }
    }

    /// Runs `body` from `connections` threads for `seconds` (or until it returns nil); returns successes per second
    /// and the latency percentiles of the successful requests, in milliseconds.
    static func load(url: String, connections: Int, seconds: Double,
                     _ body: @escaping @Sendable (JSONRPCClient, Int) throws -> Bool?) async throws -> (rate: Double, p50: Double, p99: Double) {
        let latencies = Mutex<[UInt64]>([])
        let failures = Atomic<Int>(0)
        let firstFailure = Mutex<String?>(nil)
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Atomic<Int>(connections)
            for index in 0..<connections {
                Thread.detachNewThread {
                    let client = JSONRPCClient(url: url, timeoutMilliseconds: 30_000)
                    var mine: [UInt64] = []
                    while DispatchTime.now().uptimeNanoseconds < deadline {
                        let begin = DispatchTime.now().uptimeNanoseconds
                        let outcome: Bool?
                        do {
                            outcome = try body(client, index)
                        } catch {
                            firstFailure.withLock { $0 = $0 ?? "\(error)" }
                            outcome = false
                        }
                        guard let outcome else { break }
                        if outcome { mine.append(DispatchTime.now().uptimeNanoseconds - begin) } else { failures.wrappingAdd(1, ordering: .relaxed) }
                    }
                    latencies.withLock { $0 += mine }
                    if remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
                }
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if failures.load(ordering: .relaxed) > 0 {
            print("  (\(failures.load(ordering: .relaxed)) requests failed; the first: \(firstFailure.withLock { $0 } ?? "a wrong answer"))")
        }
        let sorted = latencies.withLock { $0 }.sorted()
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
        }
        return (Double(sorted.count) / elapsed, percentile(0.5), percentile(0.99))
    }
}
