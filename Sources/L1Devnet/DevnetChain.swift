import Chain
import EVM
import Foundation
import JSON
import Primitives
import Rollup
import State
import Store

/// A state to answer a query on, with the block whose post-state it is.
public struct StateView {
    public let state: StateBackend
    public let block: ChainBlock
}

/// A Flashbots-style bundle: transactions included all together, in order, at the top of one block, or not at all.
public struct DevnetBundle: Sendable, Hashable {
    public var transactions: [Transaction]
    public var senders: [Address]
    public var blockNumber: UInt64
    public var minTimestamp: UInt64?
    public var maxTimestamp: UInt64?
    /// Transactions allowed to revert without sinking the bundle.
    public var revertingTxHashes: Set<Hash>

    public var hashes: [Hash] { transactions.map(\.hash) }
    /// keccak256 of the concatenated transaction hashes (the Flashbots convention).
    public var bundleHash: Hash { Keccak256.hash(transactions.flatMap(\.hash.bytes)) }
}

/// The outcome of executing a call or a transaction without keeping it.
public struct SimulationOutcome: Sendable {
    public var success: Bool
    public var output: [UInt8]
    public var gasUsed: UInt64
    public var logs: [Log]
    public var createdAddress: Address?
}

/// What a call asks for (`eth_call`, `eth_estimateGas`).
public struct CallArguments: Sendable {
    public var from: Address = .zero
    public var to: Address?
    public var gas: UInt64?
    public var gasPrice: U256?
    public var maxFeePerGas: U256?
    public var maxPriorityFeePerGas: U256?
    public var value: U256 = .zero
    public var data: [UInt8] = []
    public var accessList: [AccessListEntry] = []

    public init() {}
}

/// An error a node answers with: -32000 by default, 3 for a revert (with its data).
public struct NodeError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: [UInt8]?
    /// A forked devnet's upstream failed a read the request needed (the request may succeed when retried).
    public var upstreamFailed = false
    public init(_ message: String, code: Int = -32000, data: [UInt8]? = nil) {
        self.message = message
        self.code = code
        self.data = data
    }
    public var description: String { message }
}

/// The devnet's chain and everything that changes it: the transaction pool, bundles, block production, test-only
/// state edits, snapshots, and the durable event log it replays on start.
///
/// The chain is the fold of its events (genesis, blocks, state edits) in order: a restart replays the log, a revert
/// to a snapshot replays a prefix. Every change is written to the log before it is visible. Not thread-safe: the
/// node's `ChainThread` owns it.
public final class DevnetChain {
    /// The genesis of a chain started here; nil for a forked chain.
    public let genesis: Genesis?
    /// The upstream a forked chain continues; nil for a chain started here.
    public let fork: DevnetFork?
    let config_: ChainConfig
    public private(set) var chain: Blockchain
    public private(set) var pool: TransactionPool
    public private(set) var bundles: [UInt64: [DevnetBundle]] = [:]
    public var coinbase: Address
    /// Seconds added to the wall clock for new blocks (`evm_increaseTime`).
    public private(set) var timeOffset: Int64 = 0
    /// The timestamp the next block must have (`evm_setNextBlockTimestamp`), used once.
    public var nextTimestamp: UInt64?
    let log: EventLog?
    /// Every event so far, with its log sequence (0 without a log).
    private var events: [(kind: String, payload: [UInt8], sequence: Int64)] = []
    private var snapshots: [UInt64: (events: Int, pool: TransactionPool, bundles: [UInt64: [DevnetBundle]],
                                     timeOffset: Int64)] = [:]
    private var nextSnapshotID: UInt64 = 1

    public var config: ChainConfig { chain.config }
    public var head: ChainBlock { chain.head }

