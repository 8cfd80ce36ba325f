import Builder
import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import L1Devnet
import Node
import Primitives
import Rollup
import Sequencer
import Store

/// `lockstep bench builder --slot`: the builder's auction at a handoff with many bundles waiting.
extension BuilderBenchCommand {
    /// The senders of the slot bench's bundles (funded on the L2 at genesis).
    static func slotSenders(_ count: Int) -> [PrivateKey] {
        (0..<count).map { try! PrivateKey(bytes: Keccak256.digest(Array("bench slot sender \($0)".utf8))) }
    }

    /// The L1 senders of the slot bench's deposits (funded on the L1 at genesis).
    static func slotDepositors(_ count: Int) -> [PrivateKey] {
        (0..<count).map { try! PrivateKey(bytes: Keccak256.digest(Array("bench slot depositor \($0)".utf8))) }
    }

    /// For each of `slots` handoffs: `bundles` bundles for its L1 block wait in the builder's book (one L2 payment to
    /// the builder each, every tenth with a deposit on L1 before it); the time from the handoff (the slot-end block
    /// made and announced) to the merged L1 bundle sent with `eth_sendBundle` is one sample. Then block `N` is mined
    /// and the L2 adopts the based block.
    static func slotLatency(l1: JSONRPCClient, l1Url: String, l2Url: String, l2: L2Node, bundles: Int, slots: Int,
                            depositors: [PrivateKey], attestationOnly: Bool) async throws {
        @Sendable func call(_ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
            try await offChainThread { try l1.call(method, params, idempotent: false) }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-bench-slot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var limits = BundleLimits()
        limits.maxAnonymous = 10_000_000
        let book = try BundleBook(log: try EventLog(path: directory.appendingPathComponent("builder.sqlite").path), limits: limits)
        let key = DevAccounts.privateKeys[8]
        let simulation = try BundleSimulation(settings: SimulationSettings(
            l1Url: l1Url, l2Url: l2Url, rollup: rollup, builderKey: key, attesters: [7, 6].map { DevAccounts.privateKeys[$0] },
            slotTime: 3_600), l1ChainId: l1ChainId)
        let service = BuilderService(l1: l1, l1ChainId: l1ChainId, l2ChainId: l2ChainId, book: book, builder: key.address,
                                     simulation: simulation)
        let auction = Auction(service: service, simulation: simulation, submit: [JSONRPCClient(url: l1Url, timeoutMilliseconds: 5_000)],
                              builderKey: key, slotTime: 3_600)
        let senders = slotSenders(bundles)
        let l2Client = JSONRPCClient(url: l2Url, timeoutMilliseconds: 10_000)
        var nonces = [UInt64](repeating: 0, count: bundles)
        var depositorNonces = [UInt64](repeating: 0, count: depositors.count)
        var samples: [Double] = []
        var earlySamples: [Double] = []
        var landed = 0
        let watcher = L1Watcher(client: l1, addresses: [rollup])
        try await l2.syncL1(watcher, log: { _ in })
        print("builder auction at the handoff, \(bundles) bundles waiting (every tenth with an L1 deposit; the slot-end " +
              "block carries a transfer from one in ten of their senders, which makes those bundles fail), " +
              (attestationOnly ? "attestation proof only:" : "attestation and EXECUTE proofs:"))
        for round in 0..<slots {
            let target = try await call("eth_blockNumber").decodeUInt64Quantity() + 1
            // The bundles for block N wait in the book before the handoff, as searchers send them.
            for (index, sender) in senders.enumerated() {
                let pay = sign(chainId: l2ChainId, key: sender, nonce: nonces[index], to: key.address,
                               value: U256(UInt64(1_000_000_000_000 + index)), gas: 21_000)
                var params: [String: JSONValue] = ["l2": .array([.data(pay.networkEncoded)]), "blockNumber": .quantity(target)]
                if index % 10 == 0, index / 10 < depositors.count {
                    let depositor = depositors[index / 10]
                    let deposit = sign(chainId: l1ChainId, key: depositor, nonce: depositorNonces[index / 10], to: rollup, value: U256(1_000),
                                       data: RollupCalls.sendToL2(to: depositor.address, data: []))
                    params["l1Before"] = .array([.data(deposit.networkEncoded)])
                }
                let bundle = try CrossLayerBundle.parse(params, l1ChainId: l1ChainId, l2ChainId: l2ChainId)
                _ = try await book.add(bundle, params: .object(params), searcher: nil)
            }
            try await service.refreshHead()
            // Before the handoff, as the builder does between its polls: the bundles are drafted early on the L2's
            // latest block (not timed: the slot's twelve seconds leave room for it).
            _ = try await auction.prepare()
            let early = auction.lastPrepared?.target == target ? auction.lastPrepared!.milliseconds : 0
            earlySamples.append(early)
            // Ordinary L2 traffic in the slot-end block that collides with the drafts: one in ten of the bundles'
            // senders sends a plain transfer with the nonce its bundle uses, so those bundles are drafted again at
            // the handoff (and fail there).
            let colliding = senders.indices.filter { $0 % 10 == 5 }
            if !colliding.isEmpty {
                let transfers = colliding.map { index in
                    JSONRPCRequest("eth_sendRawTransaction", [.data(sign(chainId: l2ChainId, key: senders[index], nonce: nonces[index],
                                                                         to: Address(word: U256(0x77)), value: U256(1), gas: 21_000).networkEncoded)])
                }
                let answers = try await offChainThread { try l2Client.batch(transfers) }
                guard answers.allSatisfy({ (try? $0.get()) != nil }) else {
                    throw NodeError("round \(round): the L2 refused the slot's ordinary transfers")
                }
            }
            // The handoff.
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try await l2.withSequencer { chain in try chain.produceSlotEnd(target: target) }
            let lines = try await auction.step()
            // Up to the send (the book records the other bundles' outcomes after it).
            let elapsed = Double((auction.lastSentAt ?? DispatchTime.now().uptimeNanoseconds) - start) / 1e6
            guard lines.contains(where: { $0.contains("sent") }) else {
                throw NodeError("round \(round): the auction sent nothing: \(lines.joined(separator: "; "))")
            }
            samples.append(elapsed)
            // Block N lands the bundle; the L2 adopts the based block.
            _ = try await call("evm_mine")
            try await l2.syncL1(watcher, log: { _ in })
            try await service.refreshHead()
            landed += try await auction.step().filter { $0.contains("landed") }.count
            // The senders whose payment landed move on to their next nonce.
            for (index, sender) in senders.enumerated() {
                nonces[index] = try await offChainThread {
                    try l2Client.call("eth_getTransactionCount", [.string(sender.address.hexString), "latest"]).decodeUInt64Quantity()
                }
            }
            for (index, depositor) in depositors.enumerated() {
                depositorNonces[index] = try await call("eth_getTransactionCount", [.string(depositor.address.hexString), "latest"])
                    .decodeUInt64Quantity()
            }
            print(String(format: "  slot %2d: early drafts %6.1f ms; handoff → sent %7.1f ms  (%@)", round + 1, early, elapsed,
                         lines.first { $0.contains("sent") } ?? ""))
        }
        samples.sort()
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int((Double(samples.count) * p).rounded(.up)) - 1)] }
        print(String(format: "handoff → bundle sent over %d slots: p50 %.1f ms, p99 %.1f ms, max %.1f ms (target ≤ 50 / ≤ 100 ms); %d slot(s) landed",
                     samples.count, percentile(0.5), percentile(0.99), samples.last ?? 0, landed))
    }
}
