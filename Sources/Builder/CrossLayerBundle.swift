import Chain
import EVM
import Foundation
import JSON
import Primitives
import RPCServer
import Rollup

/// What one searcher may send (`Specs/builder-api.md`): every bound has a clear refusal.
public struct BundleLimits: Sendable {
    /// Transactions across the three legs.
    public var maxTransactions = 32
    /// Bytes of one raw transaction (geth's pool limit).
    public var maxTransactionBytes = 131_072
    /// Bytes of all raw transactions of a bundle.
    public var maxBundleBytes = 262_144
    /// Bundles a signing searcher may have waiting at once.
    public var maxPerSearcher = 64
    /// Unsigned bundles waiting at once, all senders together.
    public var maxAnonymous = 1_024

    public init() {}
}

/// A cross-layer bundle (`Specs/protocol.md` §9.1): `l1Before` on L1, then `l2` in a based block, then `l1After`,
/// for L1 block `blockNumber`, all or nothing except the hashes in `revertingTxHashes`.
public struct CrossLayerBundle: Sendable {
    public var l1Before: [Transaction]
    public var l2: [Transaction]
    public var l1After: [Transaction]
    /// The target L1 block `N`.
    public var blockNumber: UInt64
    /// Bounds of L1 block `N`'s timestamp; 0 = unbounded.
    public var minTimestamp: UInt64
    public var maxTimestamp: UInt64
    public var revertingTxHashes: Set<Hash>
    public var replacementUuid: String?
    public var replacementNonce: UInt64?
    /// Each transaction's sender, recovered once when the bundle was read (by transaction hash).
    public var senders: [Hash: Address] = [:]
    /// The bytes of the `l2` transactions as they were sent (their network encoding), when read from a request.
    var l2ByteCount: Int?
    /// The bytes of the `l2` transactions in their network encoding (what a based block's data carries).
    public var l2Bytes: Int { l2ByteCount ?? l2.reduce(0) { $0 + $1.networkEncoded.count } }
    /// §9.2.
    public var hash: Hash {
        CrossLayerBundleHash.of(l1Before: l1Before.map(\.hash), l2: l2.map(\.hash), l1After: l1After.map(\.hash))
    }
    public var transactionCount: Int { l1Before.count + l2.count + l1After.count }
    /// An empty bundle with a `replacementUuid` cancels.
    public var isEmpty: Bool { transactionCount == 0 }

    static let fields: Set<String> = ["l1Before", "l2", "l1After", "blockNumber", "minTimestamp", "maxTimestamp",
                                      "revertingTxHashes", "replacementUuid", "replacementNonce"]

