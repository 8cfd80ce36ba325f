import Chain
import EVM
import Foundation
import JSON
import Primitives
import RPCServer
import State

/// Which block a request names.
enum BlockTag: Sendable, Equatable {
    case latest, pending, earliest
    case number(UInt64)
    case hash(Hash)

    static func parse(_ value: JSONValue?, _ name: String = "block") throws(RPCError) -> BlockTag {
        guard let value, value != .null else { return .latest }
        switch value {
        case .string(let text):
            switch text {
            case "latest", "safe", "finalized": return .latest
            case "pending": return .pending
            case "earliest": return .earliest
            default:
                if text.count == 66 { return .hash(try RPCParams.hash(value, name)) }
                return .number(try RPCParams.uint64(value, name))
            }
        case .number: return .number(try RPCParams.uint64(value, name))
        case .object(let object):
            if let hash = object["blockHash"] { return .hash(try RPCParams.hash(hash, "\(name).blockHash")) }
            if let number = object["blockNumber"] { return .number(try RPCParams.uint64(number, "\(name).blockNumber")) }
            throw .invalidParams("\(name): expected blockHash or blockNumber")
        default:
            throw .invalidParams("\(name): expected a block number or tag, found \(value.kindDescription)")
        }
    }
}

extension DevnetChain {
    /// The block a tag names, or nil when it does not exist.
    func block(_ tag: BlockTag) -> ChainBlock? {
        switch tag {
        case .latest, .pending: return chain.head
        case .earliest: return chain.genesis
        case .number(let number): return chain.block(number: number)
        case .hash(let hash): return chain.block(hash: hash)
        }
    }

    /// The state `tag` names: nil for the head's live state (with any test edits since the head block), or the
    /// post-state of an earlier block (kept for the last `WorldState.historyDepth` blocks).
    func view(_ tag: BlockTag) throws -> StateView? {
        switch tag {
        case .latest, .pending: return nil
        default:
            guard let block = block(tag) else { throw NodeError("header not found") }
            guard let state = chain.state.state(atBlock: block.number) else {
                throw NodeError("the state of block \(block.number) is no longer kept: this devnet keeps the last " +
                                "\(WorldState.historyDepth) blocks' state (head is \(chain.head.number))")
            }
            return StateView(state: state, block: block)
        }
    }

    /// Fails unless `tag` names the head (for what runs on the live state only, such as bundle simulation).
    func requireHeadState(_ tag: BlockTag) throws {
        switch tag {
        case .latest, .pending: return
        default:
            guard let block = block(tag) else { throw NodeError("header not found") }
            if block.hash != chain.head.hash {
                throw NodeError("bundles are simulated on the head state (block \(chain.head.number)) only, not on block \(block.number)")
            }
        }
    }
}

