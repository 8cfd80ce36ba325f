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

/// Writes bundle records to the SQLite log from one thread, in group commits: every record queued while a commit is
/// under way goes into the next one, so many acknowledgements share one sync to disk. Order is kept (a later
/// write of a key wins).
final class GroupCommitter: @unchecked Sendable {
    // @unchecked: `queue` is guarded by `condition`; `log` is used only on the writer thread.
    private let log: EventLog
    private let condition = NSCondition()
    private var queue: [(records: [BundleRecord], done: @Sendable (Error?) -> Void)] = []

    init(log: EventLog) {
        self.log = log
        let thread = Thread { self.run() }  // keeps the committer for the life of the process
        thread.name = "lockstep-builder-store"
        thread.start()
    }

    /// Queues `records`; `done` is called once they are on disk (or with the error).
    func enqueue(_ records: [BundleRecord], done: @escaping @Sendable (Error?) -> Void) {
        condition.lock()
        queue.append((records, done))
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let batch = queue
            queue = []
            condition.unlock()
            let items = batch.flatMap(\.records).map { record in
                (key: record.hash.bytes, kind: "bundle", payload: Array(record.json.serializedString().utf8),
                 added: record.updatedAt)
            }
            var failure: Error?
            do {
                try log.putPending(batch: items)
            } catch {
                failure = error
            }
            for entry in batch { entry.done(failure) }
        }
    }
}

/// A one-shot signal from the writer thread to the task waiting for it.
final class Completion: Sendable {
    private let state = Mutex<(done: Bool, error: (any Error)?, waiter: CheckedContinuation<Void, any Error>?)>((false, nil, nil))

