import Chain
import EVM
import JSON
import Primitives
import RPCServer

/// A Flashbots-style bundle: transactions included all together, in order, at the top of one block, or not at all.
public struct FlashbotsBundle: Sendable, Hashable {
    public var transactions: [Transaction]
    public var senders: [Address]
    public var blockNumber: UInt64
    public var minTimestamp: UInt64?
    public var maxTimestamp: UInt64?
    /// Transactions allowed to revert without sinking the bundle.
    public var revertingTxHashes: Set<Hash>

    public init(transactions: [Transaction], senders: [Address], blockNumber: UInt64, minTimestamp: UInt64? = nil,
                maxTimestamp: UInt64? = nil, revertingTxHashes: Set<Hash> = []) {
        self.transactions = transactions
        self.senders = senders
        self.blockNumber = blockNumber
        self.minTimestamp = minTimestamp
        self.maxTimestamp = maxTimestamp
        self.revertingTxHashes = revertingTxHashes
    }

    public var hashes: [Hash] { transactions.map(\.hash) }
    /// keccak256 of the concatenated transaction hashes (the Flashbots convention).
    public var bundleHash: Hash { Keccak256.hash(transactions.flatMap(\.hash.bytes)) }
    /// The bundle as what a block builder forces in.
    public var group: TransactionGroup {
        TransactionGroup(transactions: transactions, senders: senders, revertible: revertingTxHashes)
    }
    /// Whether a block with `timestamp` is inside the bundle's window (a maximum of 0 means none).
    public func admits(timestamp: UInt64) -> Bool {
        if let minimum = minTimestamp, timestamp < minimum { return false }
        if let maximum = maxTimestamp, maximum != 0, timestamp > maximum { return false }
        return true
    }

    /// The bundle as stored in a node's pending log (JSON, transactions in their network form).
    public var payload: [UInt8] {
        var object: [String: JSONValue] = [
            "txs": .array(transactions.map { .data($0.networkEncoded) }),
            "blockNumber": .quantity(blockNumber),
            "revertingTxHashes": .array(revertingTxHashes.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
                .map { .string($0.hexString) }),
        ]
        if let minimum = minTimestamp { object["minTimestamp"] = .quantity(minimum) }
        if let maximum = maxTimestamp { object["maxTimestamp"] = .quantity(maximum) }
        return Array(JSONValue.object(object).serializedString().utf8)
    }

    /// A bundle from its stored form (the senders are recovered again).
    public init(payload: [UInt8]) throws {
        let json = try JSONValue(parsing: payload)
        let transactions = try (json["txs"]?.arrayValue ?? []).map { try Transaction.decode(try $0.decodeData()) }
        self.init(
            transactions: transactions, senders: try transactions.map { try $0.recoverSender() },
            blockNumber: try json["blockNumber"]?.decodeUInt64Quantity() ?? 0,
            minTimestamp: try json["minTimestamp"]?.decodeUInt64Quantity(),
            maxTimestamp: try json["maxTimestamp"]?.decodeUInt64Quantity(),
            revertingTxHashes: Set(try (json["revertingTxHashes"]?.arrayValue ?? []).map { try Hash(hex: $0.stringValue ?? "") }))
    }
}

