import Foundation
import JSON
import Primitives
import RPCServer
import Store
import Synchronization

/// Where a bundle stands (`Specs/builder-api.md`).
public enum BundleStatus: String, Sendable, CaseIterable {
    case received, simulated, rejected, selected, submitted, landed, notLanded, cancelled, replaced

    /// Still waiting for a block (counts against the searcher's limit).
    public var isActive: Bool { self == .received || self == .simulated || self == .selected }
}

/// One bundle as the builder keeps it: the parameters it arrived with (what is replayed on restart), who sent it,
/// and its status.
public struct BundleRecord: Sendable {
    public var hash: Hash
    /// The recovered `X-Flashbots-Signature` address; nil for an unsigned bundle.
    public var searcher: Address?
    /// The bundle object as received.
    public var params: JSONValue
    public var targetBlock: UInt64
    public var replacementUuid: String?
    public var replacementNonce: UInt64?
    public var status: BundleStatus
    public var reason: String?
    /// The value to the builder in wei, once simulated.
    public var value: U256?
    /// Milliseconds since the epoch.
    public var receivedAt: Int64
    public var updatedAt: Int64

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "bundleHash": .string(hash.hexString), "params": params, "blockNumber": .quantity(targetBlock),
            "status": .string(status.rawValue), "receivedAt": .number(JSONNumber(Int(receivedAt))),
            "updatedAt": .number(JSONNumber(Int(updatedAt))),
        ]
        if let searcher { object["searcher"] = .string(searcher.hexString) }
        if let replacementUuid { object["replacementUuid"] = .string(replacementUuid) }
        if let replacementNonce { object["replacementNonce"] = .quantity(replacementNonce) }
        if let reason { object["reason"] = .string(reason) }
        if let value { object["value"] = .quantity(value) }
        return .object(object)
    }

    init(hash: Hash, searcher: Address?, params: JSONValue, targetBlock: UInt64, replacementUuid: String?,
         replacementNonce: UInt64?, status: BundleStatus, receivedAt: Int64) {
        self.hash = hash
        self.searcher = searcher
        self.params = params
        self.targetBlock = targetBlock
        self.replacementUuid = replacementUuid
        self.replacementNonce = replacementNonce
        self.status = status
        self.receivedAt = receivedAt
        updatedAt = receivedAt
    }

    init(json: JSONValue) throws {
        hash = try Hash(hex: json["bundleHash"]?.stringValue ?? "")
        searcher = try json["searcher"].map { try Address(hex: $0.stringValue ?? "") }
        params = json["params"] ?? .null
        targetBlock = try json["blockNumber"]?.decodeUInt64Quantity() ?? 0
        replacementUuid = json["replacementUuid"]?.stringValue
        replacementNonce = try json["replacementNonce"]?.decodeUInt64Quantity()
        guard let status = BundleStatus(rawValue: json["status"]?.stringValue ?? "") else {
            throw BuilderError("a stored bundle has an unknown status: \(json["status"] ?? .null)")
        }
        self.status = status
        reason = json["reason"]?.stringValue
        value = try json["value"]?.decodeQuantity()
        receivedAt = Int64(json["receivedAt"]?.intValue ?? 0)
        updatedAt = Int64(json["updatedAt"]?.intValue ?? 0)
    }

    /// What `lockstep_getBundleStatus` answers.
    public var statusJSON: JSONValue {
        guard case .object(var object) = json else { return .null }
        object["params"] = nil
        return .object(object)
    }
}

/// The SQLite log, which the book uses only under its lock.
struct UncheckedLog: @unchecked Sendable {
    let log: EventLog?
}

/// A builder refusal that is not about the request's shape.
public struct BuilderError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The bundles the builder holds, durable: each is written (SQLite, synchronous) before `lockstep_sendBundle`
/// answers, every status change likewise, and a restart reloads them all. Thread-safe.
public final class BundleBook: Sendable {
    struct State {
        var records: [Hash: BundleRecord] = [:]
        /// The active bundle of each (searcher, replacementUuid).
        var replacements: [String: Hash] = [:]
    }

    private let state = Mutex(State())
    /// Used only under `state`'s lock.
    private let store: UncheckedLog
    public let limits: BundleLimits

    /// Opens the book on `log` (nil: in memory), reloading what it holds.
    public init(log: EventLog?, limits: BundleLimits = BundleLimits()) throws {
        self.limits = limits
        var loaded = State()
        for item in try log?.pending() ?? [] where item.kind == "bundle" {
            let record = try BundleRecord(json: try JSONValue(parsing: item.payload))
            loaded.records[record.hash] = record
            if record.status.isActive, let key = Self.replacementKey(record) { loaded.replacements[key] = record.hash }
        }
        state.withLock { $0 = loaded }
        store = UncheckedLog(log: log)
    }