    func finish(_ error: (any Error)?) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.done = true
            state.error = error
            defer { state.waiter = nil }
            return state.waiter
        }
        if let waiter { if let error { waiter.resume(throwing: error) } else { waiter.resume() } }
    }

    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { state -> (done: Bool, error: (any Error)?) in
                if !state.done { state.waiter = continuation }
                return (state.done, state.error)
            }
            guard outcome.done else { return }
            if let error = outcome.error { continuation.resume(throwing: error) } else { continuation.resume() }
        }
    }
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
        /// How many active bundles each searcher has ("" for unsigned ones).
        var active: [String: Int] = [:]
        /// The bundles active or submitted: the book keeps every record, and each auction step asks for these.
        var openHashes: Set<Hash> = []
        /// Active bundles as parsed at intake (their senders recovered), so that an auction does not parse a
        /// thousand bundles again; not kept across restarts (the auction parses what is missing here).
        var parsed: [Hash: CrossLayerBundle] = [:]

        static func owner(_ record: BundleRecord) -> String { record.searcher?.hexString ?? "" }

        /// Sets a record, keeping the active counts.
        mutating func set(_ record: BundleRecord?, for hash: Hash) {
            if let old = records[hash], old.status.isActive { active[Self.owner(old), default: 0] -= 1 }
            records[hash] = record
            if let record, record.status.isActive { active[Self.owner(record), default: 0] += 1 } else { parsed[hash] = nil }
            if let record, record.status.isActive || record.status == .submitted {
                openHashes.insert(hash)
            } else {
                openHashes.remove(hash)
            }
        }
    }

    private let state = Mutex(State())
    private let committer: GroupCommitter?
    public let limits: BundleLimits

    /// Opens the book on `log` (nil: in memory), reloading what it holds.
    public init(log: EventLog?, limits: BundleLimits = BundleLimits()) throws {
        self.limits = limits
        var loaded = State()
        for item in try log?.pending() ?? [] where item.kind == "bundle" {
            let record = try BundleRecord(json: try JSONValue(parsing: item.payload))
            loaded.set(record, for: record.hash)
            if record.status.isActive, let key = Self.replacementKey(record) { loaded.replacements[key] = record.hash }
        }
        state.withLock { $0 = loaded }
        committer = log.map { GroupCommitter(log: $0) }
    }

    static func replacementKey(_ record: BundleRecord) -> String? {
        guard let uuid = record.replacementUuid, let searcher = record.searcher else { return nil }
        return "\(searcher.hexString)/\(uuid)"
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// What one change of the book wrote, and what it overwrote (to put back if the write fails).
    struct Changes {
        var records: [BundleRecord] = []
        var previous: [Hash: BundleRecord?] = [:]

        mutating func put(_ record: BundleRecord, into state: inout State) {
            if previous[record.hash] == nil { previous[record.hash] = .some(state.records[record.hash]) }
            state.set(record, for: record.hash)
            records.append(record)
        }
    }

    /// Changes the book with `body` under its lock and waits until what it wrote is on disk (group commit). When
    /// it cannot be written, the records are put back as they were (unless changed again since) and the error is
    /// thrown: an unstored change did not happen.
    private func mutate<T: Sendable>(_ body: (inout State, inout Changes) throws -> T) async throws -> T {
        let completion = Completion()
        let (result, changes): (T, Changes) = try state.withLock { state in
            var changes = Changes()
            let result = try body(&state, &changes)
            // Queued under the lock, so the disk sees the changes in the order the book made them.
            if let committer, !changes.records.isEmpty {
                committer.enqueue(changes.records) { error in completion.finish(error) }
            } else {
                completion.finish(nil)
            }
            return (result, changes)
        }
        do {
            try await completion.wait()
        } catch {
            state.withLock { state in
                var written: [Hash: Int64] = [:]
                for record in changes.records { written[record.hash] = record.updatedAt }
                for (hash, previous) in changes.previous where state.records[hash]?.updatedAt == written[hash] {
                    state.set(previous, for: hash)
                }
                state.replacements = [:]
                for record in state.records.values where record.status.isActive {
                    if let key = Self.replacementKey(record) { state.replacements[key] = record.hash }
                }
            }
            throw BuilderError("the builder could not store the change, so it did not happen: \(error)")
        }
        return result
    }

    /// Takes in a parsed bundle from `searcher`: a new bundle is stored as `received`; the same bundle again is
    /// acknowledged once more; a bundle with the `replacementUuid` of an active one replaces it (an empty one
    /// cancels it). Durable when it returns.
    /// - Returns: the bundle's hash, and the hash of the bundle it replaced or cancelled.
    /// - Throws: `RPCError` for a stale replacement or a searcher over its limit.
    public func add(_ bundle: CrossLayerBundle, params: JSONValue, searcher: Address?) async throws -> (hash: Hash?, replaced: Hash?) {
        if bundle.replacementUuid != nil && searcher == nil {
            throw RPCError.invalidParams("replacementUuid needs an X-Flashbots-Signature: replacement and cancellation are per searcher")
        }
        let now = Self.now()
        let limits = self.limits
        return try await mutate { state, changes -> (hash: Hash?, replaced: Hash?) in
            var replaced: Hash?
            var key: String?
            if let uuid = bundle.replacementUuid, let searcher {
                key = "\(searcher.hexString)/\(uuid)"
                if let previous = state.replacements[key!], var old = state.records[previous], previous != bundle.hash {
                    if let nonce = bundle.replacementNonce, let oldNonce = old.replacementNonce, nonce <= oldNonce {
                        throw RPCError.server("replacementNonce \(nonce) is not above the current bundle's (\(oldNonce)): a stale replacement")
                    }
                    old.status = bundle.isEmpty ? .cancelled : .replaced
                    old.reason = bundle.isEmpty ? "cancelled by its searcher" : "replaced by \(bundle.hash)"
                    old.updatedAt = now
                    changes.put(old, into: &state)
                    replaced = previous
                } else if bundle.isEmpty {
                    throw RPCError.server("no active bundle with replacementUuid \(uuid) to cancel")
                }
            }
            var hash: Hash?
            if !bundle.isEmpty {
                let id = bundle.hash
                hash = id
                if !(state.records[id]?.status.isActive ?? false) {
                    let active = state.active[searcher?.hexString ?? ""] ?? 0
                    let limit = searcher == nil ? limits.maxAnonymous : limits.maxPerSearcher
                    guard active < limit else {
                        throw RPCError.server(searcher == nil
                            ? "too many unsigned bundles waiting (\(limit)): sign bundles with X-Flashbots-Signature"
                            : "searcher \(searcher!.hexString) has \(limit) bundles waiting, the most allowed")
                    }
                    changes.put(BundleRecord(hash: id, searcher: searcher, params: params, targetBlock: bundle.blockNumber,
                                             replacementUuid: bundle.replacementUuid,
                                             replacementNonce: bundle.replacementNonce, status: .received, receivedAt: now),
                                into: &state)
                    state.parsed[id] = bundle
                }
            }
            if let key { state.replacements[key] = hash }
            return (hash, replaced)
        }
    }

    /// Cancels the active bundle `searcher` sent with `uuid`; returns its hash.
    public func cancel(uuid: String, searcher: Address) async throws -> Hash {
        let key = "\(searcher.hexString)/\(uuid.lowercased())"
        return try await mutate { state, changes in
            guard let hash = state.replacements[key], var record = state.records[hash] else {
                throw RPCError.server("no active bundle with replacementUuid \(uuid) from \(searcher.hexString)")
            }
            record.status = .cancelled
            record.reason = "cancelled by its searcher"
            record.updatedAt = Self.now()
            changes.put(record, into: &state)
            state.replacements[key] = nil
            return hash
        }
    }

    /// Sets bundle `hash`'s status (durably), with the reason and value when given.
    public func update(_ hash: Hash, status: BundleStatus, reason: String? = nil, value: U256? = nil) async throws {
        try await update([StatusUpdate(hash: hash, status: status, reason: reason, value: value)])
    }

    /// A new status for one bundle.
    public struct StatusUpdate: Sendable {
        public var hash: Hash
        public var status: BundleStatus
        public var reason: String?
        public var value: U256?

        public init(hash: Hash, status: BundleStatus, reason: String? = nil, value: U256? = nil) {
            self.hash = hash
            self.status = status
            self.reason = reason
            self.value = value
        }
    }

    /// Applies `updates` in one commit (an auction moves a thousand bundles at once).
    public func update(_ updates: [StatusUpdate]) async throws {
        guard !updates.isEmpty else { return }
        try await mutate { state, changes in
            let now = Self.now()
            for update in updates {
                guard var record = state.records[update.hash] else { continue }
                record.status = update.status
                record.reason = update.reason
                if let value = update.value { record.value = value }
                record.updatedAt = now
                changes.put(record, into: &state)
                if !update.status.isActive, let key = Self.replacementKey(record), state.replacements[key] == update.hash {
                    state.replacements[key] = nil
                }
            }
        }
    }

    /// Marks active bundles whose target block is at or below `l1Head` as not landed (their block has passed).
    /// Returns how many.
    @discardableResult
    public func expire(l1Head: UInt64) async throws -> Int {
        try await mutate { state, changes in
            let due = state.records.values.filter { $0.status.isActive && $0.targetBlock <= l1Head }
            for var record in due {
                record.status = .notLanded
                record.reason = "L1 block \(record.targetBlock) passed without it"
                record.updatedAt = Self.now()
                changes.put(record, into: &state)
                if let key = Self.replacementKey(record), state.replacements[key] == record.hash { state.replacements[key] = nil }
            }
            return due.count
        }
    }

    /// The record of bundle `hash`.
    public func record(_ hash: Hash) -> BundleRecord? { state.withLock { $0.records[hash] } }

    /// Active bundles, oldest first.
    /// Active bundle `hash` as parsed at intake; nil when not kept (after a restart, say).
    public func parsedBundle(_ hash: Hash) -> CrossLayerBundle? {
        state.withLock { $0.parsed[hash] }
    }

    public func active() -> [BundleRecord] {
        state.withLock { state in
            state.openHashes.compactMap { state.records[$0] }.filter { $0.status.isActive }.sorted { $0.receivedAt < $1.receivedAt }
        }
    }

    /// How many bundles the book holds in each status.
    public func counts() -> [BundleStatus: Int] {
        state.withLock { state in state.records.values.reduce(into: [:]) { $0[$1.status, default: 0] += 1 } }
    }

    /// The bundles whose record changed at or after `time` (milliseconds since the epoch).
    public func records(updatedSince time: Int64) -> [BundleRecord] {
        state.withLock { $0.records.values.filter { $0.updatedAt >= time } }
    }

    /// The bundles in `status`.
    public func records(status: BundleStatus) -> [BundleRecord] {
        state.withLock { state in
            status.isActive || status == .submitted ? state.openHashes.compactMap { state.records[$0] }.filter { $0.status == status }
                : state.records.values.filter { $0.status == status }
        }
    }
}
