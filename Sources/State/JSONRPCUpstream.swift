import Dispatch
import EVM
import JSON
import JSONRPCClient
import Primitives
import Synchronization

/// Forked-state reads from an Ethereum node over JSON-RPC (libcurl), pinned at one block.
///
/// An account is one batched round trip (`eth_getBalance`, `eth_getTransactionCount`, `eth_getCode`); slots are
/// `eth_getStorageAt`, batched when several are asked at once. Every answer is type-checked: a node that answers
/// with the wrong shape is an error, never a zero.
public struct JSONRPCUpstream: UpstreamStateProvider {
    /// The client (thread-safe, connection-reusing).
    public let client: JSONRPCClient
    /// The pinned block, as a JSON-RPC block tag.
    public let block: String
    /// Per-read deadline.
    public let deadlineMilliseconds: Int

    /// Whether the upstream serves `lockstep_getProofs` (unknown until the first proofs are asked for; a node that
    /// answers "method not found" is asked with `eth_getProof` from then on).
    final class Features: Sendable {
        let sharedProofs = Atomic<Bool>(true)
    }
    let features = Features()

    /// Whether proofs are read with `lockstep_getProofs` (true until the upstream answers that it has no such method).
    public var usesSharedProofs: Bool { features.sharedProofs.load(ordering: .relaxed) }

    /// Reads state at block `blockNumber` through `client`.
    public init(client: JSONRPCClient, blockNumber: UInt64, deadlineMilliseconds: Int = 10_000) {
        self.client = client
        self.block = U256(blockNumber).hexString
        self.deadlineMilliseconds = deadlineMilliseconds
    }

    /// A malformed answer from the upstream.
    public struct MalformedAnswer: Error, CustomStringConvertible {
        public let description: String
    }

    /// A hex quantity from an answer, or `MalformedAnswer` naming `what` was expected.
    public static func word(_ value: JSONValue, _ what: @autoclosure () -> String) throws -> U256 {
        guard let text = value.stringValue, let word = try? U256(hex: text) else {
            throw MalformedAnswer(description: "\(what()): expected a hex quantity, got \(value)")
        }
        return word
    }

    /// Hex data from an answer, or `MalformedAnswer` naming `what` was expected.
    public static func bytes(_ value: JSONValue, _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard let text = value.stringValue, let bytes = try? Hex.decode(text) else {
            throw MalformedAnswer(description: "\(what()): expected hex data, got \(value)")
        }
        return bytes
    }

    public func account(_ address: Address) throws -> (info: AccountInfo?, code: [UInt8]) {
        let target = JSONValue.string(address.hexString)
        let results = try client.batch([
            JSONRPCRequest("eth_getBalance", [target, .string(block)]),
            JSONRPCRequest("eth_getTransactionCount", [target, .string(block)]),
            JSONRPCRequest("eth_getCode", [target, .string(block)]),
        ], deadlineMilliseconds: deadlineMilliseconds)
        guard results.count == 3 else { throw MalformedAnswer(description: "account \(address): \(results.count) answers to 3 calls") }
        let balance = try Self.word(try results[0].get(), "eth_getBalance \(address)")
        let nonceWord = try Self.word(try results[1].get(), "eth_getTransactionCount \(address)")
        let code = try Self.bytes(try results[2].get(), "eth_getCode \(address)")
        guard let nonce = nonceWord.uint64 else {
            throw MalformedAnswer(description: "eth_getTransactionCount \(address): nonce \(nonceWord) is above 2^64")
        }
        // JSON-RPC cannot tell an absent account from an empty one; EIP-161 treats them alike for execution.
        if nonce == 0 && balance.isZero && code.isEmpty { return (nil, []) }
        return (AccountInfo(nonce: nonce, balance: balance, codeHash: Keccak256.hash(code)), code)
    }

