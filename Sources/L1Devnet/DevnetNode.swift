import Chain
import EVM
import Foundation
import JSON
import Primitives
import RPCServer
import State
import Synchronization

/// The devnet node: the chain on its own thread, the JSON-RPC methods that web3.py, ethers and Flashbots tooling
/// use, subscriptions, and slot-timed block production.
public final class DevnetNode: Sendable {
    /// Gives the chain to closures that run on the chain thread (the only place it is touched).
    final class ChainBox: @unchecked Sendable {
        let devnet: DevnetChain
        init(_ devnet: DevnetChain) { self.devnet = devnet }
    }

    struct Subscription: Sendable {
        enum Kind: Sendable { case newHeads, logs(LogFilter) }
        let kind: Kind
        let connection: RPCConnection
    }

    let thread: ChainThread
    let box: ChainBox
    let subscriptions = Mutex<[String: Subscription]>([:])
    /// Mine a block as soon as a transaction arrives (slot time 0).
    public let automine: Bool
    public let chainId: UInt64
    /// The upstream a forked devnet continues.
    public let fork: DevnetFork?
    /// Whether the chain has the EXECUTE precompile (`Specs/protocol.md` §8.3).
    public let hasExecutePrecompile: Bool

    /// Opens the chain with `make`, on the chain thread (replaying a long log needs its large stack).
    public init(automine: Bool, make: @escaping @Sendable () throws -> DevnetChain) throws {
        let thread = ChainThread()
        let box = try thread.runBlocking { ChainBox(try make()) }
        self.thread = thread
        self.box = box
        self.automine = automine
        self.chainId = box.devnet.config.chainId
        self.fork = box.devnet.fork
        self.hasExecutePrecompile = !box.devnet.config.customPrecompiles.table.isEmpty
    }

    /// Runs `body` with the chain, on the chain thread.
    func withChain<T: Sendable>(_ body: @escaping @Sendable (DevnetChain) throws -> T) async throws -> T {
        let box = self.box
        do {
            return try await thread.run { try body(box.devnet) }
        } catch let error as NodeError {
            throw RPCError(code: error.code, message: error.message, data: error.data.map { .data($0) })
        }
    }

