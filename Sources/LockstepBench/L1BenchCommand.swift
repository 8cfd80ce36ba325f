import ArgumentParser
import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import L1Devnet
import Primitives
import RPCServer
import Synchronization

/// `lockstep bench l1`: the devnet's block production and JSON-RPC throughput, in one process on this machine.
struct L1BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "l1",
        abstract: "L1 devnet: blocks per second at 1,000 transfers per block; eth_call and eth_sendRawTransaction per second.",
        discussion: """
            Starts an in-memory devnet with 1,000 funded senders inside this process, then
            1. fills the pool with 1,000 signed transfers (one per sender) and mines, --blocks times;
            2. serves JSON-RPC on a loopback port and drives it from --clients threads over keep-alive HTTP
               (libcurl): eth_call of a contract's view function, then eth_sendRawTransaction of presigned
               transfers. Client and server share the machine's cores, as they do in the harness.
            """)

    @Option(name: .long, help: "Blocks of 1,000 transfers to mine.")
    var blocks = 10

    @Option(name: .long, help: "Concurrent JSON-RPC clients.")
    var clients = 4

    @Option(name: .long, help: "Seconds per JSON-RPC measurement.")
    var seconds = 3.0

    func run() async throws {
        #if DEBUG
        print("warning: this is a debug build; figures are 25-40x slower than release")
        #endif
        let senders = Self.senders(tag: 0x11)
        var extra = Self.funded(senders)
        // A contract whose call returns the word in slot 0: SLOAD and RETURN, like a token's balanceOf.
        let viewContract = try Address(hex: "0x00000000000000000000000000000000000c0de0")
        extra[viewContract] = .init(code: [0x5f, 0x54, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3], storage: [U256(0): U256(42)])
        let genesis = Genesis.devnetL1(timestamp: UInt64(Date().timeIntervalSince1970), gasLimit: 60_000_000,
                                       extraAccounts: extra)
        let node = try DevnetNode(automine: false) { try DevnetChain(genesis: genesis, log: nil) }
        let recipient = try Address(hex: "0x000000000000000000000000000000000000beef")
        func transfers(nonce: UInt64) -> [[UInt8]] {
            senders.map { key in
                Transaction(type: .dynamicFee, chainId: 31337, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                            maxFeePerGas: U256(100_000_000_000), gasLimit: 21_000, to: recipient, value: U256(1), data: [])
                    .signed(with: key).networkEncoded
            }
        }

        // 1. Block production.
        var submitNanos: UInt64 = 0
        var mineNanos: UInt64 = 0
        var included = 0
        for round in 0..<max(1, blocks) {
            let raws = transfers(nonce: UInt64(round))
            let start = DispatchTime.now().uptimeNanoseconds
            try await node.submitAll(raws)
            let submitted = DispatchTime.now().uptimeNanoseconds
            let count = try await node.mineCounting()
            let mined = DispatchTime.now().uptimeNanoseconds
            submitNanos += submitted - start
            mineNanos += mined - submitted
            included += count
        }
        let blockCount = Double(max(1, blocks))
        print(String(format: "pool intake (decode, recover, validate): %8.0f tx/s", Double(included) / (Double(submitNanos) / 1e9)))
        print(String(format: "block production, 1,000 transfers:       %8.1f blocks/s (%.1f ms per block, %d transactions included)",
                     blockCount / (Double(mineNanos) / 1e9), Double(mineNanos) / 1e6 / blockCount, included))

        // 2. JSON-RPC throughput.
        let dispatcher = RPCDispatcher(methods: node.methods())
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = RPCHTTPServer.application(dispatcher: dispatcher, configuration: RPCServerConfiguration(port: 0, quiet: true),
                                            onRunning: { continuation.yield($0) })
        let clients = max(1, self.clients)
        let seconds = self.seconds
        let presigned = (0..<4).flatMap { transfers(nonce: UInt64(max(1, blocks)) + UInt64($0)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { return }
            let url = "http://127.0.0.1:\(port)"
            let callData: JSONValue = .object(["to": .string(viewContract.hexString), "data": "0x"])
            let calls = try await Self.load(url: url, clients: clients, seconds: seconds) { client, _ in
                let answer = try client.call("eth_call", [callData, "latest"])
                return answer == .string(Hash(word: U256(42)).hexString) ? true : false
            }
            print(String(format: "eth_call over HTTP, %d clients:           %8.0f requests/s", clients, calls))
            let next = Atomic<Int>(0)
            let sends = try await Self.load(url: url, clients: clients, seconds: seconds, limit: presigned.count) { client, _ in
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < presigned.count else { return nil }
                let answer = try client.call("eth_sendRawTransaction", [.data(presigned[index])])
                return answer.stringValue?.count == 66 ? true : false
            }
            print(String(format: "eth_sendRawTransaction, %d clients:       %8.0f requests/s", clients, sends))
            group.cancelAll()
        }
        node.stop()
    }

    /// 1,000 benchmark senders: keys derived from `tag` and their index (never the development keys).
    static func senders(tag: UInt8, count: Int = 1_000) -> [PrivateKey] {
        (0..<count).map { index in
            var seed = [UInt8](repeating: 0, count: 32)
            seed[0] = tag
            seed[30] = UInt8(index >> 8)
            seed[31] = UInt8(index & 0xff)
            return try! PrivateKey(bytes: seed)
        }
    }

    /// A genesis allocation giving each of `keys` 1 ETH.
    static func funded(_ keys: [PrivateKey]) -> [Address: InMemoryState.Account] {
        var accounts: [Address: InMemoryState.Account] = [:]
        for key in keys { accounts[key.address] = .init(balance: U256(1_000_000_000_000_000_000)) }
        return accounts
    }

    /// Runs `body` from `clients` threads for `seconds`, until `limit` successes or until `body` returns nil (no more
    /// work); returns successes per second. A thrown error or `false` counts as a failed request.
    static func load(url: String, clients: Int, seconds: Double, limit: Int = .max,
                     _ body: @escaping @Sendable (JSONRPCClient, Int) throws -> Bool?) async throws -> Double {
        let successes = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let firstFailure = Mutex<String?>(nil)
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let remaining = Atomic<Int>(clients)
            for index in 0..<clients {
                Thread.detachNewThread {
                    let client = JSONRPCClient(url: url, timeoutMilliseconds: 10_000)
                    while DispatchTime.now().uptimeNanoseconds < deadline && successes.load(ordering: .relaxed) < limit {
                        let outcome: Bool?
                        do {
                            outcome = try body(client, index)
                        } catch {
                            firstFailure.withLock { $0 = $0 ?? "\(error)" }
                            outcome = false
                        }
                        guard let outcome else { break }  // no more work
                        if outcome {
                            successes.wrappingAdd(1, ordering: .relaxed)
                        } else {
                            failures.wrappingAdd(1, ordering: .relaxed)
                        }
                    }
                    if remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
                }
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if failures.load(ordering: .relaxed) > 0 {
            print("  (\(failures.load(ordering: .relaxed)) requests failed; the first: \(firstFailure.withLock { $0 } ?? "a wrong answer"))")
        }
        return Double(successes.load(ordering: .relaxed)) / elapsed
    }
}
