import Builder
import Foundation
import JSON
import Logging
import PostgresNIO
import Primitives
import RPCServer
import Synchronization

/// `--postgres postgres://user[:password]@host[:port]/database[?sslmode=require]`.
public struct PostgresSettings: Sendable {
    public let configuration: PostgresClient.Configuration
    /// The URL without its password, for banners and errors.
    public let redacted: String

    public static func parse(_ text: String) throws -> PostgresSettings {
        guard let url = URL(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
              let host = url.host, !host.isEmpty else {
            throw PostgresIntakeError("--postgres must be postgres://user[:password]@host[:port]/database")
        }
        let user = url.user ?? "postgres"
        let database = url.path.split(separator: "/").first.map(String.init)
        let secure = url.query?.contains("sslmode=require") ?? false
        var configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: url.password, database: database,
            tls: secure ? .require(.makeClientConfiguration()) : .disable)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 8
        let redacted = "postgres://\(user)@\(host):\(url.port ?? 5432)/\(database ?? "")"
        return PostgresSettings(configuration: configuration, redacted: redacted)
    }
}

public struct PostgresIntakeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The shared tables (created by whichever process connects first):
/// - `lockstep_intake`: what the replicas acknowledged, in order (`seq`): bundles as sent, and cancellations;
/// - `lockstep_bundle_status`: every bundle's status as the simulating builder's book has it;
/// - `lockstep_intake_cursor`: how far each consumer has read `lockstep_intake`.
public enum IntakeSchema {
    static let statements: [PostgresQuery] = [
        """
        CREATE TABLE IF NOT EXISTS lockstep_intake (
            seq BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, bundle_hash TEXT, searcher TEXT, uuid TEXT,
            params TEXT NOT NULL, replica TEXT NOT NULL, received_at BIGINT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS lockstep_intake_hash ON lockstep_intake (bundle_hash)",
        "CREATE INDEX IF NOT EXISTS lockstep_intake_uuid ON lockstep_intake (searcher, uuid)",
        """
        CREATE TABLE IF NOT EXISTS lockstep_bundle_status (
            bundle_hash TEXT PRIMARY KEY, searcher TEXT, uuid TEXT, status TEXT NOT NULL, record TEXT NOT NULL,
            updated_at BIGINT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS lockstep_bundle_status_uuid ON lockstep_bundle_status (searcher, uuid)",
        "CREATE TABLE IF NOT EXISTS lockstep_intake_cursor (consumer TEXT PRIMARY KEY, seq BIGINT NOT NULL)",
    ]

    /// Creates the tables if they are missing; several processes may do it at once (an advisory lock orders them).
    public static func create(_ client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(7284190331)", logger: logger)
            for statement in statements {
                try await connection.query(statement, logger: logger)
            }
        }
    }
}

/// A client for the whole process, running in the background, with the tables in place.
public final class PostgresStore: Sendable {
    public let client: PostgresClient
    public let settings: PostgresSettings
    let logger: Logger

    public init(_ settings: PostgresSettings) {
        var logger = Logger(label: "lockstep.postgres")
        logger.logLevel = .critical
        self.logger = logger
        self.settings = settings
        client = PostgresClient(configuration: settings.configuration, backgroundLogger: logger)
    }

    /// Runs the connection pool until cancelled (start it before `prepare`).
    public func run() async { await client.run() }

