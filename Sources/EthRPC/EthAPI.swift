import Chain
import EVM
import Foundation
import JSON
import Node
import Primitives
import RPCServer
import State

/// The `eth_*`, `net_*` and `web3_*` methods web3.py, ethers and viem use, over any `EthBackend`: the L1 devnet
/// and the L2 node answer the same API from the same code.
public enum EthAPI {
    /// Registers every method on `methods`.
    public static func register<Backend: EthBackend>(_ backend: Backend, into methods: inout RPCMethods) {
        registerInfo(backend, &methods)
        registerState(backend, &methods)
        registerCalls(backend, &methods)
        registerTransactions(backend, &methods)
        registerBlocks(backend, &methods)
        registerLogs(backend, &methods)
        registerProofs(backend, &methods)
        registerStateDiff(backend, &methods)
        // Reads: a batch of nothing else runs at once (a forked chain's prefetch sends hundreds per batch).
        methods.allowConcurrentInBatch([
            "eth_chainId", "eth_blockNumber", "eth_getBalance", "eth_getTransactionCount", "eth_getCode",
            "eth_getStorageAt", "eth_getProof", "lockstep_getProofs", "lockstep_getStateDiff", "eth_call", "eth_getTransactionByHash", "eth_getTransactionReceipt",
            "eth_getBlockByNumber", "eth_getBlockByHash",
        ])
    }

    static func registerInfo<Backend: EthBackend>(_ backend: Backend, _ methods: inout RPCMethods) {
        let chainId = backend.chainId
        methods.register("web3_clientVersion") { _ in .string("lockstep/\(LockstepVersion.string)") }
        methods.register("web3_sha3") { call in .string(Keccak256.hash(try call.params.data(0, "data")).hexString) }
        methods.register("net_version") { _ in .string(String(chainId)) }
        methods.register("net_listening") { _ in true }
        methods.register("net_peerCount") { _ in "0x0" }
        methods.register("eth_chainId") { _ in .quantity(chainId) }
        methods.register("eth_syncing") { _ in false }
        methods.register("eth_mining") { _ in true }
        methods.register("eth_hashrate") { _ in "0x0" }
        let accounts: JSONValue = backend.signsForDevelopmentAccounts
            ? .array(DevAccounts.addresses.map { .string($0.hexString) }) : .array([])
        methods.register("eth_accounts") { _ in accounts }
        methods.register("eth_coinbase") { _ in try await backend.chain { .string($0.coinbase.hexString) } }
        methods.register("eth_blockNumber") { _ in try await backend.chain { .quantity($0.head.number) } }
        methods.register("eth_gasPrice") { _ in
            try await backend.chain { .quantity($0.nextBaseFee &+ U256(1_000_000_000)) }
        }
        methods.register("eth_maxPriorityFeePerGas") { _ in .quantity(U256(1_000_000_000)) }
        methods.register("eth_blobBaseFee") { _ in try await backend.chain { .quantity($0.nextBlobBaseFee) } }
        methods.register("eth_feeHistory") { call in
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
            return try await backend.chain { node in
                try EthParams.feeHistory(node, count: count, newest: newest, percentiles: wanted)
            }
        }
    }