    /// Opens the chain: replays `log` when it holds events (the genesis argument is then ignored in favour of the
    /// logged one), otherwise starts from `genesis` and logs it.
    public convenience init(genesis initial: Genesis, log: EventLog?, coinbase: Address = .zero) throws {
        let logged = try log?.events() ?? []
        if let first = logged.first {
            guard first.kind == "genesis" else {
                throw NodeError("the data directory holds a forked chain: start it with --fork-url, or use another --data-dir")
            }
            let genesis = try Genesis.parse(json: Data(first.payload))
            try self.init(genesis: genesis, fork: nil, config: genesis.config, log: log, logged: logged, coinbase: coinbase)
        } else {
            try self.init(genesis: initial, fork: nil, config: initial.config, log: log, logged: [], coinbase: coinbase)
        }
    }

    /// Opens a chain that continues `fork`'s upstream: replays `log` when it holds that fork's events, otherwise
    /// starts at the fork block, logs it, and funds the ten development accounts with `devBalance` (as anvil does).
    public convenience init(fork: DevnetFork, chainId: UInt64, log: EventLog?, coinbase: Address = .zero,
                            devBalance: U256 = U256(10_000) &* U256(1_000_000_000_000_000_000)) throws {
        let logged = try log?.events() ?? []
        if let first = logged.first {
            guard first.kind == "fork" else {
                throw NodeError("the data directory holds a chain started from a genesis, not a fork: use another --data-dir")
            }
            let recorded = try DevnetFork.parseEvent(first.payload)
            guard recorded.hash == fork.header.hash else {
                throw NodeError("the data directory forked block \(recorded.blockNumber) (\(recorded.hash)) of \(recorded.url); " +
                                "the upstream's block \(fork.blockNumber) is \(fork.header.hash)")
            }
        }
        try self.init(genesis: nil, fork: fork, config: ChainConfig(chainId: chainId, fork: .prague), log: log,
                      logged: logged, coinbase: coinbase)
        if logged.isEmpty {
            for address in DevAccounts.addresses { try edit(address, balance: devBalance) }
        }
    }

    private init(genesis: Genesis?, fork: DevnetFork?, config: ChainConfig, log: EventLog?,
                 logged: [EventLog.Event], coinbase: Address) throws {
        var config = config
        var genesis = genesis
        if genesis?.executePrecompile == true {
            // Specs/protocol.md §8.3: native-rollup verification of Lockstep L2 blocks.
            config.customPrecompiles = CustomPrecompiles(
                table: [RollupProtocol.executePrecompileAddress: ExecutePrecompile()])
            genesis?.config.customPrecompiles = config.customPrecompiles
        }
        self.log = log
        self.coinbase = coinbase
        self.genesis = genesis
        self.fork = fork
        self.config_ = config
        chain = Self.makeChain(genesis: genesis, fork: fork, config: config)
        pool = TransactionPool(chainId: config.chainId)
        if let first = logged.first {
            events.append((first.kind, first.payload, first.sequence))
            for event in logged.dropFirst() {
                try apply(kind: event.kind, payload: event.payload)
                events.append((event.kind, event.payload, event.sequence))
            }
            try restorePending()
        } else {
            let (kind, payload) = fork.map { ("fork", $0.eventPayload) }
                ?? ("genesis", Array(genesis!.gethJSON.serializedString().utf8))
            let sequence = try log?.append(kind: kind, payload: payload) ?? 0
            events.append((kind, payload, sequence))
        }
    }

    static func makeChain(genesis: Genesis?, fork: DevnetFork?, config: ChainConfig) -> Blockchain {
        if let fork { return Blockchain(config: config, forkedFrom: fork.header, fork: fork.base) }
        return Blockchain(genesis: genesis!)
    }

    /// Throws the first failed upstream read since the last check (and forgets it): whatever read it saw a zero
    /// in its place and must be discarded.
    func checkUpstream(_ what: String) throws {
        guard let remote = fork?.base.remote, let failure = remote.takeFailure() else { return }
        var error = NodeError("\(what) failed: \(failure)")
        error.upstreamFailed = true
        throw error
    }