    /// `requests` in batches of `size` calls, up to `inFlight` batches at once (a builder's prefetch sends
    /// thousands, and the server answers one batch while the next is on its way); the answers in order.
    func batched(_ requests: [JSONRPCRequest], size: Int, inFlight: Int = 4) throws -> [Result<JSONValue, JSONRPCClientError>] {
        let chunks = stride(from: 0, to: requests.count, by: size).map { Array(requests[$0..<min($0 + size, requests.count)]) }
        guard chunks.count > 1 else {
            return try chunks.first.map { try self.client.batch($0, deadlineMilliseconds: deadlineMilliseconds) } ?? []
        }
        let (client, deadline) = (self.client, deadlineMilliseconds)
        let answers = Mutex<[Result<[Result<JSONValue, JSONRPCClientError>], any Error>?]>(Array(repeating: nil, count: chunks.count))
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(inFlight, chunks.count)) { _ in
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < chunks.count else { return }
                let result = Result { () throws -> [Result<JSONValue, JSONRPCClientError>] in
                    try client.batch(chunks[index], deadlineMilliseconds: deadline)
                }
                answers.withLock { $0[index] = result }
            }
        }
        var results: [Result<JSONValue, JSONRPCClientError>] = []
        results.reserveCapacity(requests.count)
        for (index, answer) in answers.withLock({ $0 }).enumerated() {
            guard let answer else { throw MalformedAnswer(description: "batch \(index) of \(chunks.count) was not sent") }
            let chunk = try answer.get()
            guard chunk.count == chunks[index].count else {
                throw MalformedAnswer(description: "\(chunk.count) answers to \(chunks[index].count) calls")
            }
            results += chunk
        }
        return results
    }

    /// Accounts in batches of 100 (300 calls: under a server's usual batch limit), several batches in flight.
    public func accounts(_ addresses: [Address]) throws -> [(info: AccountInfo?, code: [UInt8])] {
        var answers: [(info: AccountInfo?, code: [UInt8])] = []
        answers.reserveCapacity(addresses.count)
        let requests = addresses.flatMap { address -> [JSONRPCRequest] in
            let target = JSONValue.string(address.hexString)
            return [JSONRPCRequest("eth_getBalance", [target, .string(block)]),
                    JSONRPCRequest("eth_getTransactionCount", [target, .string(block)]),
                    JSONRPCRequest("eth_getCode", [target, .string(block)])]
        }
        let results = try batched(requests, size: 300)
        guard results.count == requests.count else {
            throw MalformedAnswer(description: "accounts: \(results.count) answers to \(requests.count) calls")
        }
        for (offset, address) in addresses.enumerated() {
            let balance = try Self.word(try results[3 * offset].get(), "eth_getBalance \(address)")
            let nonceWord = try Self.word(try results[3 * offset + 1].get(), "eth_getTransactionCount \(address)")
            let code = try Self.bytes(try results[3 * offset + 2].get(), "eth_getCode \(address)")
            guard let nonce = nonceWord.uint64 else {
                throw MalformedAnswer(description: "eth_getTransactionCount \(address): nonce \(nonceWord) is above 2^64")
            }
            answers.append(nonce == 0 && balance.isZero && code.isEmpty
                           ? (nil, []) : (AccountInfo(nonce: nonce, balance: balance,
                                                      codeHash: code.isEmpty ? AccountInfo.emptyCodeHash : Keccak256.hash(code)), code))
        }
        return answers
    }

    public func storage(_ address: Address, _ key: U256) throws -> U256 {
        let answer = try client.call("eth_getStorageAt", [.string(address.hexString), .string(key.hexString), .string(block)],
                                     deadlineMilliseconds: deadlineMilliseconds)
        return try Self.word(answer, "eth_getStorageAt \(address) \(key.hexString)")
    }

    public func storage(_ address: Address, _ keys: [U256]) throws -> [U256] {
        let requests = keys.map {
            JSONRPCRequest("eth_getStorageAt", [.string(address.hexString), .string($0.hexString), .string(block)])
        }
        let results = try client.batch(requests, deadlineMilliseconds: deadlineMilliseconds)
        guard results.count == keys.count else {
            throw MalformedAnswer(description: "storage of \(address): \(results.count) answers to \(keys.count) calls")
        }
        return try zip(keys, results).map { key, result in
            try Self.word(try result.get(), "eth_getStorageAt \(address) \(key.hexString)")
        }
    }

    public func hasStorage(_ address: Address) throws -> Bool {
        let answer = try client.call("eth_getProof", [.string(address.hexString), .array([]), .string(block)],
                                     deadlineMilliseconds: deadlineMilliseconds)
        guard let root = answer["storageHash"]?.stringValue, let hash = try? Hash(hex: root) else {
            throw MalformedAnswer(description: "eth_getProof \(address): no storageHash in \(answer)")
        }
        return hash != MerklePatriciaTrie.emptyRootHash
    }

    public func blockHash(number: UInt64) throws -> Hash? {
        let answer = try client.call("eth_getBlockByNumber", [.string(U256(number).hexString), .bool(false)],
                                     deadlineMilliseconds: deadlineMilliseconds)
        if answer == .null { return nil }
        guard let text = answer["hash"]?.stringValue, let hash = try? Hash(hex: text) else {
            throw MalformedAnswer(description: "eth_getBlockByNumber \(number): no hash in \(answer)")
        }
        return hash
    }

    public func proof(_ address: Address, slots: [U256]) throws -> UpstreamProof {
        let answer = try client.call("eth_getProof", [.string(address.hexString), .array(slots.map { .string($0.hexString) }),
                                                      .string(block)], deadlineMilliseconds: deadlineMilliseconds)
        return try Self.proof(answer, address)
    }

    /// Many proofs (same order as `requests`): with `lockstep_getProofs` where the upstream serves it (up to 250
    /// accounts a call, each trie node sent once), otherwise `eth_getProof` in batches of 50; several in flight.
    public func proofs(_ requests: [(address: Address, slots: [U256])]) throws -> [UpstreamProof] {
        if features.sharedProofs.load(ordering: .relaxed) {
            do {
                return try sharedProofs(requests)
            } catch let error as JSONRPCClientError where error.code == .rpcError && error.rpcCode == -32601 {
                features.sharedProofs.store(false, ordering: .relaxed)
            }
        }
        let calls = requests.map { request in
            JSONRPCRequest("eth_getProof", [.string(request.address.hexString),
                                            .array(request.slots.map { .string($0.hexString) }), .string(block)])
        }
        let results = try batched(calls, size: 50)
        guard results.count == calls.count else {
            throw MalformedAnswer(description: "eth_getProof: \(results.count) answers to \(calls.count) calls")
        }
        return try zip(requests, results).map { request, result in try Self.proof(try result.get(), request.address) }
    }

    /// `requests` with `lockstep_getProofs`, in calls of at most 250 accounts and 5,000 storage keys (several at once:
    /// a Lockstep node makes each call's proofs on its own thread).
    func sharedProofs(_ requests: [(address: Address, slots: [U256])]) throws -> [UpstreamProof] {
        var chunks: [Range<Int>] = []
        var (start, keys) = (0, 0)
        for (index, request) in requests.enumerated() {
            if index > start && (index - start == 500 || keys + request.slots.count > 5_000) {
                chunks.append(start..<index)
                (start, keys) = (index, 0)
            }
            keys += request.slots.count
        }
        if start < requests.count { chunks.append(start..<requests.count) }
        let calls = chunks.map { chunk in
            JSONRPCRequest("lockstep_getProofs", [.array(requests[chunk].map { request in
                .object(["address": .string(request.address.hexString),
                         "storageKeys": .array(request.slots.map { .string($0.hexString) })])
            }), .string(block)])
        }
        let answers = try batched(calls, size: 1)
        var proofs: [UpstreamProof] = []
        proofs.reserveCapacity(requests.count)
        for (chunk, answer) in zip(chunks, answers) {
            let value = try answer.get()
            guard let nodeList = value["nodes"]?.arrayValue, let list = value["proofs"]?.arrayValue, list.count == chunk.count else {
                throw MalformedAnswer(description: "lockstep_getProofs: not {nodes, proofs} with \(chunk.count) proofs")
            }
            let nodes = try nodeList.map { try Self.bytes($0, "lockstep_getProofs node") }
            func path(_ indices: JSONValue?, _ what: @autoclosure () -> String) throws -> [[UInt8]] {
                guard let indices = indices?.arrayValue else { throw MalformedAnswer(description: "\(what()): no node indices") }
                return try indices.map { index in
                    guard let offset = index.numberValue?.intValue, nodes.indices.contains(offset) else {
                        throw MalformedAnswer(description: "\(what()): node index \(index) outside the \(nodes.count) nodes")
                    }
                    return nodes[offset]
                }
            }
            for (offset, entry) in zip(chunk, list) {
                let address = requests[offset].address
                var what: String { "lockstep_getProofs \(address)" }
                guard entry["address"]?.stringValue.flatMap({ try? Address(hex: $0) }) == address else {
                    throw MalformedAnswer(description: "\(what): the answer is for \(entry["address"] ?? .null)")
                }
                var storageProof: [[UInt8]] = []
                for slot in entry["storageProof"]?.arrayValue ?? [] { storageProof += try path(slot["proof"], "\(what) storage proof") }
                let (storageHash, fields) = try Self.accountFields(entry, address)
                var proof = UpstreamProof(storageHash: storageHash,
                                          accountProof: try path(entry["accountProof"], "\(what) account proof"),
                                          storageProof: storageProof)
                proof.accountFields = fields
                proofs.append(proof)
            }
        }
        return proofs
    }

    static func proof(_ answer: JSONValue, _ address: Address) throws -> UpstreamProof {
        var what: String { "eth_getProof \(address)" }  // only for a message: Address's description hashes
        let (storageHash, fields) = try accountFields(answer, address)
        guard let accountProof = answer["accountProof"]?.arrayValue else {
            throw MalformedAnswer(description: "\(what): no accountProof in the answer")
        }
        var storageProof: [[UInt8]] = []
        for entry in answer["storageProof"]?.arrayValue ?? [] {
            for node in entry["proof"]?.arrayValue ?? [] { storageProof.append(try Self.bytes(node, "\(what) storage proof")) }
        }
        var proof = UpstreamProof(storageHash: storageHash,
                                  accountProof: try accountProof.map { try Self.bytes($0, "\(what) account proof") },
                                  storageProof: storageProof)
        proof.accountFields = fields
        return proof
    }

    /// The storage root of a proof's answer, and its nonce, balance and code hash when it has all three (every
    /// node's answer does; a proof is usable without them).
    static func accountFields(_ answer: JSONValue, _ address: Address) throws -> (Hash, AccountInfo?) {
        var what: String { "proof of \(address)" }
        guard let root = answer["storageHash"]?.stringValue, let storageHash = try? Hash(hex: root) else {
            throw MalformedAnswer(description: "\(what): no storageHash in the answer")
        }
        guard let balance = answer["balance"], let nonce = answer["nonce"], let codeHash = answer["codeHash"]?.stringValue else {
            return (storageHash, nil)
        }
        let nonceWord = try Self.word(nonce, "\(what) nonce")
        guard let nonceValue = nonceWord.uint64, let hash = try? Hash(hex: codeHash) else {
            throw MalformedAnswer(description: "\(what): nonce \(nonceWord) or codeHash \(codeHash) is malformed")
        }
        return (storageHash, AccountInfo(nonce: nonceValue, balance: try Self.word(balance, "\(what) balance"), codeHash: hash))
    }
}