    /// Reads a bundle object strictly: every transaction decoded, its signature recovered and its chain id checked
    /// (`l1Before`/`l1After` for the L1, `l2` for the L2), the limits applied, and every field's type and meaning
    /// checked. Integers may be hex or decimal.
    /// - Throws: `RPCError` -32602 saying which field is wrong and why.
    public static func parse(_ object: [String: JSONValue], l1ChainId: UInt64, l2ChainId: UInt64,
                             limits: BundleLimits = BundleLimits()) throws(RPCError) -> CrossLayerBundle {
        for key in object.keys where !fields.contains(key) {
            throw .invalidParams("unknown bundle field '\(key)' (the fields are \(fields.sorted().joined(separator: ", ")))")
        }
        var total = 0
        var bytes = 0
        var seen: Set<Hash> = []
        var senders: [Hash: Address] = [:]
        func leg(_ name: String, chainId: UInt64) throws(RPCError) -> [Transaction] {
            guard let value = object[name], value != .null else { return [] }
            let raws = try RPCParams.array(value, name)
            var transactions: [Transaction] = []
            for (index, raw) in raws.enumerated() {
                let field = "\(name)[\(index)]"
                let data = try RPCParams.data(raw, field)
                total += 1
                bytes += data.count
                guard total <= limits.maxTransactions else {
                    throw .invalidParams("a bundle holds at most \(limits.maxTransactions) transactions")
                }
                guard data.count <= limits.maxTransactionBytes else {
                    throw .invalidParams("\(field): \(data.count) bytes, above the \(limits.maxTransactionBytes)-byte limit")
                }
                guard bytes <= limits.maxBundleBytes else {
                    throw .invalidParams("the bundle's transactions exceed \(limits.maxBundleBytes) bytes")
                }
                let transaction: Transaction
                do {
                    transaction = try Transaction.decode(data)
                    senders[transaction.hash] = try transaction.recoverSender()
                } catch {
                    throw .invalidParams("\(field): \(error)")
                }
                guard let id = transaction.chainId else {
                    throw .invalidParams("\(field): a transaction without a chain id (pre-EIP-155) could be replayed on either layer")
                }
                guard id == chainId else {
                    throw .invalidParams("\(field): chain id \(id), but \(name) runs on chain \(chainId)")
                }
                if transaction.type == .blob {
                    guard name != "l2" else { throw .invalidParams("\(field): blob transactions are not valid on the L2") }
                    do {
                        try TransactionIntake.verifySidecar(of: transaction)
                    } catch {
                        throw .invalidParams("\(field): \(error)")
                    }
                }
                guard seen.insert(transaction.hash).inserted else {
                    throw .invalidParams("\(field): transaction \(transaction.hash) appears twice in the bundle")
                }
                transactions.append(transaction)
            }
            return transactions
        }
        let l1Before = try leg("l1Before", chainId: l1ChainId)
        let before = bytes
        let l2 = try leg("l2", chainId: l2ChainId)
        let l2Bytes = bytes - before
        let l1After = try leg("l1After", chainId: l1ChainId)

        func integer(_ key: String) throws(RPCError) -> UInt64? {
            guard let value = object[key], value != .null else { return nil }
            return try RPCParams.uint64(value, key)
        }
        let uuid: String?
        switch object["replacementUuid"] {
        case nil, .null?: uuid = nil
        case .string(let text)?:
            guard UUID(uuidString: text) != nil else { throw .invalidParams("replacementUuid: '\(text)' is not a UUID") }
            uuid = text.lowercased()
        default: throw .invalidParams("replacementUuid: expected a UUID string")
        }
        let empty = l1Before.isEmpty && l2.isEmpty && l1After.isEmpty
        if empty && uuid == nil {
            throw .invalidParams("an empty bundle: give transactions, or a replacementUuid to cancel")
        }
        guard let blockNumber = try integer("blockNumber") else {
            throw .invalidParams("blockNumber (the target L1 block) is required")
        }
        let minTimestamp = try integer("minTimestamp") ?? 0
        let maxTimestamp = try integer("maxTimestamp") ?? 0
        if minTimestamp > 0 && maxTimestamp > 0 && minTimestamp > maxTimestamp {
            throw .invalidParams("minTimestamp \(minTimestamp) is after maxTimestamp \(maxTimestamp)")
        }
        var reverting: Set<Hash> = []
        for (index, value) in try RPCParams.array(object["revertingTxHashes"] ?? .array([]), "revertingTxHashes").enumerated() {
            let hash = try RPCParams.hash(value, "revertingTxHashes[\(index)]")
            guard seen.contains(hash) else {
                throw .invalidParams("revertingTxHashes[\(index)]: \(hash) is not a transaction of the bundle")
            }
            reverting.insert(hash)
        }
        var bundle = CrossLayerBundle(l1Before: l1Before, l2: l2, l1After: l1After, blockNumber: blockNumber,
                                      minTimestamp: minTimestamp, maxTimestamp: maxTimestamp, revertingTxHashes: reverting,
                                      replacementUuid: uuid, replacementNonce: try integer("replacementNonce"), senders: senders)
        bundle.l2ByteCount = l2Bytes
        return bundle
    }
}