    /// Waits for the server (up to `seconds`) and creates the tables.
    public func prepare(seconds: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                try await IntakeSchema.create(client, logger: logger)
                return
            } catch {
                if Date() > deadline {
                    throw PostgresIntakeError("cannot reach PostgreSQL at \(settings.redacted): \(String(reflecting: error))")
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}

func millisecondsNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

/// An intake replica's `BundleIntake`: a checked bundle is acknowledged once its row is committed to
/// `lockstep_intake`; statuses come from `lockstep_bundle_status` (what the simulating builder published) or, for a
/// bundle it has not read yet, from the intake row (`received`). Replicas keep no state of their own: any number can
/// run, and killing one loses nothing it acknowledged.
public final class PostgresIntake: BundleIntake {
    public let limits: BundleLimits
    let store: PostgresStore
    let replica: String

    public init(store: PostgresStore, replica: String, limits: BundleLimits = BundleLimits()) {
        self.store = store
        self.replica = replica
        self.limits = limits
    }

    var client: PostgresClient { store.client }
    var logger: Logger { store.logger }

    public func add(_ bundle: CrossLayerBundle, params: JSONValue, searcher: Address?) async throws -> (hash: Hash?, replaced: Hash?) {
        if bundle.replacementUuid != nil && searcher == nil {
            throw RPCError.invalidParams("replacementUuid needs an X-Flashbots-Signature: replacement and cancellation are per searcher")
        }
        let hash = bundle.isEmpty ? nil : bundle.hash
        var replaced: Hash?
        if let uuid = bundle.replacementUuid, let searcher {
            replaced = try await currentBundle(searcher: searcher, uuid: uuid, except: hash)
            if bundle.isEmpty && replaced == nil {
                throw RPCError.server("no active bundle with replacementUuid \(uuid) to cancel")
            }
        }
        let (hashText, searcherText, uuid) = (hash?.hexString, searcher?.hexString, bundle.replacementUuid?.lowercased())
        let (paramsText, replica, now) = (params.serializedString(), self.replica, millisecondsNow())
        do {
            try await client.query("""
                INSERT INTO lockstep_intake (kind, bundle_hash, searcher, uuid, params, replica, received_at)
                VALUES ('bundle', \(hashText), \(searcherText), \(uuid), \(paramsText), \(replica), \(now))
                """, logger: logger)
        } catch {
            throw RPCError.server("the bundle was not kept (the database did not answer): \(String(reflecting: error))")
        }
        return (hash, replaced)
    }

    public func cancel(uuid: String, searcher: Address) async throws -> Hash {
        guard let hash = try await currentBundle(searcher: searcher, uuid: uuid, except: nil) else {
            throw RPCError.server("no active bundle with replacementUuid \(uuid) from \(searcher.hexString)")
        }
        let params = JSONValue.object(["replacementUuid": .string(uuid)]).serializedString()
        let (searcherText, uuidText, replica, now) = (searcher.hexString, uuid.lowercased(), self.replica, millisecondsNow())
        do {
            try await client.query("""
                INSERT INTO lockstep_intake (kind, bundle_hash, searcher, uuid, params, replica, received_at)
                VALUES ('cancel', NULL, \(searcherText), \(uuidText), \(params), \(replica), \(now))
                """, logger: logger)
        } catch {
            throw RPCError.server("the cancellation was not kept (the database did not answer): \(String(reflecting: error))")
        }
        return hash
    }

    /// The searcher's newest bundle with `uuid` that is not known to be final (replaced, cancelled, landed…).
    func currentBundle(searcher: Address, uuid: String, except: Hash?) async throws -> Hash? {
        let (searcherText, uuidText) = (searcher.hexString, uuid.lowercased())
        let rows = try await client.query("""
            SELECT i.bundle_hash, i.kind FROM lockstep_intake i
            WHERE i.searcher = \(searcherText) AND i.uuid = \(uuidText)
            ORDER BY i.seq DESC LIMIT 1
            """, logger: logger)
        for try await (hash, kind) in rows.decode((String?, String).self) {
            guard kind == "bundle", let hash, let parsed = try? Hash(hex: hash), parsed != except else { return nil }
            let status = try await client.query(
                "SELECT status FROM lockstep_bundle_status WHERE bundle_hash = \(hash)", logger: logger)
            for try await (state,) in status.decode((String,).self) {
                return ["received", "simulated", "selected"].contains(state) ? parsed : nil
            }
            return parsed
        }
        return nil
    }

    public func status(_ hash: Hash) async throws -> (status: JSONValue, searcher: Address?)? {
        let hashText = hash.hexString
        let published = try await client.query(
            "SELECT record, searcher FROM lockstep_bundle_status WHERE bundle_hash = \(hashText)", logger: logger)
        for try await (record, searcher) in published.decode((String, String?).self) {
            return (try JSONValue(parsing: Array(record.utf8)), searcher.flatMap { try? Address(hex: $0) })
        }
        // Acknowledged here, not read by the builder yet.
        let pending = try await client.query("""
            SELECT params, searcher, uuid, received_at FROM lockstep_intake
            WHERE bundle_hash = \(hashText) AND kind = 'bundle' ORDER BY seq LIMIT 1
            """, logger: logger)
        for try await (params, searcher, uuid, receivedAt) in pending.decode((String, String?, String?, Int64).self) {
            let object = try JSONValue(parsing: Array(params.utf8))
            var status: [String: JSONValue] = [
                "bundleHash": .string(hashText), "status": "received",
                "receivedAt": .number(JSONNumber(Int(receivedAt))), "updatedAt": .number(JSONNumber(Int(receivedAt))),
            ]
            if let block = object["blockNumber"], let number = try? RPCParams.uint64(block, "blockNumber") {
                status["blockNumber"] = .quantity(number)
            }
            if let searcher { status["searcher"] = .string(searcher) }
            if let uuid { status["replacementUuid"] = .string(uuid) }
            return (.object(status), searcher.flatMap { try? Address(hex: $0) })
        }
        return nil
    }

    /// The simulating builder expires bundles; a replica has none of its own.
    public func expire(l1Head: UInt64) async throws -> Int { 0 }
}

/// The simulating builder's side: reads what the replicas acknowledged, in order, into its `BundleBook` (durable
/// first, then the cursor: at least once, and adding a bundle twice is harmless), and publishes the book's statuses
/// to `lockstep_bundle_status` for the replicas to answer. A bundle the book refuses (a searcher over its limit, a
/// stale replacement) is published as `rejected` with the reason, so that nothing acknowledged goes unanswered.
public final class PostgresIntakeConsumer: Sendable {
    let store: PostgresStore
    let book: BundleBook
    let name: String
    let l1ChainId: UInt64
    let l2ChainId: UInt64
    /// The update time last published of each bundle and status.
    private let published = Mutex<[String: Int64]>([:])

    public init(store: PostgresStore, book: BundleBook, name: String, l1ChainId: UInt64, l2ChainId: UInt64) {
        self.store = store
        self.book = book
        self.name = name
        self.l1ChainId = l1ChainId
        self.l2ChainId = l2ChainId
    }

    var client: PostgresClient { store.client }
    var logger: Logger { store.logger }

    /// Runs until cancelled, every `interval` seconds; logs each distinct failure once.
    public func run(interval: Double = 0.1, log: @escaping @Sendable (String) -> Void) async {
        var lastError: String?
        var published: Int64 = 0
        var prepared = false
        while !Task.isCancelled {
            do {
                if !prepared {
                    try await IntakeSchema.create(client, logger: logger)
                    prepared = true
                }
                let read = try await consume()
                published = try await publish(since: published)
                if read > 0 { log("intake: \(read) from the replicas") }
                if lastError != nil { log("intake: PostgreSQL answers again") }
                lastError = nil
            } catch {
                let message = "intake: \(String(reflecting: error))"
                if message != lastError { log(message) }
                lastError = message
            }
            try? await Task.sleep(for: .milliseconds(Int(interval * 1_000)))
        }
    }

    func cursor() async throws -> Int64 {
        let consumer = name
        let rows = try await client.query("SELECT seq FROM lockstep_intake_cursor WHERE consumer = \(consumer)",
                                          logger: logger)
        for try await (seq,) in rows.decode((Int64,).self) { return seq }
        return 0
    }

    /// Reads the next rows into the book; returns how many.
    public func consume(limit: Int = 500) async throws -> Int {
        let start = try await cursor()
        let rows = try await client.query("""
            SELECT seq, kind, bundle_hash, searcher, uuid, params FROM lockstep_intake
            WHERE seq > \(start) ORDER BY seq LIMIT \(limit)
            """, logger: logger)
        var entries: [(seq: Int64, kind: String, hash: String?, searcher: String?, uuid: String?, params: String)] = []
        for try await row in rows.decode((Int64, String, String?, String?, String?, String).self) { entries.append(row) }
        guard let last = entries.last?.seq else { return 0 }
        var refused: [(hash: String, searcher: String?, reason: String, params: String)] = []
        for entry in entries {
            let searcher = entry.searcher.flatMap { try? Address(hex: $0) }
            do {
                let params = try JSONValue(parsing: Array(entry.params.utf8))
                if entry.kind == "cancel" {
                    if let searcher, let uuid = entry.uuid { _ = try? await book.cancel(uuid: uuid, searcher: searcher) }
                    continue
                }
                guard case .object(let object) = params else { throw PostgresIntakeError("the params are not an object") }
                let bundle = try CrossLayerBundle.parse(object, l1ChainId: l1ChainId, l2ChainId: l2ChainId, limits: book.limits)
                _ = try await book.add(bundle, params: params, searcher: searcher)
            } catch {
                if let hash = entry.hash { refused.append((hash, entry.searcher, "\(error)", entry.params)) }
            }
        }
        for entry in refused {
            var record: [String: JSONValue] = ["bundleHash": .string(entry.hash), "status": "rejected",
                                               "reason": .string("the builder refused it: \(entry.reason)"),
                                               "receivedAt": .number(JSONNumber(Int(millisecondsNow()))),
                                               "updatedAt": .number(JSONNumber(Int(millisecondsNow())))]
            if let searcher = entry.searcher { record["searcher"] = .string(searcher) }
            try await upsert(hash: entry.hash, searcher: entry.searcher, uuid: nil, status: "rejected",
                             record: .object(record))
        }
        let consumer = name
        try await client.query("""
            INSERT INTO lockstep_intake_cursor (consumer, seq) VALUES (\(consumer), \(last))
            ON CONFLICT (consumer) DO UPDATE SET seq = EXCLUDED.seq
            """, logger: logger)
        return entries.count
    }

    /// Publishes the records changed since `since` (ms); returns the time to pass next.
    public func publish(since: Int64) async throws -> Int64 {
        let now = millisecondsNow()
        // A second of overlap, so that a record written just before `now` by another task is not missed; what was
        // published already with the same update time is skipped.
        for record in book.records(updatedSince: since - 1_000) {
            let key = record.hash.hexString + record.status.rawValue
            guard published.withLock({ $0[key] != record.updatedAt }) else { continue }
            try await upsert(hash: record.hash.hexString, searcher: record.searcher?.hexString,
                             uuid: record.replacementUuid?.lowercased(), status: record.status.rawValue,
                             record: record.statusJSON)
            published.withLock { table in
                if table.count > 100_000 { table.removeAll() }
                table[key] = record.updatedAt
            }
        }
        return now
    }

    func upsert(hash: String, searcher: String?, uuid: String?, status: String, record: JSONValue) async throws {
        let (text, now) = (record.serializedString(), millisecondsNow())
        try await client.query("""
            INSERT INTO lockstep_bundle_status (bundle_hash, searcher, uuid, status, record, updated_at)
            VALUES (\(hash), \(searcher), \(uuid), \(status), \(text), \(now))
            ON CONFLICT (bundle_hash) DO UPDATE SET status = EXCLUDED.status, record = EXCLUDED.record,
                updated_at = EXCLUDED.updated_at
            """, logger: logger)
    }
}