    // MARK: Time and block environment

    func wallClock() -> UInt64 { UInt64(max(0, Int64(Date().timeIntervalSince1970) + timeOffset)) }

    /// The header fields the next block will have (before execution fills in the results).
    func nextHeader(timestamp requested: UInt64? = nil, after parentBlock: ChainBlock? = nil) -> BlockHeader {
        let parentBlock = parentBlock ?? chain.head
        let parent = parentBlock.header
        let timestamp = max(parent.timestamp + 1, requested ?? nextTimestamp ?? wallClock())
        let fork = config.fork(at: timestamp)
        let number = parent.number + 1
        var numberBytes = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { numberBytes[index] = UInt8(truncatingIfNeeded: number >> (56 - 8 * UInt64(index))) }
        return BlockHeader(
            parentHash: parentBlock.hash, coinbase: coinbase, number: number, gasLimit: parent.gasLimit,
            timestamp: timestamp, extraData: Array("lockstep".utf8),
            mixHash: Keccak256.hash(parentBlock.hash.bytes + Array("prevrandao".utf8)),
            baseFeePerGas: FeeMarket.nextBaseFee(parent: parent),
            withdrawalsRoot: fork >= .shanghai ? BlockHeader.emptyTrieRoot : nil,
            blobGasUsed: fork >= .cancun ? 0 : nil,
            excessBlobGas: fork >= .cancun ? config.blobParameters(for: fork)?.excessBlobGas(parent: parent) ?? 0 : nil,
            parentBeaconBlockRoot: fork >= .cancun ? Keccak256.hash(Array("beacon".utf8) + numberBytes) : nil,
            requestsHash: fork >= .prague ? ExecutionRequest.requestsHash([]) : nil)
    }

    /// The base fee the next block will charge.
    public var nextBaseFee: U256 { FeeMarket.nextBaseFee(parent: chain.headHeader) }

    // MARK: Transactions

    /// Validates a raw (network-form) transaction against the head state and adds it to the pool.
    /// The transaction is durable when this returns.
    public func submit(raw: [UInt8]) throws -> Hash {
        try submit(verified: Self.decode(raw: raw), raw: raw, sidecarVerified: false)
    }

    /// Decodes a raw (network-form) transaction and runs the checks that need no chain state: for a blob
    /// transaction, its sidecar's versioned hashes and KZG proofs (milliseconds per blob, so the RPC layer runs this
    /// before it enters the chain thread, and passes the result to `submit(verified:raw:)`).
    public static func decodeAndVerify(raw: [UInt8]) throws -> Transaction {
        let transaction = try decode(raw: raw)
        try verifySidecar(of: transaction)
        return transaction
    }

    /// Adds a transaction that `decodeAndVerify(raw:)` returned; `raw` is what is logged.
    public func submit(verified transaction: Transaction, raw: [UInt8]) throws -> Hash {
        try submit(verified: transaction, raw: raw, sidecarVerified: true)
    }

    private func submit(verified transaction: Transaction, raw: [UInt8], sidecarVerified: Bool) throws -> Hash {
        let hash = try add(transaction, sidecarVerified: sidecarVerified)
        try log?.putPending(key: hash.bytes, kind: "tx", payload: raw, added: Int64(Date().timeIntervalSince1970 * 1000))
        return hash
    }

    static func decode(raw: [UInt8]) throws -> Transaction {
        do { return try Transaction.decode(raw) } catch { throw NodeError("invalid transaction: \(error)") }
    }

