import ArgumentParser
import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import RPCServer
import Rollup
import Sequencer
import Store
import Synchronization

/// `lockstep bench l2`: the sequencer's block interval under load, and its transaction intake.
struct L2BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "l2",
        abstract: "L2 node: block interval p50/p99 at --block-time under --rate transfers per second; intake req/s.",
        discussion: """
            Starts an L2 node inside this process (development sequencer, 1,000 funded senders, the chain logged to
            SQLite in a temporary directory as `lockstep l2 --data-dir` does), producing a block every --block-time
            seconds and serving JSON-RPC on a loopback port. Then
            1. --clients threads send presigned transfers over keep-alive HTTP (libcurl) at --rate per second in
               total, for --seconds; the intervals between consecutive blocks (as announced on the feed) and the
               time from sending a transaction to its block's announcement are reported as percentiles;
            2. the same clients send presigned transfers as fast as the node acknowledges them (intake req/s).
            Client and server share the machine's cores.
            """)

    @Option(name: .long, help: "Seconds between blocks.")
    var blockTime = 0.1

    @Option(name: .long, help: "Transfers per second sent in phase 1.")
    var rate = 1_000

    @Option(name: .long, help: "Seconds of phase 1 (and of phase 2).")
    var seconds = 10.0

    @Option(name: .long, help: "Concurrent JSON-RPC clients.")
    var clients = 4

    func run() async throws {
        #if DEBUG
        print("warning: this is a debug build; figures are 25-40x slower than release")
        #endif
        let senders = L1BenchCommand.senders(tag: 0x22)
        let extra = L1BenchCommand.funded(senders)
        let l2ChainId = RollupProtocol.devnetL2ChainId
        let genesis = L2Genesis.genesis(l2ChainId: l2ChainId, timestamp: UInt64(Date().timeIntervalSince1970),
                                        gasLimit: 60_000_000, fundDevelopmentAccounts: true, extraAlloc: extra)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-bench-l2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let logPath = directory.appendingPathComponent("l2.sqlite").path
        let identity = SequencerIdentity(key: DevAccounts.privateKeys[9], domain: RollupDomain(
            l1ChainId: RollupProtocol.devnetL1ChainId, rollup: Address.contractAddress(sender: DevAccounts.addresses[0], nonce: 2)))
        let node = try L2Node(devMode: true) {
            try SequencerChain(genesis: genesis, anchor: (0, .zero), identity: identity, log: try EventLog(path: logPath))
        }

        let perSender = Int((Double(rate) * seconds / Double(senders.count)).rounded(.up)) + 1
        let recipient = try Address(hex: "0x000000000000000000000000000000000000beef")
        func transfers(nonces: Range<Int>) -> [(hash: Hash, raw: [UInt8])] {
            nonces.flatMap { nonce in
                senders.map { key in
                    let transaction = Transaction(type: .dynamicFee, chainId: l2ChainId, nonce: UInt64(nonce),
                                                  maxPriorityFeePerGas: U256(1_000_000_000), maxFeePerGas: U256(100_000_000_000),
                                                  gasLimit: 21_000, to: recipient, value: U256(1), data: []).signed(with: key)
                    return (transaction.hash, transaction.networkEncoded)
                }
            }
        }
        // One sequence of nonces: phase 2 continues where phase 1 stopped, so that no sender has a gap.
        let presigned = transfers(nonces: 0..<(perSender + max(1, Int(seconds * 3_000 / Double(senders.count)))))

        // The feed, observed in process: when each block was announced, and which transactions it carried.
        let announced = Mutex<[(at: UInt64, transactions: [Hash])]>([])
        _ = try node.subscriptions.add(SubscriptionHub.Subscriber(connection: .max) { _, block in
            let now = DispatchTime.now().uptimeNanoseconds
            announced.withLock { $0.append((now, block.block.transactions.map(\.hash))) }
            return true
        })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(dispatcher: RPCDispatcher(methods: node.methods()),
                                            configuration: RPCServerConfiguration(port: 0, quiet: true),
                                            onRunning: { continuation.yield($0) })
        let (clients, seconds, rate, blockTime) = (max(1, self.clients), self.seconds, self.rate, self.blockTime)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            group.addTask { await node.runBlocks(blockTime: blockTime) { _ in } }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            let url = "http://127.0.0.1:\(port)"

            // 1. Paced load: each client sends its share on a fixed schedule.
            let sent = Mutex<[Hash: UInt64]>([:])
            let next = Atomic<Int>(0)
            let start = DispatchTime.now().uptimeNanoseconds
            let interval = 1e9 / Double(rate)
            let firstBlock = announced.withLock { $0.count }
            let acknowledged = try await L1BenchCommand.load(url: url, clients: clients, seconds: seconds) { client, _ in
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < presigned.count, Double(index) < Double(rate) * seconds else { return nil }
                let due = start + UInt64(Double(index) * interval)
                let now = DispatchTime.now().uptimeNanoseconds
                if due > now { usleep(UInt32((due - now) / 1_000)) }
                sent.withLock { $0[presigned[index].hash] = DispatchTime.now().uptimeNanoseconds }
                let answer = try client.call("eth_sendRawTransaction", [.data(presigned[index].raw)])
                return answer.stringValue?.count == 66
            }
            try await Task.sleep(nanoseconds: UInt64(3 * blockTime * 1e9))  // the last ones' block
            let blocks = announced.withLock { Array($0[firstBlock...]) }
            let intervals = zip(blocks.dropFirst(), blocks).map { Double($0.at - $1.at) / 1e6 }
            let sendTimes = sent.withLock { $0 }
            var latencies: [Double] = []
            for block in blocks {
                for hash in block.transactions { if let at = sendTimes[hash] { latencies.append(Double(block.at - at) / 1e6) } }
            }
            print(String(format: "block interval at %.0f ms, %d tx/s sent:  p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d blocks)",
                         blockTime * 1000, rate, Self.percentile(intervals, 50), Self.percentile(intervals, 99),
                         intervals.max() ?? 0, intervals.count))
            print(String(format: "transactions: %.0f/s acknowledged, %d included; send to announcement p50 %.1f ms  p99 %.1f ms",
                         acknowledged, latencies.count, Self.percentile(latencies, 50), Self.percentile(latencies, 99)))

            // 2. Intake as fast as the node acknowledges.
            let resume = min(next.load(ordering: .relaxed), Int(Double(rate) * seconds))  // every index below was sent
            let nextBurst = Atomic<Int>(resume)
            let intake = try await L1BenchCommand.load(url: url, clients: clients, seconds: seconds) { client, _ in
                let index = nextBurst.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < presigned.count else { return nil }
                let answer = try client.call("eth_sendRawTransaction", [.data(presigned[index].raw)])
                return answer.stringValue?.count == 66
            }
            print(String(format: "eth_sendRawTransaction intake, %d clients: %8.0f requests/s (durable before each answer)",
                         clients, intake))
            group.cancelAll()
        }
        node.stop()
    }

    /// The `p`th percentile (nearest rank) of `values`; 0 when empty.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}