    /// Runs CPU-heavy work that needs no chain state (the KZG checks of a blob sidecar) on a global queue, off both
    /// the chain thread and Swift's cooperative pool; a `NodeError` becomes an RPC error as in `withChain`.
    func offChain<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Result { try body() }) }
        }
        do {
            return try result.get()
        } catch let error as NodeError {
            throw RPCError(code: error.code, message: error.message, data: error.data.map { .data($0) })
        }
    }

    /// Asks the fork's upstream (off the chain thread: the request blocks).
    func forward(_ method: String, _ params: [JSONValue]) async throws -> JSONValue {
        guard let fork else { throw RPCError.server("this devnet is not a fork") }
        let result: Result<JSONValue, Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Result { try fork.forward(method, params) }) }
        }
        do {
            return try result.get()
        } catch let error as NodeError {
            throw RPCError(code: error.code, message: error.message)
        }
    }

    /// For a forked devnet, the upstream's answer to `call` when `tag` names a block at or before the fork block
    /// (whose state and contents are the upstream's); nil when the devnet answers itself.
    func forwarded(_ call: RPCCall, tag: BlockTag) async throws -> JSONValue? {
        guard let fork else { return nil }
        switch tag {
        case .number(let number) where number <= fork.blockNumber: break
        case .earliest: break
        case .hash(let hash):
            if try await withChain({ $0.chain.block(hash: hash) != nil }) { return nil }
        default: return nil
        }
        return try await forward(call.method, call.params.values)
    }

    /// A block the devnet found (number and JSON), except that a forked devnet's first block, which it knows by its
    /// header only, is answered by the upstream with its transactions.
    func upstreamBlockIfForkBlock(_ found: (UInt64, JSONValue)?, full: Bool) async throws -> JSONValue {
        guard let (number, json) = found else { return .null }
        guard let fork, number == fork.blockNumber else { return json }
        return try await forward("eth_getBlockByNumber", [.quantity(number), .bool(full)])
    }

    /// Mines one block and tells subscribers.
    @discardableResult
    public func mine(timestamp: UInt64? = nil) async throws -> UInt64 {
        let block = try await withChain { devnet in try devnet.mine(timestamp: timestamp) }
        publish(block)
        return block.number
    }

    /// Sends `newHeads` and `logs` notifications for a new block.
    func publish(_ block: ChainBlock) {
        let current = subscriptions.withLock { $0 }
        guard !current.isEmpty else { return }
        var heads = EthJSON.block(block, fullTransactions: false)
        if case .object(var object) = heads {
            object["transactions"] = nil
            heads = .object(object)
        }
        let entries = (0..<block.block.transactions.count).flatMap { index in
            block.receipts[index].logs.enumerated().map { offset, log in
                LogEntry.at(log, blockHash: block.hash, blockNumber: block.number,
                         transactionHash: block.outcomes[index].hash, transactionIndex: index,
                         logIndex: block.outcomes[index].firstLogIndex + offset)
            }
        }
        var gone: [String] = []
        for (id, subscription) in current {
            var delivered = true
            switch subscription.kind {
            case .newHeads:
                delivered = subscription.connection.send(Self.notification(id, heads))
            case .logs(let filter):
                for entry in entries where filter.matches(entry.log) {
                    delivered = subscription.connection.send(Self.notification(id, EthJSON.log(entry))) && delivered
                }
            }
            if !delivered { gone.append(id) }
        }
        if !gone.isEmpty { subscriptions.withLock { for id in gone { $0[id] = nil } } }
    }

    static func notification(_ id: String, _ result: JSONValue) -> JSONValue {
        .object(["jsonrpc": "2.0", "method": "eth_subscription",
                 "params": .object(["subscription": .string(id), "result": result])])
    }

    /// Forgets a closed connection's subscriptions.
    public func disconnected(_ connection: RPCConnection) {
        subscriptions.withLock { $0 = $0.filter { $0.value.connection.id != connection.id } }
    }

    /// Produces a block every `slotSeconds` seconds, at the start of each slot, until cancelled.
    public func runSlots(slotSeconds: Double, log: @escaping @Sendable (String) -> Void) async {
        guard slotSeconds > 0 else { return }
        while !Task.isCancelled {
            let now = Date().timeIntervalSince1970
            let next = (now / slotSeconds).rounded(.down) * slotSeconds + slotSeconds
            try? await Task.sleep(nanoseconds: UInt64(max(0, next - now) * 1e9))
            if Task.isCancelled { break }
            do {
                let number = try await mine()
                log("block \(number) mined")
            } catch {
                log("could not mine a block: \(error)")
            }
        }
    }

    public func stop() { thread.stop() }

    /// Submits raw transactions in one chain-thread job (benchmarks, bulk loads); returns their hashes.
    @discardableResult
    public func submitAll(_ raws: [[UInt8]]) async throws -> [Hash] {
        try await withChain { devnet in try raws.map { try devnet.submit(raw: $0) } }
    }

    /// Mines one block and returns how many transactions it included.
    public func mineCounting() async throws -> Int {
        let block = try await withChain { devnet in try devnet.mine() }
        publish(block)
        return block.block.transactions.count
    }

    /// The head block number, for start-up messages.
    public func withChainStatus() async throws -> (head: UInt64, pending: Int) {
        try await withChain { ($0.head.number, $0.pool.count) }
    }
}

extension JSONValue {
    /// For a forked devnet, the upstream's answer to `call` when this (the devnet's own answer) is null: a
    /// transaction, receipt or block the devnet does not know may be the upstream's.
    func forwardingNull(_ node: DevnetNode, _ call: RPCCall) async throws -> JSONValue {
        guard self == .null, node.fork != nil else { return self }
        return try await node.forward(call.method, call.params.values)
    }
}