    /// Checks `transaction` and adds it to the pool (replacing a cheaper one with its nonce).
    func add(_ transaction: Transaction, sidecarVerified: Bool = false) throws -> Hash {
        _ = fork?.base.remote.takeFailure()
        try check(transaction)
        if !sidecarVerified { try Self.verifySidecar(of: transaction) }
        let state = chain.state
        let hash: Hash
        do {
            hash = try pool.add(transaction, fork: config.fork(at: nextHeader().timestamp),
                                blockGasLimit: chain.headHeader.gasLimit) { address in
                let account = state.account(address)
                return (account?.nonce ?? 0, account?.balance ?? .zero)
            }
        } catch {
            try checkUpstream("checking the transaction against forked state")
            throw NodeError(error.message)
        }
        if let failure = fork?.base.remote.takeFailure() {
            // The pool's nonce and balance check saw zeros in place of a failed read: undo the addition.
            pool.remove(hash: hash)
            throw NodeError("checking the transaction against forked state failed: \(failure)")
        }
        return hash
    }

    /// The checks the pool leaves to the node that need the chain: the block's gas limit and base fee. The pool
    /// checks signature, chain id, intrinsic gas, nonce and funds; `verifySidecar` checks blob sidecars.
    func check(_ transaction: Transaction) throws {
        let header = nextHeader()
        if transaction.gasLimit > header.gasLimit {
            throw NodeError("exceeds block gas limit: gas limit \(transaction.gasLimit), block \(header.gasLimit)")
        }
        let baseFee = header.baseFeePerGas ?? .zero
        if transaction.maxFeePerGas < baseFee {
            throw NodeError("max fee per gas less than block base fee: maxFeePerGas \(transaction.maxFeePerGas), " +
                            "baseFee \(baseFee)")
        }
    }

    /// For a blob transaction: the sidecar is present, its commitments match the versioned hashes, and its KZG
    /// proofs verify. Needs no chain state.
    static func verifySidecar(of transaction: Transaction) throws {
        if transaction.type == .blob {
            guard let sidecar = transaction.sidecar else {
                throw NodeError("a blob transaction must be sent in its network form, with blobs, commitments and proofs")
            }
            guard sidecar.commitments.count == transaction.blobVersionedHashes.count else {
                throw NodeError("blob sidecar has \(sidecar.commitments.count) commitments for \(transaction.blobVersionedHashes.count) versioned hashes")
            }
            for (commitment, versioned) in zip(sidecar.commitments, transaction.blobVersionedHashes) {
                var expected = SHA256.hash(commitment)
                expected[0] = 0x01
                guard expected == versioned.bytes else {
                    throw NodeError("blob versioned hash \(versioned) does not match its commitment")
                }
            }
            // Version 0 sidecars carry one blob proof per blob (EIP-4844), version 1 sidecars 128 cell proofs per
            // blob (EIP-7594, Osaka's network form, which eth-account sends by default); both are verified.
            if sidecar.wrapperVersion == 1 {
                do {
                    try BlobKZG.verifyCellProofs(blobs: sidecar.blobs, commitments: sidecar.commitments,
                                                 proofs: sidecar.proofs)
                } catch {
                    throw NodeError("blob sidecar: \(error)")
                }
            } else {
                for index in sidecar.blobs.indices {
                    do {
                        try BlobKZG.verify(blob: sidecar.blobs[index], commitment: sidecar.commitments[index],
                                           proof: sidecar.proofs[index])
                    } catch {
                        throw NodeError("blob \(index): \(error)")
                    }
                }
            }
        }
    }

    // MARK: Bundles

    /// Queues a bundle for its target block (durably).
    public func submit(bundle: DevnetBundle) throws {
        guard bundle.blockNumber > chain.head.number else {
            throw NodeError("bundle targets block \(bundle.blockNumber), but the chain is already at \(chain.head.number)")
        }
        bundles[bundle.blockNumber, default: []].append(bundle)
        try log?.putPending(key: Self.bundleKey(bundle), kind: "bundle", payload: Self.encode(bundle),
                            added: Int64(Date().timeIntervalSince1970 * 1000))
    }