/// An `eth_getProof` answer, reduced to what a partial trie needs.
public struct UpstreamProof: Sendable {
    /// The account's storage root (the empty root for an absent account).
    public var storageHash: Hash
    /// The nodes on the account's path in the state trie.
    public var accountProof: [[UInt8]]
    /// The nodes on the slots' paths in the storage trie, all together.
    public var storageProof: [[UInt8]]
    /// The account's nonce, balance and code hash as the answer gave them; nil when it gave none. (All zero and no
    /// code is how an answer shows an absent account too.)
    public var accountFields: AccountInfo?

    public init(storageHash: Hash, accountProof: [[UInt8]], storageProof: [[UInt8]]) {
        self.storageHash = storageHash
        self.accountProof = accountProof
        self.storageProof = storageProof
    }
}

/// Where the trie nodes of forked state come from: `eth_getProof` at the pinned block.
public protocol UpstreamProofProvider: Sendable {
    func proof(_ address: Address, slots: [U256]) throws -> UpstreamProof
    /// Several proofs in as few round trips as the upstream allows (same order as `requests`).
    func proofs(_ requests: [(address: Address, slots: [U256])]) throws -> [UpstreamProof]
}

extension UpstreamProofProvider {
    public func proofs(_ requests: [(address: Address, slots: [U256])]) throws -> [UpstreamProof] {
        try requests.map { try proof($0.address, slots: $0.slots) }
    }
}

extension JSONRPCUpstream: UpstreamProofProvider {}