    static func registerState<Backend: EthBackend>(_ backend: Backend, _ methods: inout RPCMethods) {
        methods.register("eth_getBalance") { call in
            let address = try call.params.address(0)
            let tag = try BlockTag.parse(call.params[1])
            return try await backend.answer(call, at: tag) {
                try await backend.chain { node in
                    let state = try node.state(tag)
                    return .quantity(try node.reading("reading the balance") { state.account(address)?.balance ?? .zero })
                }
            }
        }
        methods.register("eth_getTransactionCount") { call in
            let address = try call.params.address(0)
            let tag = try BlockTag.parse(call.params[1])
            return try await backend.answer(call, at: tag) {
                try await backend.chain { node in
                    let state = try node.state(tag)
                    let nonce = try node.reading("reading the nonce") { state.account(address)?.nonce ?? 0 }
                    return .quantity(tag == .pending ? node.pool.pendingNonce(of: address, stateNonce: nonce) : nonce)
                }
            }
        }
        methods.register("eth_getCode") { call in
            let address = try call.params.address(0)
            let tag = try BlockTag.parse(call.params[1])
            return try await backend.answer(call, at: tag) {
                try await backend.chain { node in
                    let state = try node.state(tag)
                    return .data(try node.reading("reading the code") {
                        state.account(address).flatMap { state.code(hash: $0.codeHash) } ?? []
                    })
                }
            }
        }
        methods.register("eth_getStorageAt") { call in
            let address = try call.params.address(0)
            let slot = try call.params.quantity(1, "slot")
            let tag = try BlockTag.parse(call.params[2])
            return try await backend.answer(call, at: tag) {
                try await backend.chain { node in
                    let state = try node.state(tag)
                    let value = try node.reading("reading the slot") { state.storage(address, slot) }
                    return .string(Hash(word: value).hexString)
                }
            }
        }
        methods.register("eth_getProof") { call in
            let address = try call.params.address(0)
            let slots = try RPCParams.array(try call.params.required(1, "storageKeys"), "storageKeys")
                .map { value throws(RPCError) in try RPCParams.quantity(value, "storageKeys") }
            let tag = try BlockTag.parse(call.params[2])
            return try await backend.answer(call, at: tag) {
                try await backend.chain { node in
                    let view = try node.view(tag)
                    let proof = try node.chain.state.proof(address: address, slots: slots, atBlock: view?.block.number)
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
        }
    }

    /// Accounts one `lockstep_getProofs` call may ask for, and storage keys over all of them.
    public static let maxProofAccounts = 1_000
    public static let maxProofKeys = 10_000

    /// `lockstep_getProofs`: the `eth_getProof` answers of many accounts at one block in one call, each trie node
    /// sent once (`nodes`) and the proofs given as indices into it: a builder forking the chain reads a thousand
    /// accounts and the witness of their block, whose proofs share the top of the trie.
    static func registerProofs<Backend: EthBackend>(_ backend: Backend, _ methods: inout RPCMethods) {
        methods.register("lockstep_getProofs") { call in
            try call.params.expectCount(1, 2)
            let entries = try RPCParams.array(try call.params.required(0, "requests"), "requests")
            guard entries.count <= maxProofAccounts else {
                throw RPCError.invalidParams("requests: \(entries.count) accounts, at most \(maxProofAccounts) per call")
            }
            var requests: [(address: Address, slots: [U256])] = []
            var keys = 0
            for (index, entry) in entries.enumerated() {
                let object = try RPCParams.object(entry, "requests[\(index)]")
                if let unknown = object.keys.first(where: { $0 != "address" && $0 != "storageKeys" }) {
                    throw RPCError.invalidParams("requests[\(index)]: unknown field \(unknown) (address and storageKeys)")
                }
                let address = try RPCParams.address(object["address"] ?? .null, "requests[\(index)].address")
                let slots = try RPCParams.array(object["storageKeys"] ?? .array([]), "requests[\(index)].storageKeys")
                    .map { value throws(RPCError) in try RPCParams.quantity(value, "requests[\(index)].storageKeys") }
                keys += slots.count
                guard keys <= maxProofKeys else {
                    throw RPCError.invalidParams("requests: more than \(maxProofKeys) storage keys in one call")
                }
                requests.append((address, slots))
            }
            let tag = try BlockTag.parse(call.params[1])
            let asked = requests
            return try await backend.answer(call, at: tag) {
                // The tries are taken on the chain's thread and the proofs made here, so that calls made at once
                // (a client's chunks) make theirs on every core; a forked chain makes them on its thread, since its
                // tries may need the upstream first.
                let tries = try await backend.chain { node in try node.chain.state.proofTries(atBlock: try node.view(tag)?.block.number) }
                if let tries { return try sharedProofs(asked) { address, slots throws(InvalidBlock) in try tries.proof(address: address, slots: slots) } }
                return try await backend.chain { node in
                    let number = try node.view(tag)?.block.number
                    return try sharedProofs(asked) { address, slots throws(InvalidBlock) in
                        try node.chain.state.proof(address: address, slots: slots, atBlock: number)
                    }
                }
            }
        }
    }

    /// Entries one `lockstep_getStateDiff` answer may hold (accounts plus storage slots): beyond, the reader is better
    /// off forking anew.
    public static let maxStateDiffEntries = 100_000

    /// `lockstep_getStateDiff(fromBlockHash, toBlockHash)`: what changed in the state between two recent blocks, for a
    /// reader that cached state at the first (a builder's fork carried from one L2 block to the slot-end block).
    static func registerStateDiff<Backend: EthBackend>(_ backend: Backend, _ methods: inout RPCMethods) {
        methods.register("lockstep_getStateDiff") { call in
            try call.params.expectCount(2, 2)
            let from = try RPCParams.hash(try call.params.required(0, "fromBlockHash"), "fromBlockHash")
            let to = try RPCParams.hash(try call.params.required(1, "toBlockHash"), "toBlockHash")
            let diff = try await backend.chain { node in node.chain.stateDiff(from: from, to: to) }
            guard let diff else {
                throw RPCError.server("no state diff from \(from) to \(to): both must be blocks of this chain, the second " +
                                      "descending from the first within the last \(WorldState.historyDepth) blocks, " +
                                      "executed since the node started and with no state edit (anvil_set*) in between")
            }
            let size = diff.entries.reduce(0) { $0 + 1 + $1.storage.count }
            guard size <= maxStateDiffEntries else {
                throw RPCError.server("the state diff from \(from) to \(to) has \(size) entries, over \(maxStateDiffEntries): fork at the later block instead")
            }
            return .object([
                "fromBlockHash": .string(from.hexString), "toBlockHash": .string(to.hexString),
                "accounts": .array(diff.entries.map { entry in
                    var object: [String: JSONValue] = [
                        "address": .string(entry.address.hexString), "exists": .bool(entry.info != nil),
                        "accountChanged": .bool(entry.accountChanged), "storageCleared": .bool(entry.storageCleared),
                        "storage": .object(Dictionary(uniqueKeysWithValues: entry.storage.map {
                            (Hash(word: $0.key).hexString, JSONValue.quantity($0.value))
                        })),
                    ]
                    if let info = entry.info {
                        object["balance"] = .quantity(info.balance)
                        object["nonce"] = .quantity(info.nonce)
                        object["codeHash"] = .string(info.codeHash.hexString)
                    }
                    return .object(object)
                }),
            ])
        }
    }

    /// The answer of `lockstep_getProofs` for `requests`, each proof made by `proof`: every node once in `nodes`,
    /// the proofs as indices into it.
    static func sharedProofs(_ requests: [(address: Address, slots: [U256])],
                             proof: (Address, [U256]) throws(InvalidBlock) -> (account: AccountRecord?, accountProof: [[UInt8]],
                                                                               storage: [(slot: U256, value: U256, proof: [[UInt8]])]))
        throws(InvalidBlock) -> JSONValue {
        var table: [ByteKey: Int] = [:]
        var nodes: [JSONValue] = []
        func indices(_ path: [[UInt8]]) -> JSONValue {
            .array(path.map { trieNode in
                if let index = table[ByteKey(trieNode)] { return .number(JSONNumber(index)) }
                table[ByteKey(trieNode)] = nodes.count
                nodes.append(.data(trieNode))
                return .number(JSONNumber(nodes.count - 1))
            })
        }
        var proofs: [JSONValue] = []
        proofs.reserveCapacity(requests.count)
        for request in requests {
            let made = try proof(request.address, request.slots)
            let record = made.account
            proofs.append(.object([
                "address": .string(request.address.hexString),
                "balance": .quantity(record?.balance ?? .zero), "nonce": .quantity(record?.nonce ?? 0),
                "codeHash": .string((record?.codeHash ?? AccountRecord.emptyCodeHash).hexString),
                "storageHash": .string((record?.storageRoot ?? MerklePatriciaTrie.emptyRootHash).hexString),
                "accountProof": indices(made.accountProof),
                "storageProof": .array(made.storage.map { entry in
                    .object(["key": .string(Hash(word: entry.slot).hexString), "value": .quantity(entry.value),
                             "proof": indices(entry.proof)])
                }),
            ]))
        }
        return .object(["nodes": .array(nodes), "proofs": .array(proofs)])
    }

    static func registerCalls<Backend: EthBackend>(_ backend: Backend, _ methods: inout RPCMethods) {
        methods.register("eth_call") { call in
            let arguments = try EthParams.callArguments(try call.params.required(0, "transaction"))
            let tag = try BlockTag.parse(call.params[1])
            return try await backend.answer(call, at: tag) {
                try await backend.chain { node in
                    let outcome = try node.simulator(on: try node.view(tag)).call(arguments)
                    guard outcome.success else { throw CallReverted(output: outcome.output) }
                    return .data(outcome.output)
                }
            }
        }
        methods.register("eth_estimateGas") { call in
            let arguments = try EthParams.callArguments(try call.params.required(0, "transaction"))
            let tag = try BlockTag.parse(call.params[1])
            return try await backend.answer(call, at: tag) {
                try await backend.chain { node in .quantity(try node.simulator(on: try node.view(tag)).estimateGas(arguments)) }
            }
        }
    }

    static func registerTransactions<Backend: EthBackend>(_ backend: Backend, _ methods: inout RPCMethods) {
        let chainId = backend.chainId
        methods.register("eth_sendRawTransaction") { call in
            let raw = try call.params.data(0, "transaction")
            // Decoding and the KZG checks of a blob sidecar need no chain state: keep them off the chain thread.
            let transaction = try await EthErrors.mapped { try await offChainThread { try TransactionIntake.decodeAndVerify(raw: raw) } }
            let hash = try await EthErrors.mapped { try await backend.accept(transaction, raw: raw) }
            return .string(hash.hexString)
        }
        methods.register("eth_sendTransaction") { call in
            // For the development accounts only, whose keys are public: fill in, sign, send.
            let object = try RPCParams.object(try call.params.required(0, "transaction"), "transaction")
            let from = try RPCParams.address(object["from"] ?? .null, "from")
            guard backend.signsForDevelopmentAccounts, let index = DevAccounts.addresses.firstIndex(of: from) else {
                throw RPCError.server("unknown account \(from.hexString): eth_sendTransaction signs for the ten development accounts only")
            }
            let arguments = try EthParams.callArguments(.object(object))
            let explicitNonce = try object["nonce"].map { value throws(RPCError) in try RPCParams.uint64(value, "nonce") }
            let transaction = try await backend.chain { node in
                let nonce = try explicitNonce ?? node.reading("reading the nonce") {
                    node.pool.pendingNonce(of: from, stateNonce: node.chain.state.account(from)?.nonce ?? 0)
                }
                let gas = try arguments.gas ?? node.simulator().estimateGas(arguments)
                let tip = arguments.maxPriorityFeePerGas ?? arguments.gasPrice ?? U256(1_000_000_000)
                let cap = arguments.maxFeePerGas ?? arguments.gasPrice ?? (node.nextBaseFee &* U256(2) &+ tip)
                return Transaction(
                    type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: tip < cap ? tip : cap,
                    maxFeePerGas: cap, gasLimit: gas, to: arguments.to, value: arguments.value, data: arguments.data,
                    accessList: arguments.accessList).signed(with: DevAccounts.privateKeys[index])
            }
            let hash = try await EthErrors.mapped { try await backend.accept(transaction, raw: transaction.networkEncoded) }
            return .string(hash.hexString)
        }
        methods.register("eth_getTransactionByHash") { call in
            let hash = try RPCParams.hash(try call.params.required(0, "hash"), "hash")
            return try await backend.answerOrForward(call) {
                try await backend.chain { node -> JSONValue in
                    if let found = node.chain.transaction(hash: hash), let block = node.chain.block(hash: found.location.blockHash) {
                        return EthJSON.transaction(in: block, index: found.location.index)
                    }
                    if let pooled = node.pool.entry(hash: hash) {
                        return EthJSON.transaction(pooled.transaction, sender: pooled.sender, block: nil, index: nil)
                    }
                    return .null
                }
            }
        }
        methods.register("eth_getTransactionReceipt") { call in
            let hash = try RPCParams.hash(try call.params.required(0, "hash"), "hash")
            return try await backend.answerOrForward(call) {
                try await backend.chain { node -> JSONValue in
                    guard let info = node.chain.receipt(transactionHash: hash) else { return .null }
                    let block = node.chain.block(number: info.blockNumber)
                    let fork = node.config.fork(at: block?.header.timestamp ?? 0)
                    let blobFee = node.config.blobParameters(for: fork)?
                        .blobBaseFee(excessBlobGas: block?.header.excessBlobGas ?? 0)
                    return EthJSON.receipt(info, blobBaseFee: blobFee)
                }
            }
        }
        for (name, byHash) in [("eth_getTransactionByBlockNumberAndIndex", false), ("eth_getTransactionByBlockHashAndIndex", true)] {
            methods.register(name) { call in
                let tag = byHash ? BlockTag.hash(try RPCParams.hash(try call.params.required(0, "blockHash"), "blockHash"))
                    : try BlockTag.parse(call.params[0])
                let index = try RPCParams.uint64(try call.params.required(1, "index"), "index")
                return try await backend.answer(call, at: tag) {
                    try await backend.chain { node in
                        guard let block = node.block(tag), index < UInt64(block.block.transactions.count) else { return .null }
                        return EthJSON.transaction(in: block, index: Int(index))
                    }
                }
            }
        }
    }

    static func registerBlocks<Backend: EthBackend>(_ backend: Backend, _ methods: inout RPCMethods) {
        /// A forked node's first block, which it knows by its header only, is answered by the upstream with its
        /// transactions.
        @Sendable func completed(_ found: (UInt64, JSONValue)?, full: Bool) async throws -> JSONValue {
            guard let (number, json) = found else { return .null }
            guard let fork = backend.fork, number == fork.blockNumber else { return json }
            return try await backend.forward("eth_getBlockByNumber", [.quantity(number), .bool(full)])
        }
        methods.register("eth_getBlockByNumber") { call in
            let tag = try BlockTag.parse(try call.params.required(0, "block"))
            let full = try call.params.bool(1, "fullTransactions", default: false)
            return try await backend.answer(call, at: tag) {
                let found = try await backend.chain { node in
                    node.block(tag).map { ($0.number, backend.blockJSON($0, fullTransactions: full)) }
                }
                return try await completed(found, full: full)
            }
        }
        methods.register("eth_getBlockByHash") { call in
            let hash = try RPCParams.hash(try call.params.required(0, "blockHash"), "blockHash")
            let full = try call.params.bool(1, "fullTransactions", default: false)
            return try await backend.answerOrForward(call) {
                let found = try await backend.chain { node in
                    node.chain.block(hash: hash).map { ($0.number, backend.blockJSON($0, fullTransactions: full)) }
                }
                return try await completed(found, full: full)
            }
        }
        methods.register("eth_getBlockTransactionCountByNumber") { call in
            let tag = try BlockTag.parse(call.params[0])
            return try await backend.answer(call, at: tag) {
                try await backend.chain { node in node.block(tag).map { .quantity(UInt64($0.block.transactions.count)) } ?? .null }
            }
        }
        methods.register("eth_getBlockTransactionCountByHash") { call in
            let hash = try RPCParams.hash(try call.params.required(0, "blockHash"), "blockHash")
            return try await backend.answerOrForward(call) {
                try await backend.chain { node -> JSONValue in
                    node.chain.block(hash: hash).map { .quantity(UInt64($0.block.transactions.count)) } ?? .null
                }
            }
        }
        methods.register("eth_getUncleCountByBlockNumber") { _ in "0x0" }
        methods.register("eth_getUncleCountByBlockHash") { _ in "0x0" }
    }

    static func registerLogs<Backend: EthBackend>(_ backend: Backend, _ methods: inout RPCMethods) {
        methods.register("eth_getLogs") { call in
            let object = try RPCParams.object(try call.params.required(0, "filter"), "filter")
            let (local, from) = try await backend.chain { node -> (JSONValue, UInt64) in
                let filter = try EthParams.logFilter(object, chain: node)
                if let to = filter.toBlock, to >= filter.fromBlock, to - filter.fromBlock > 10_000 {
                    throw NodeError("the block range is limited to 10,000 blocks")
                }
                return (.array(node.chain.logs(matching: filter).map { EthJSON.log($0) }), filter.fromBlock)
            }
            if let fork = backend.fork, object["blockHash"] == nil, from <= fork.blockNumber {
                // The blocks up to the fork block are the upstream's: ask it for their logs.
                var upstreamFilter = object
                upstreamFilter["toBlock"] = .quantity(fork.blockNumber)
                if let to = object["toBlock"], case .string(let text) = to, text.hasPrefix("0x"),
                   let number = UInt64(text.dropFirst(2), radix: 16), number < fork.blockNumber {
                    upstreamFilter["toBlock"] = to
                }
                let earlier = try await backend.forward("eth_getLogs", [.object(upstreamFilter)])
                return .array((earlier.arrayValue ?? []) + (local.arrayValue ?? []))
            }
            return local
        }
        methods.register("eth_subscribe") { call in
            guard let connection = call.connection else {
                throw RPCError(code: -32601, message: "notifications not supported: subscribe over a WebSocket")
            }
            guard case .string(let kind) = try call.params.required(0, "subscription type") else {
                throw RPCError.invalidParams("subscription type: expected a string")
            }
            let deliver: @Sendable (String, ChainBlock) -> Bool
            switch kind {
            case "newHeads":
                deliver = { id, block in
                    var heads = backend.blockJSON(block, fullTransactions: false)
                    if case .object(var object) = heads {
                        object["transactions"] = nil
                        heads = .object(object)
                    }
                    return connection.send(notification(id, heads))
                }
            case "logs":
                let object = try call.params[1].map { value throws(RPCError) in try RPCParams.object(value, "filter") } ?? [:]
                let filter = try await backend.chain { node in try EthParams.logFilter(object, chain: node) }
                deliver = { id, block in
                    var delivered = true
                    for (index, outcome) in block.outcomes.enumerated() {
                        for (offset, log) in block.receipts[index].logs.enumerated() where filter.matches(log) {
                            let entry = LogEntry.at(log, blockHash: block.hash, blockNumber: block.number,
                                                    transactionHash: outcome.hash, transactionIndex: index,
                                                    logIndex: outcome.firstLogIndex + offset)
                            delivered = connection.send(notification(id, EthJSON.log(entry))) && delivered
                        }
                    }
                    return delivered
                }
            default:
                guard backend.subscriptionTopics.contains(kind) else {
                    let known = (["newHeads", "logs"] + backend.subscriptionTopics.sorted()).joined(separator: ", ")
                    throw RPCError.invalidParams("unsupported subscription type \(kind): \(known) are supported")
                }
                let id = try await EthErrors.mapped {
                    try backend.subscriptions.add(SubscriptionHub.Subscriber(connection: connection.id, topic: kind) { id, value in
                        connection.send(notification(id, value))
                    })
                }
                return .string(id)
            }
            let id = try await EthErrors.mapped {
                try backend.subscriptions.add(SubscriptionHub.Subscriber(connection: connection.id, deliver: deliver))
            }
            return .string(id)
        }
        methods.register("eth_unsubscribe") { call in
            guard case .string(let id) = try call.params.required(0, "subscription id") else {
                throw RPCError.invalidParams("subscription id: expected a string")
            }
            return .bool(backend.subscriptions.remove(id))
        }
    }

    static func notification(_ id: String, _ result: JSONValue) -> JSONValue {
        .object(["jsonrpc": "2.0", "method": "eth_subscription",
                 "params": .object(["subscription": .string(id), "result": result])])
    }
}