    static func bundleKey(_ bundle: DevnetBundle) -> [UInt8] {
        Array("bundle".utf8) + bundle.bundleHash.bytes + withUnsafeBytes(of: bundle.blockNumber.bigEndian) { Array($0) }
    }

    static func encode(_ bundle: DevnetBundle) -> [UInt8] {
        var object: [String: JSONValue] = [
            "txs": .array(bundle.transactions.map { .data($0.networkEncoded) }),
            "blockNumber": .quantity(bundle.blockNumber),
            "revertingTxHashes": .array(bundle.revertingTxHashes.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
                .map { .string($0.hexString) }),
        ]
        if let minimum = bundle.minTimestamp { object["minTimestamp"] = .quantity(minimum) }
        if let maximum = bundle.maxTimestamp { object["maxTimestamp"] = .quantity(maximum) }
        return Array(JSONValue.object(object).serializedString().utf8)
    }

    /// Decodes a stored bundle (the senders are recovered again).
    static func decodeBundle(_ bytes: [UInt8]) throws -> DevnetBundle {
        let json = try JSONValue(parsing: bytes)
        let transactions = try (json["txs"]?.arrayValue ?? []).map { try Transaction.decode(try $0.decodeData()) }
        return DevnetBundle(
            transactions: transactions, senders: try transactions.map { try $0.recoverSender() },
            blockNumber: try json["blockNumber"]?.decodeUInt64Quantity() ?? 0,
            minTimestamp: try json["minTimestamp"]?.decodeUInt64Quantity(),
            maxTimestamp: try json["maxTimestamp"]?.decodeUInt64Quantity(),
            revertingTxHashes: Set(try (json["revertingTxHashes"]?.arrayValue ?? []).map { try Hash(hex: $0.stringValue ?? "") }))
    }

    /// Executes `bundle` on top of the head as the next block would, without keeping anything.
    public func simulate(bundle: DevnetBundle, timestamp: UInt64? = nil, coinbase override: Address? = nil)
        throws -> (outcomes: [(outcome: TransactionOutcome, receipt: Receipt, output: [UInt8])], coinbaseDiff: U256, header: BlockHeader)
    {
        _ = fork?.base.remote.takeFailure()
        var header = nextHeader(timestamp: timestamp)
        if let override { header.coinbase = override }
        let execution = BlockExecution(config: config, header: header, worldState: chain.state)
        let before = chain.state.account(header.coinbase)?.balance ?? .zero
        var results: [(outcome: TransactionOutcome, receipt: Receipt, output: [UInt8])] = []
        for (transaction, sender) in zip(bundle.transactions, bundle.senders) {
            do {
                let receipt = try execution.apply(transaction, sender: sender)
                results.append((execution.outcomes.last!, receipt, execution.lastOutput))
            } catch {
                throw NodeError("bundle transaction \(transaction.hash) cannot be included: \(error.message)")
            }
        }
        let result = try execution.finish()
        try checkUpstream("simulating the bundle")
        let after = result.pendingState.changes.first { $0.address == header.coinbase }?.info?.balance ?? before
        return (results, after &- before, header)
    }

    // MARK: Mining