extension DevnetNode {
    /// Every method the devnet answers.
    public func methods() -> RPCMethods {
        var methods = RPCMethods()
        let chainId = self.chainId

        // web3_* and net_*
        methods.register("web3_clientVersion") { _ in .string("lockstep/\(LockstepVersion.string)") }
        methods.register("web3_sha3") { call in .string(Keccak256.hash(try call.params.data(0, "data")).hexString) }
        methods.register("net_version") { _ in .string(String(chainId)) }
        methods.register("net_listening") { _ in true }
        methods.register("net_peerCount") { _ in "0x0" }
        methods.register("eth_chainId") { _ in .quantity(chainId) }
        methods.register("eth_syncing") { _ in false }
        methods.register("eth_mining") { _ in true }
        methods.register("eth_hashrate") { _ in "0x0" }
        methods.register("eth_accounts") { _ in .array(DevAccounts.addresses.map { .string($0.hexString) }) }
        methods.register("eth_coinbase") { [self] _ in
            try await withChain { .string($0.coinbase.hexString) }
        }
        methods.register("eth_blockNumber") { [self] _ in try await withChain { .quantity($0.head.number) } }
        methods.register("eth_gasPrice") { [self] _ in
            try await withChain { .quantity($0.nextBaseFee &+ U256(1_000_000_000)) }
        }
        methods.register("eth_maxPriorityFeePerGas") { _ in .quantity(U256(1_000_000_000)) }
        methods.register("eth_blobBaseFee") { [self] _ in
            try await withChain { devnet in
                let header = devnet.nextHeader()
                let parameters = devnet.config.blobParameters(for: devnet.config.fork(at: header.timestamp))
                return .quantity(parameters?.blobBaseFee(excessBlobGas: header.excessBlobGas ?? 0) ?? .zero)
            }
        }
        methods.register("eth_feeHistory") { [self] call in
            try call.params.expectCount(2, 3)
            let count = min(try RPCParams.uint64(try call.params.required(0, "blockCount"), "blockCount"), 1024)
            let newest = try BlockTag.parse(call.params[1], "newestBlock")
            var percentiles: [Double] = []
            if let list = call.params[2] {
                percentiles = try RPCParams.array(list, "rewardPercentiles").map { value throws(RPCError) in
                    guard let number = value.numberValue?.doubleValue, number >= 0, number <= 100 else {
                        throw .invalidParams("rewardPercentiles: each must be a number from 0 to 100")
                    }
                    return number
                }
                guard percentiles == percentiles.sorted() else {
                    throw RPCError.invalidParams("rewardPercentiles must be in increasing order")
                }
            }
            let wanted = percentiles
            return try await withChain { devnet in try Self.feeHistory(devnet, count: count, newest: newest, percentiles: wanted) }
        }

        // State
        methods.register("eth_getBalance") { [self] call in
            let address = try call.params.address(0)
            let tag = try BlockTag.parse(call.params[1])
            if let answer = try await forwarded(call, tag: tag) { return answer }
            return try await withChain { devnet in
                let state = try devnet.view(tag)?.state ?? devnet.chain.state
                let balance = state.account(address)?.balance ?? .zero
                try devnet.checkUpstream("reading the balance")
                return .quantity(balance)
            }
        }
        methods.register("eth_getTransactionCount") { [self] call in
            let address = try call.params.address(0)
            let tag = try BlockTag.parse(call.params[1])
            if let answer = try await forwarded(call, tag: tag) { return answer }
            return try await withChain { devnet in
                let state = try devnet.view(tag)?.state ?? devnet.chain.state
                let nonce = state.account(address)?.nonce ?? 0
                try devnet.checkUpstream("reading the nonce")
                return .quantity(tag == .pending ? devnet.pool.pendingNonce(of: address, stateNonce: nonce) : nonce)
            }
        }
        methods.register("eth_getCode") { [self] call in
            let address = try call.params.address(0)
            let tag = try BlockTag.parse(call.params[1])
            if let answer = try await forwarded(call, tag: tag) { return answer }
            return try await withChain { devnet in
                let state = try devnet.view(tag)?.state ?? devnet.chain.state
                let code = state.account(address).flatMap { state.code(hash: $0.codeHash) } ?? []
                try devnet.checkUpstream("reading the code")
                return .data(code)
            }
        }
        methods.register("eth_getStorageAt") { [self] call in
            let address = try call.params.address(0)
            let slot = try call.params.quantity(1, "slot")
            let tag = try BlockTag.parse(call.params[2])
            if let answer = try await forwarded(call, tag: tag) { return answer }
            return try await withChain { devnet in
                let state = try devnet.view(tag)?.state ?? devnet.chain.state
                let value = state.storage(address, slot)
                try devnet.checkUpstream("reading the slot")
                return .string(Hash(word: value).hexString)
            }
        }
        methods.register("eth_getProof") { [self] call in
            let address = try call.params.address(0)
            let slots = try RPCParams.array(try call.params.required(1, "storageKeys"), "storageKeys")
                .map { value throws(RPCError) in try RPCParams.quantity(value, "storageKeys") }
            let tag = try BlockTag.parse(call.params[2])
            if let answer = try await forwarded(call, tag: tag) { return answer }
            return try await withChain { devnet in
                let view = try devnet.view(tag)
                let proof = try devnet.chain.state.proof(address: address, slots: slots, atBlock: view?.block.number)
                let record = proof.account
                return .object([
                    "address": .string(address.hexString),
                    "balance": .quantity(record?.balance ?? .zero), "nonce": .quantity(record?.nonce ?? 0),
                    "codeHash": .string((record?.codeHash ?? AccountRecord.emptyCodeHash).hexString),
                    "storageHash": .string((record?.storageRoot ?? MerklePatriciaTrie.emptyRootHash).hexString),
                    "accountProof": .array(proof.accountProof.map { .data($0) }),
                    "storageProof": .array(proof.storage.map { entry in
                        .object(["key": .string(Hash(word: entry.slot).hexString), "value": .quantity(entry.value),
                                 "proof": .array(entry.proof.map { .data($0) })])
                    }),
                ])
            }
        }

        // Calls
        methods.register("eth_call") { [self] call in
            let arguments = try Self.callArguments(try call.params.required(0, "transaction"))
            let tag = try BlockTag.parse(call.params[1])
            if let answer = try await forwarded(call, tag: tag) { return answer }
            return try await withChain { devnet in
                let outcome = try devnet.call(arguments, on: try devnet.view(tag))
                guard outcome.success else {
                    throw NodeError(DevnetChain.revertMessage(outcome.output), code: 3, data: outcome.output)
                }
                return .data(outcome.output)
            }
        }
        methods.register("eth_estimateGas") { [self] call in
            let arguments = try Self.callArguments(try call.params.required(0, "transaction"))
            let tag = try BlockTag.parse(call.params[1])
            if let answer = try await forwarded(call, tag: tag) { return answer }
            return try await withChain { devnet in
                return .quantity(try devnet.estimateGas(arguments, on: try devnet.view(tag)))
            }
        }

        // Transactions
        methods.register("eth_sendRawTransaction") { [self] call in
            let raw = try call.params.data(0, "transaction")
            // Decoding and the KZG checks of a blob sidecar need no chain state: keep them off the chain thread.
            let transaction = try await offChain { try DevnetChain.decodeAndVerify(raw: raw) }
            let hash = try await withChain { try $0.submit(verified: transaction, raw: raw) }
            if automine { try await mine() }
            return .string(hash.hexString)
        }
        methods.register("eth_sendTransaction") { [self] call in
            // For the development accounts only, whose keys are public: fill in, sign, send.
            let object = try RPCParams.object(try call.params.required(0, "transaction"), "transaction")
            let from = try RPCParams.address(object["from"] ?? .null, "from")
            guard let index = DevAccounts.addresses.firstIndex(of: from) else {
                throw RPCError.server("unknown account \(from.hexString): eth_sendTransaction signs for the ten development accounts only")
            }
            let arguments = try Self.callArguments(.object(object))
            let hash = try await withChain { devnet in
                let nonce = try object["nonce"].map { value throws(RPCError) in try RPCParams.uint64(value, "nonce") }
                    ?? devnet.pool.pendingNonce(of: from, stateNonce: devnet.chain.state.account(from)?.nonce ?? 0)
                let gas = try arguments.gas ?? devnet.estimateGas(arguments)
                let tip = arguments.maxPriorityFeePerGas ?? arguments.gasPrice ?? U256(1_000_000_000)
                let cap = arguments.maxFeePerGas ?? arguments.gasPrice ?? (devnet.nextBaseFee &* U256(2) &+ tip)
                let transaction = Transaction(
                    type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: tip < cap ? tip : cap,
                    maxFeePerGas: cap, gasLimit: gas, to: arguments.to, value: arguments.value, data: arguments.data,
                    accessList: arguments.accessList).signed(with: DevAccounts.privateKeys[index])
                return try devnet.submit(raw: transaction.networkEncoded)
            }
            if automine { try await mine() }
            return .string(hash.hexString)
        }
        methods.register("eth_getTransactionByHash") { [self] call in
            let hash = try RPCParams.hash(try call.params.required(0, "hash"), "hash")
            return try await withChain { devnet -> JSONValue in
                if let found = devnet.chain.transaction(hash: hash), let block = devnet.chain.block(hash: found.location.blockHash) {
                    return EthJSON.transaction(in: block, index: found.location.index)
                }
                if let pooled = devnet.pool.entry(hash: hash) {
                    return EthJSON.transaction(pooled.transaction, sender: pooled.sender, block: nil, index: nil)
                }
                return .null
            }.forwardingNull(self, call)
        }
        methods.register("eth_getTransactionReceipt") { [self] call in
            let hash = try RPCParams.hash(try call.params.required(0, "hash"), "hash")
            return try await withChain { devnet -> JSONValue in
                guard let info = devnet.chain.receipt(transactionHash: hash) else { return .null }
                let block = devnet.chain.block(number: info.blockNumber)
                let fork = devnet.config.fork(at: block?.header.timestamp ?? 0)
                let blobFee = devnet.config.blobParameters(for: fork)?
                    .blobBaseFee(excessBlobGas: block?.header.excessBlobGas ?? 0)
                return EthJSON.receipt(info, blobBaseFee: blobFee)
            }.forwardingNull(self, call)
        }
        for (name, byHash) in [("eth_getTransactionByBlockNumberAndIndex", false), ("eth_getTransactionByBlockHashAndIndex", true)] {
            methods.register(name) { [self] call in
                let tag = byHash ? BlockTag.hash(try RPCParams.hash(try call.params.required(0, "blockHash"), "blockHash"))
                    : try BlockTag.parse(call.params[0])
                let index = try RPCParams.uint64(try call.params.required(1, "index"), "index")
                if let answer = try await forwarded(call, tag: tag) { return answer }
                return try await withChain { devnet in
                    guard let block = devnet.block(tag), index < UInt64(block.block.transactions.count) else { return .null }
                    return EthJSON.transaction(in: block, index: Int(index))
                }
            }
        }

        // Blocks
        methods.register("eth_getBlockByNumber") { [self] call in
            let tag = try BlockTag.parse(try call.params.required(0, "block"))
            let full = try call.params.bool(1, "fullTransactions", default: false)
            if let answer = try await forwarded(call, tag: tag) { return answer }
            let found = try await withChain { devnet in devnet.block(tag).map { ($0.number, EthJSON.block($0, fullTransactions: full)) } }
            return try await upstreamBlockIfForkBlock(found, full: full)
        }
        methods.register("eth_getBlockByHash") { [self] call in
            let hash = try RPCParams.hash(try call.params.required(0, "blockHash"), "blockHash")
            let full = try call.params.bool(1, "fullTransactions", default: false)
            let found = try await withChain { devnet in
                devnet.chain.block(hash: hash).map { ($0.number, EthJSON.block($0, fullTransactions: full)) }
            }
            if found == nil, fork != nil { return try await forward(call.method, call.params.values) }
            return try await upstreamBlockIfForkBlock(found, full: full)
        }
        methods.register("eth_getBlockTransactionCountByNumber") { [self] call in
            let tag = try BlockTag.parse(call.params[0])
            if let answer = try await forwarded(call, tag: tag) { return answer }
            return try await withChain { devnet in devnet.block(tag).map { .quantity(UInt64($0.block.transactions.count)) } ?? .null }
        }
        methods.register("eth_getBlockTransactionCountByHash") { [self] call in
            let hash = try RPCParams.hash(try call.params.required(0, "blockHash"), "blockHash")
            return try await withChain { devnet -> JSONValue in
                devnet.chain.block(hash: hash).map { .quantity(UInt64($0.block.transactions.count)) } ?? .null
            }.forwardingNull(self, call)
        }
        methods.register("eth_getUncleCountByBlockNumber") { _ in "0x0" }
        methods.register("eth_getUncleCountByBlockHash") { _ in "0x0" }

        // Logs and subscriptions
        methods.register("eth_getLogs") { [self] call in
            let object = try RPCParams.object(try call.params.required(0, "filter"), "filter")
            let local = try await withChain { devnet -> JSONValue in
                let filter = try Self.logFilter(object, devnet: devnet)
                if let to = filter.toBlock, to >= filter.fromBlock, to - filter.fromBlock > 10_000 {
                    throw NodeError("the block range is limited to 10,000 blocks")
                }
                return .array(devnet.chain.logs(matching: filter).map { EthJSON.log($0) })
            }
            if let fork, object["blockHash"] == nil {
                // The blocks up to the fork block are the upstream's: ask it for their logs.
                let from = try await withChain { devnet in try Self.logFilter(object, devnet: devnet).fromBlock }
                if from <= fork.blockNumber {
                    var upstreamFilter = object
                    upstreamFilter["toBlock"] = .quantity(fork.blockNumber)
                    if let to = object["toBlock"], case .string(let text) = to, text.hasPrefix("0x"),
                       let number = UInt64(text.dropFirst(2), radix: 16), number < fork.blockNumber {
                        upstreamFilter["toBlock"] = to
                    }
                    let earlier = try await forward("eth_getLogs", [.object(upstreamFilter)])
                    return .array((earlier.arrayValue ?? []) + (local.arrayValue ?? []))
                }
            }
            return local
        }
        methods.register("eth_subscribe") { [self] call in
            guard let connection = call.connection else {
                throw RPCError(code: -32601, message: "notifications not supported: subscribe over a WebSocket")
            }
            guard case .string(let kind) = try call.params.required(0, "subscription type") else {
                throw RPCError.invalidParams("subscription type: expected a string")
            }
            let subscriptionKind: Subscription.Kind
            switch kind {
            case "newHeads": subscriptionKind = .newHeads
            case "logs":
                let object = try call.params[1].map { value throws(RPCError) in try RPCParams.object(value, "filter") } ?? [:]
                subscriptionKind = .logs(try await withChain { devnet in try Self.logFilter(object, devnet: devnet) })
            default:
                throw RPCError.invalidParams("unsupported subscription type \(kind): newHeads and logs are supported")
            }
            var bytes = [UInt8](repeating: 0, count: 16)
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
            let id = Hex.encode(bytes)
            let added = subscriptions.withLock { table -> Bool in
                // A bound per connection, so that one client cannot grow the table without limit.
                guard table.values.filter({ $0.connection.id == connection.id }).count < Self.maxSubscriptionsPerConnection
                else { return false }
                table[id] = Subscription(kind: subscriptionKind, connection: connection)
                return true
            }
            guard added else {
                throw RPCError.server("too many subscriptions on this connection (limit \(Self.maxSubscriptionsPerConnection))")
            }
            return .string(id)
        }
        methods.register("eth_unsubscribe") { [self] call in
            guard case .string(let id) = try call.params.required(0, "subscription id") else {
                throw RPCError.invalidParams("subscription id: expected a string")
            }
            return .bool(subscriptions.withLock { $0.removeValue(forKey: id) != nil })
        }

        registerBundles(&methods)
        registerTestMethods(&methods)
        return methods
    }