/// The Flashbots wire conventions: the `X-Flashbots-Signature` header and the `eth_sendBundle`/`eth_callBundle`
/// bundle object.
public enum Flashbots {
    /// Checks `X-Flashbots-Signature: address:signature` when present: an EIP-191 signature of the hex keccak of
    /// the body. Returns the searcher's address (nil when the header is absent).
    public static func signer(_ call: RPCCall) throws(RPCError) -> Address? {
        guard let header = call.headers["x-flashbots-signature"] else { return nil }
        let parts = header.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw RPCError(code: -32600, message: "X-Flashbots-Signature must be <address>:<signature>")
        }
        let claimed = try RPCParams.address(.string(parts[0]), "X-Flashbots-Signature address")
        // The Flashbots clients send the signature with or without 0x.
        let signatureText = parts[1].hasPrefix("0x") ? parts[1] : "0x" + parts[1]
        let signatureBytes = try RPCParams.data(.string(signatureText), "X-Flashbots-Signature signature")
        guard signatureBytes.count == 65 else {
            throw RPCError(code: -32600, message: "X-Flashbots-Signature: the signature must be 65 bytes")
        }
        let v = signatureBytes[64]
        let signature = Signature(r: U256(bigEndianBytes: signatureBytes[0..<32]) ?? .zero,
                                  s: U256(bigEndianBytes: signatureBytes[32..<64]) ?? .zero,
                                  yParity: v >= 27 ? v - 27 : v)
        // The signed text is the body's keccak in hex, with 0x (the relay's convention); the Python client on
        // hexbytes 2 signs it without the prefix, so both are accepted.
        let hexHash = Keccak256.hash(call.body).hexString
        let signers = [hexHash, String(hexHash.dropFirst(2))].compactMap { text -> Address? in
            let message = Array(text.utf8)
            let digest = Keccak256.hash(Array("\u{19}Ethereum Signed Message:\n\(message.count)".utf8) + message)
            return try? Secp256k1.recoverAddress(hash: digest, signature: signature)
        }
        guard signers.contains(claimed) else {
            throw RPCError(code: -32600, message: "X-Flashbots-Signature does not match the request body and address")
        }
        return claimed
    }

    /// A bundle from `eth_sendBundle`/`eth_callBundle` parameters; block numbers may be hex or decimal.
    public static func bundle(_ object: [String: JSONValue], requireBlock: Bool) throws(RPCError) -> FlashbotsBundle {
        let raws = try RPCParams.array(object["txs"] ?? .null, "txs")
        guard raws.count <= 100 else { throw .invalidParams("txs: at most 100 transactions per bundle") }
        var transactions: [Transaction] = []
        for (index, raw) in raws.enumerated() {
            // Accepted with or without 0x: the Python Flashbots client on hexbytes 2 drops the prefix.
            var value = raw
            if case .string(let text) = raw, !text.hasPrefix("0x") { value = .string("0x" + text) }
            let bytes = try RPCParams.data(value, "txs[\(index)]")
            do {
                let transaction = try Transaction.decode(bytes)
                // A blob transaction sent with its sidecar gets the pool's KZG checks.
                if transaction.sidecar != nil { try TransactionIntake.verifySidecar(of: transaction) }
                transactions.append(transaction)
            } catch {
                throw .invalidParams("txs[\(index)]: \(error)")
            }
        }
        // The senders on every core (a builder's merged bundle carries dozens of transactions).
        var senders: [Address] = []
        for (index, sender) in Transaction.recoverSenders(transactions).enumerated() {
            guard let sender else {
                do {
                    _ = try transactions[index].recoverSender()
                } catch {
                    throw .invalidParams("txs[\(index)]: \(error)")
                }
                throw .invalidParams("txs[\(index)]: the signature does not recover")
            }
            senders.append(sender)
        }
        let blockNumber: UInt64
        if let value = object["blockNumber"], value != .null {
            blockNumber = try RPCParams.uint64(value, "blockNumber")
        } else if requireBlock {
            throw .invalidParams("blockNumber is required")
        } else {
            blockNumber = 0
        }
        let reverting = try (object["revertingTxHashes"]?.arrayValue ?? []).map { value throws(RPCError) in
            try RPCParams.hash(value, "revertingTxHashes")
        }
        func optional(_ key: String) throws(RPCError) -> UInt64? {
            guard let value = object[key], value != .null else { return nil }
            return try RPCParams.uint64(value, key)
        }
        return FlashbotsBundle(transactions: transactions, senders: senders, blockNumber: blockNumber,
                            minTimestamp: try optional("minTimestamp"), maxTimestamp: try optional("maxTimestamp"),
                            revertingTxHashes: Set(reverting))
    }
}