    /// Builds, logs and appends the next block: bundles for it first (each all or nothing, in order), then pool
    /// transactions by tip. Invalid pool transactions are dropped from the pool.
    @discardableResult
    public func mine(timestamp requested: UInt64? = nil) throws -> ChainBlock {
        _ = fork?.base.remote.takeFailure()
        var header = nextHeader(timestamp: requested)
        let number = header.number
        let state = chain.state

        // Bundles: each is tried on top of the ones already accepted; a failing one is skipped whole.
        var accepted: [(Transaction, Address)] = []
        for bundle in bundles[number] ?? [] {
            if let minimum = bundle.minTimestamp, header.timestamp < minimum { continue }
            if let maximum = bundle.maxTimestamp, maximum != 0, header.timestamp > maximum { continue }
            let trial = BlockExecution(config: config, header: header, worldState: state)
            var ok = true
            for (transaction, sender) in accepted { if (try? trial.apply(transaction, sender: sender)) == nil { ok = false } }
            for (transaction, sender) in zip(bundle.transactions, bundle.senders) where ok {
                guard let receipt = try? trial.apply(transaction, sender: sender) else { ok = false; break }
                if !receipt.succeeded && !bundle.revertingTxHashes.contains(transaction.hash) { ok = false }
            }
            if ok { accepted += Array(zip(bundle.transactions, bundle.senders)) }
        }

        let execution = BlockExecution(config: config, header: header, worldState: state)
        var transactions: [Transaction] = []
        var included = Set<Hash>()
        for (transaction, sender) in accepted {
            try execution.apply(transaction, sender: sender)
            transactions.append(transaction)
            included.insert(transaction.hash)
        }
        var dropped: [Hash] = []
        var ordering = pool.ordering(baseFee: header.baseFeePerGas ?? .zero) { state.account($0)?.nonce ?? 0 }
        while let entry = ordering.next() {
            if included.contains(entry.hash) { continue }
            if entry.transaction.gasLimit > execution.gasAvailable {
                ordering.skip(sender: entry.sender)
                continue
            }
            do {
                try execution.apply(entry.transaction, sender: entry.sender)
                transactions.append(entry.transaction)
                included.insert(entry.hash)
            } catch {
                // Not includable now (nonce moved, funds spent by an earlier transaction, ...): drop it, and hold
                // back the sender's later nonces for this block.
                dropped.append(entry.hash)
                ordering.skip(sender: entry.sender)
            }
        }
        execution.apply(withdrawals: [])
        let result = try execution.finish()
        try checkUpstream("building block \(number)")
        nextTimestamp = nil
        header.gasUsed = result.gasUsed
        header.stateRoot = result.pendingState.stateRoot
        header.transactionsRoot = OrderedTrie.transactionsRoot(transactions)
        header.receiptsRoot = OrderedTrie.receiptsRoot(result.receipts)
        header.logsBloom = result.logsBloom
        if header.blobGasUsed != nil { header.blobGasUsed = result.blobGasUsed }
        if header.requestsHash != nil, let requestsHash = result.requestsHash { header.requestsHash = requestsHash }
        let block = Block(header: header, transactions: transactions, ommers: [],
                          withdrawals: header.withdrawalsRoot == nil ? nil : [])

        // Durable before visible: the block and the settling of its pool entries commit together.
        let payload = block.rlpEncoded
        let settled = (Array(included) + dropped).map(\.bytes)
            + (bundles[number] ?? []).map(Self.bundleKey)
        let sequence = try log?.append(kind: "block", payload: payload, settling: settled) ?? 0
        events.append(("block", payload, sequence))
        let appended = chain.appendBuilt(block, result: result)
        for hash in included.union(dropped) { pool.remove(hash: hash) }
        bundles = bundles.filter { $0.key > number }
        pool.removeStale(chain: chain)
        return appended
    }

    // MARK: Calls