    /// Subscriptions one WebSocket may hold at once.
    static let maxSubscriptionsPerConnection = 256

    /// `eth_call`-style transaction arguments.
    static func callArguments(_ value: JSONValue) throws(RPCError) -> CallArguments {
        let object = try RPCParams.object(value, "transaction")
        var arguments = CallArguments()
        if let from = object["from"], from != .null { arguments.from = try RPCParams.address(from, "from") }
        if let to = object["to"], to != .null { arguments.to = try RPCParams.address(to, "to") }
        if let gas = object["gas"], gas != .null { arguments.gas = try RPCParams.uint64(gas, "gas") }
        if let price = object["gasPrice"], price != .null { arguments.gasPrice = try RPCParams.quantity(price, "gasPrice") }
        if let cap = object["maxFeePerGas"], cap != .null { arguments.maxFeePerGas = try RPCParams.quantity(cap, "maxFeePerGas") }
        if let tip = object["maxPriorityFeePerGas"], tip != .null {
            arguments.maxPriorityFeePerGas = try RPCParams.quantity(tip, "maxPriorityFeePerGas")
        }
        if let value = object["value"], value != .null { arguments.value = try RPCParams.quantity(value, "value") }
        if let data = object["input"] ?? object["data"], data != .null { arguments.data = try RPCParams.data(data, "input") }
        if let list = object["accessList"], list != .null {
            arguments.accessList = try RPCParams.array(list, "accessList").map { entry throws(RPCError) in
                let fields = try RPCParams.object(entry, "accessList entry")
                return AccessListEntry(
                    address: try RPCParams.address(fields["address"] ?? .null, "accessList.address"),
                    storageKeys: try RPCParams.array(fields["storageKeys"] ?? .array([]), "accessList.storageKeys")
                        .map { key throws(RPCError) in try RPCParams.hash(key, "accessList.storageKeys") })
            }
        }
        if arguments.gas.map({ $0 > 1 << 40 }) == true { throw .invalidParams("gas: above 2^40") }
        return arguments
    }