    static func replacementKey(_ record: BundleRecord) -> String? {
        guard let uuid = record.replacementUuid, let searcher = record.searcher else { return nil }
        return "\(searcher.hexString)/\(uuid)"
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Writes `records` durably (one transaction each; the last write of a key wins). Called under `state`'s lock.
    private func persist(_ records: [BundleRecord]) throws {
        guard let log = store.log else { return }
        for record in records {
            try log.putPending(key: record.hash.bytes, kind: "bundle",
                               payload: Array(record.json.serializedString().utf8), added: record.updatedAt)
        }
    }

    /// Takes in a parsed bundle from `searcher`: a new bundle is stored as `received`; the same bundle again is
    /// acknowledged once more; a bundle with the `replacementUuid` of an active one replaces it (an empty one
    /// cancels it). Durable when it returns.
    /// - Returns: the bundle's hash, and the hash of the bundle it replaced or cancelled.
    /// - Throws: `RPCError` for a stale replacement or a searcher over its limit.
    public func add(_ bundle: CrossLayerBundle, params: JSONValue, searcher: Address?) throws -> (hash: Hash?, replaced: Hash?) {
        if bundle.replacementUuid != nil && searcher == nil {
            throw RPCError.invalidParams("replacementUuid needs an X-Flashbots-Signature: replacement and cancellation are per searcher")
        }
        let now = Self.now()
        return try state.withLock { state -> (hash: Hash?, replaced: Hash?) in
            var changed: [BundleRecord] = []
            var replaced: Hash?
            if let uuid = bundle.replacementUuid, let searcher {
                let key = "\(searcher.hexString)/\(uuid)"
                if let previous = state.replacements[key], var old = state.records[previous], previous != bundle.hash {
                    if let nonce = bundle.replacementNonce, let oldNonce = old.replacementNonce, nonce <= oldNonce {
                        throw RPCError.server("replacementNonce \(nonce) is not above the current bundle's (\(oldNonce)): a stale replacement")
                    }
                    old.status = bundle.isEmpty ? .cancelled : .replaced
                    old.reason = bundle.isEmpty ? "cancelled by its searcher" : "replaced by \(bundle.hash)"
                    old.updatedAt = now
                    changed.append(old)
                    replaced = previous
                } else if bundle.isEmpty {
                    throw RPCError.server("no active bundle with replacementUuid \(uuid) to cancel")
                }
            }
            var hash: Hash?
            if !bundle.isEmpty {
                let id = bundle.hash
                hash = id
                if state.records[id] == nil || !(state.records[id]!.status.isActive) {
                    let active = state.records.values.filter { $0.status.isActive && $0.searcher == searcher }.count
                    let limit = searcher == nil ? limits.maxAnonymous : limits.maxPerSearcher
                    guard active - (replaced == nil ? 0 : 1) < limit else {
                        throw RPCError.server(searcher == nil
                            ? "too many unsigned bundles waiting (\(limit)): sign bundles with X-Flashbots-Signature"
                            : "searcher \(searcher!.hexString) has \(limit) bundles waiting, the most allowed")
                    }
                    changed.append(BundleRecord(hash: id, searcher: searcher, params: params, targetBlock: bundle.blockNumber,
                                                replacementUuid: bundle.replacementUuid,
                                                replacementNonce: bundle.replacementNonce, status: .received, receivedAt: now))
                }
            }
            try persist(changed)
            for record in changed { state.records[record.hash] = record }
            if let uuid = bundle.replacementUuid, let searcher {
                state.replacements["\(searcher.hexString)/\(uuid)"] = hash
            }
            return (hash, replaced)
        }
    }

    /// Cancels the active bundle `searcher` sent with `uuid`; returns its hash.
    public func cancel(uuid: String, searcher: Address) throws -> Hash {
        let key = "\(searcher.hexString)/\(uuid.lowercased())"
        return try state.withLock { state in
            guard let hash = state.replacements[key], var record = state.records[hash] else {
                throw RPCError.server("no active bundle with replacementUuid \(uuid) from \(searcher.hexString)")
            }
            record.status = .cancelled
            record.reason = "cancelled by its searcher"
            record.updatedAt = Self.now()
            try persist([record])
            state.records[hash] = record
            state.replacements[key] = nil
            return hash
        }
    }

    /// Sets bundle `hash`'s status (durably), with the reason and value when given.
    public func update(_ hash: Hash, status: BundleStatus, reason: String? = nil, value: U256? = nil) throws {
        try state.withLock { state in
            guard var record = state.records[hash] else { return }
            record.status = status
            record.reason = reason
            if let value { record.value = value }
            record.updatedAt = Self.now()
            try persist([record])
            state.records[hash] = record
            if !status.isActive, let key = Self.replacementKey(record), state.replacements[key] == hash {
                state.replacements[key] = nil
            }
        }
    }

    /// The record of bundle `hash`.
    public func record(_ hash: Hash) -> BundleRecord? { state.withLock { $0.records[hash] } }

    /// Active bundles, oldest first.
    public func active() -> [BundleRecord] {
        state.withLock { $0.records.values.filter { $0.status.isActive }.sorted { $0.receivedAt < $1.receivedAt } }
    }

    /// Marks active bundles whose target block is at or below `l1Head` as not landed (their block has passed).
    /// Returns how many.
    @discardableResult
    public func expire(l1Head: UInt64) throws -> Int {
        try state.withLock { state in
            var changed: [BundleRecord] = []
            for var record in state.records.values where record.status.isActive && record.targetBlock <= l1Head {
                record.status = .notLanded
                record.reason = "L1 block \(record.targetBlock) passed without it"
                record.updatedAt = Self.now()
                changed.append(record)
            }
            try persist(changed)
            for record in changed {
                state.records[record.hash] = record
                if let key = Self.replacementKey(record), state.replacements[key] == record.hash { state.replacements[key] = nil }
            }
            return changed.count
        }
    }
}