    /// Runs a call (or a contract creation) on the head state as a transaction in the next block, keeping nothing.
    /// Without a gas price, the base fee is taken as zero so that any account can call.
    /// - Parameter view: the state to call on and the block it follows (nil: the head's).
    public func call(_ arguments: CallArguments, gas overrideGas: UInt64? = nil, on view: StateView? = nil) throws -> SimulationOutcome {
        _ = fork?.base.remote.takeFailure()
        let backend = view?.state ?? chain.state
        var header = nextHeader(after: view?.block)
        let priced = arguments.gasPrice != nil || arguments.maxFeePerGas != nil
        if !priced { header.baseFeePerGas = .zero }
        let gas = overrideGas ?? arguments.gas ?? header.gasLimit
        let feeCap = arguments.gasPrice ?? arguments.maxFeePerGas ?? .zero
        let tip = arguments.gasPrice ?? arguments.maxPriorityFeePerGas ?? .zero
        let transaction = Transaction(
            type: .dynamicFee, chainId: config.chainId, nonce: backend.account(arguments.from)?.nonce ?? 0,
            maxPriorityFeePerGas: tip < feeCap ? tip : feeCap, maxFeePerGas: feeCap, gasLimit: gas,
            to: arguments.to, value: arguments.value, data: arguments.data, accessList: arguments.accessList)
        let environment = config.blockEnvironment(for: header)
        let state = JournaledState(backend: backend)
        let processor = TransactionProcessor(block: environment)
        let result = Result { () throws(InvalidTransaction) in
            try processor.execute(transaction, sender: arguments.from, state: state)
        }
        try checkUpstream("reading forked state for the call")
        switch result {
        case .success(let receipt):
            return SimulationOutcome(success: receipt.success, output: receipt.output, gasUsed: receipt.gasUsed,
                                     logs: receipt.logs, createdAddress: receipt.createdAddress)
        case .failure(let error):
            throw NodeError(error.message)
        }
    }