    /// An `eth_getLogs` filter object.
    static func logFilter(_ object: [String: JSONValue], devnet: DevnetChain) throws -> LogFilter {
        var filter = LogFilter()
        if let hash = object["blockHash"], hash != .null {
            guard let block = devnet.chain.block(hash: try RPCParams.hash(hash, "blockHash")) else {
                throw NodeError("unknown block")
            }
            filter.fromBlock = block.number
            filter.toBlock = block.number
        } else {
            func number(_ key: String, _ fallback: UInt64) throws -> UInt64 {
                guard let value = object[key], value != .null else { return fallback }
                switch try BlockTag.parse(value, key) {
                case .latest, .pending: return devnet.head.number
                case .earliest: return 0
                case .number(let number): return number
                case .hash(let hash): return devnet.chain.block(hash: hash)?.number ?? fallback
                }
            }
            filter.fromBlock = try number("fromBlock", devnet.head.number)
            filter.toBlock = try number("toBlock", devnet.head.number)
        }
        switch object["address"] ?? .null {
        case .null: break
        case .array(let list): filter.addresses = try list.map { try RPCParams.address($0, "address") }
        case let single: filter.addresses = [try RPCParams.address(single, "address")]
        }
        if let topics = object["topics"], topics != .null {
            filter.topics = try RPCParams.array(topics, "topics").map { entry -> [Hash]? in
                switch entry {
                case .null: return nil
                case .array(let alternatives): return try alternatives.map { try RPCParams.hash($0, "topics") }
                default: return [try RPCParams.hash(entry, "topics")]
                }
            }
        }
        return filter
    }