    /// The smallest gas limit with which the call succeeds (binary search over whole executions).
    public func estimateGas(_ arguments: CallArguments, on view: StateView? = nil) throws -> UInt64 {
        let cap = arguments.gas ?? (view?.block ?? chain.head).header.gasLimit
        let first = try call(arguments, gas: cap, on: view)
        guard first.success else {
            throw NodeError(Self.revertMessage(first.output), code: 3, data: first.output)
        }
        var low = max(first.gasUsed, 21_000) - 1
        var high = cap
        // Usually the gas used plus the 63/64 reserve is enough: try it before searching.
        let guess = min(cap, first.gasUsed + first.gasUsed / 63 + 2_300)
        if guess < high, try trialCall(arguments, gas: guess, on: view)?.success == true { high = guess }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if try trialCall(arguments, gas: middle, on: view)?.success == true { high = middle } else { low = middle }
        }
        return high
    }

    /// One probe of the gas search: an invalid call (e.g. too little gas for the intrinsic cost) is nil, a failed
    /// upstream read an error.
    func trialCall(_ arguments: CallArguments, gas: UInt64, on view: StateView?) throws -> SimulationOutcome? {
        do {
            return try call(arguments, gas: gas, on: view)
        } catch let error as NodeError where error.upstreamFailed {
            throw error
        } catch {
            return nil
        }
    }

    /// "execution reverted" with the decoded `Error(string)` reason when there is one.
    public static func revertMessage(_ output: [UInt8]) -> String {
        if output.count >= 68, output.prefix(4) == [0x08, 0xc3, 0x79, 0xa0] {
            let length = (U256(bigEndianBytes: output[36..<68]) ?? .zero).uint64 ?? 0
            if 68 + Int(min(length, UInt64(output.count))) <= output.count {
                return "execution reverted: " + String(decoding: output[68..<(68 + Int(length))], as: UTF8.self)
            }
        }
        return "execution reverted"
    }

    // MARK: Test-only state edits (anvil_set*)

    /// Changes one account outside any transaction, durably.
    public func edit(_ address: Address, balance: U256? = nil, nonce: UInt64? = nil, code: [UInt8]? = nil,
                     storage: [U256: U256] = [:]) throws {
        var object: [String: JSONValue] = ["address": .string(address.hexString)]
        if let balance { object["balance"] = .quantity(balance) }
        if let nonce { object["nonce"] = .quantity(nonce) }
        if let code { object["code"] = .data(code) }
        if !storage.isEmpty {
            var slots: [String: JSONValue] = [:]
            for (key, value) in storage { slots[key.hexString] = .quantity(value) }
            object["storage"] = .object(slots)
        }
        let payload = Array(JSONValue.object(object).serializedString().utf8)
        try apply(kind: "edit", payload: payload)
        let sequence = try log?.append(kind: "edit", payload: payload) ?? 0
        events.append(("edit", payload, sequence))
    }

    /// Replays one logged event.
    func apply(kind: String, payload: [UInt8]) throws {
        switch kind {
        case "block":
            let block = try Block.decode(rlp: payload)
            _ = fork?.base.remote.takeFailure()
            do {
                try chain.importBlock(block)
            } catch {
                try checkUpstream("replaying block \(block.header.number)")
                throw error
            }
        case "edit":
            let json = try JSONValue(parsing: payload)
            let address = try Address(hex: json["address"]?.stringValue ?? "")
            _ = fork?.base.remote.takeFailure()
            let current = chain.state.accountState(address) ?? InMemoryState.Account()
            let code = try json["code"].map { try $0.decodeData() }
            var storage: [U256: U256] = [:]
            for (key, value) in json["storage"]?.objectValue ?? [:] {
                storage[try U256(hex: key)] = try value.decodeQuantity()
            }
            let info = AccountInfo(nonce: try json["nonce"]?.decodeUInt64Quantity() ?? current.nonce,
                                   balance: try json["balance"]?.decodeQuantity() ?? current.balance,
                                   codeHash: Keccak256.hash(code ?? current.code))
            let change = AccountChange(address: address, info: info, code: code ?? current.code, storage: storage,
                                       storageCleared: false)
            let prepared = try chain.state.prepare([change])
            try checkUpstream("editing \(address)")
            chain.state.commit(prepared)
        default:
            throw NodeError("unknown event kind '\(kind)' in the data directory's log")
        }
    }

    /// Puts the logged pending transactions and bundles back (dropping those the chain made invalid).
    func restorePending() throws {
        guard let log else { return }
        for item in try log.pending() {
            switch item.kind {
            case "tx":
                do {
                    _ = try add(try Transaction.decode(item.payload))
                } catch {
                    try log.deletePending(key: item.key)
                }
            case "bundle":
                if let bundle = try? Self.decodeBundle(item.payload), bundle.blockNumber > chain.head.number {
                    bundles[bundle.blockNumber, default: []].append(bundle)
                } else {
                    try log.deletePending(key: item.key)
                }
            default:
                try log.deletePending(key: item.key)
            }
        }
    }

    // MARK: Snapshots

    /// Remembers the current chain, pool and clock; returns an id for `revert`.
    public func snapshot() -> UInt64 {
        let id = nextSnapshotID
        nextSnapshotID += 1
        snapshots[id] = (events.count, pool, bundles, timeOffset)
        return id
    }

    /// Returns to snapshot `id` (which is then used up, with every later one). False when unknown.
    public func revert(to id: UInt64) throws -> Bool {
        guard let saved = snapshots[id] else { return false }
        let kept = Array(events.prefix(saved.events))
        chain = Self.makeChain(genesis: genesis, fork: fork, config: config_)
        for event in kept.dropFirst() { try apply(kind: event.kind, payload: event.payload) }
        if let log, let last = kept.last { try log.truncate(after: last.sequence) }
        events = kept
        if let log {
            // Pending rows of transactions and bundles that arrived after the snapshot go with them.
            var keep = Set(saved.pool.allEntries.map(\.hash.bytes))
            for list in saved.bundles.values { for bundle in list { keep.insert(Self.bundleKey(bundle)) } }
            for item in try log.pending() where !keep.contains(item.key) { try log.deletePending(key: item.key) }
        }
        pool = saved.pool
        bundles = saved.bundles
        timeOffset = saved.timeOffset
        snapshots = snapshots.filter { $0.key < id }
        return true
    }

    /// Moves the clock for later blocks forward by `seconds`; returns the total offset.
    public func increaseTime(_ seconds: Int64) -> Int64 {
        timeOffset += seconds
        return timeOffset
    }
}