    /// `eth_feeHistory`: base fees (one more than the blocks, for the next block), gas-used ratios and, per
    /// block, the requested percentiles of the tips paid, weighted by gas as geth does.
    static func feeHistory(_ devnet: DevnetChain, count: UInt64, newest: BlockTag, percentiles: [Double]) throws -> JSONValue {
        guard let last = devnet.block(newest) else { throw NodeError("header not found") }
        // A forked chain's history starts at its fork block.
        let blockCount = min(count, last.number + 1 - devnet.chain.firstNumber)
        let first = last.number + 1 - blockCount
        var baseFees: [JSONValue] = []
        var ratios: [JSONValue] = []
        var rewards: [JSONValue] = []
        var blobFees: [JSONValue] = []
        var blobRatios: [JSONValue] = []
        for number in first..<(first + blockCount) {
            guard let block = devnet.chain.block(number: number) else { continue }
            let header = block.header
            let baseFee = header.baseFeePerGas ?? .zero
            baseFees.append(.quantity(baseFee))
            ratios.append(.number(JSONNumber(Double(header.gasUsed) / Double(max(header.gasLimit, 1))) ?? JSONNumber(0)))
            let fork = devnet.config.fork(at: header.timestamp)
            let parameters = devnet.config.blobParameters(for: fork)
            blobFees.append(.quantity(parameters?.blobBaseFee(excessBlobGas: header.excessBlobGas ?? 0) ?? .zero))
            blobRatios.append(.number(JSONNumber(Double(header.blobGasUsed ?? 0)
                / Double(max(parameters?.maxBlobGasPerBlock ?? 1, 1))) ?? JSONNumber(0)))
            if !percentiles.isEmpty {
                let tips = block.block.transactions.indices.map { index -> (tip: U256, gas: UInt64) in
                    let transaction = block.block.transactions[index]
                    return (transaction.effectiveGasPrice(baseFee: baseFee) &- baseFee, block.outcomes[index].gasUsed)
                }.sorted { $0.tip < $1.tip }
                let totalGas = tips.reduce(UInt64(0)) { $0 + $1.gas }
                var reward: [JSONValue] = []
                for percentile in percentiles {
                    guard !tips.isEmpty else { reward.append(.quantity(UInt64(0))); continue }
                    let threshold = Double(totalGas) * percentile / 100
                    var cumulative: UInt64 = 0
                    var chosen = tips[tips.count - 1].tip
                    for entry in tips {
                        cumulative += entry.gas
                        if Double(cumulative) >= threshold { chosen = entry.tip; break }
                    }
                    reward.append(.quantity(chosen))
                }
                rewards.append(.array(reward))
            }
        }
        if last.number == devnet.head.number {
            baseFees.append(.quantity(devnet.nextBaseFee))
            let header = devnet.nextHeader()
            let parameters = devnet.config.blobParameters(for: devnet.config.fork(at: header.timestamp))
            blobFees.append(.quantity(parameters?.blobBaseFee(excessBlobGas: header.excessBlobGas ?? 0) ?? .zero))
        } else if let next = devnet.chain.block(number: last.number + 1) {
            baseFees.append(.quantity(next.header.baseFeePerGas ?? .zero))
            blobFees.append(blobFees.last ?? .quantity(UInt64(0)))
        }
        var object: [String: JSONValue] = [
            "oldestBlock": .quantity(first), "baseFeePerGas": .array(baseFees), "gasUsedRatio": .array(ratios),
            "baseFeePerBlobGas": .array(blobFees), "blobGasUsedRatio": .array(blobRatios),
        ]
        if !percentiles.isEmpty { object["reward"] = .array(rewards) }
        return .object(object)
    }
}
