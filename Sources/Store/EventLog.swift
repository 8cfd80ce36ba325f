import CSQLite
import Primitives

/// An append-only, crash-safe log of opaque events plus a table of pending items, on SQLite in WAL mode with
/// synchronous=FULL: what `append` or `putPending` returned from is on disk.
///
/// The devnet keeps its chain as such a log (genesis, blocks, state edits) and replays it on start; its transaction
/// pool and bundles are the pending items, so an acknowledged transaction survives a crash. Not thread-safe: one
/// owner serializes access.
public final class EventLog {
    /// One event: its position, a kind chosen by the owner, and its bytes.
    public struct Event: Sendable, Hashable {
        public let sequence: Int64
        public let kind: String
        public let payload: [UInt8]
    }

    let connection: SQLiteConnection
    let path: String
    private let appendStatement: SQLiteStatement
    private let putPendingStatement: SQLiteStatement
    private let deletePendingStatement: SQLiteStatement

    public init(path: String) throws(StoreError) {
        self.path = path
        connection = try SQLiteConnection(path: path)
        let journal = try connection.prepare("PRAGMA journal_mode = WAL")
        defer { journal.reset() }
        guard try journal.step("setting WAL on \(path)"), journal.text(0)?.lowercased() == "wal" else {
            throw StoreError(code: .sqlite, message: "\(path): the database refused WAL journal mode", sqliteResultCode: 0)
        }
        try connection.execute("PRAGMA synchronous = FULL", context: "setting synchronous=FULL on \(path)")
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS events (sequence INTEGER PRIMARY KEY, kind TEXT NOT NULL, payload BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS pending (key BLOB PRIMARY KEY, kind TEXT NOT NULL, payload BLOB NOT NULL,
                                                added INTEGER NOT NULL);
            """, context: "creating the event log in \(path)")
        appendStatement = try connection.prepare("INSERT INTO events (kind, payload) VALUES (?1, ?2)")
        putPendingStatement = try connection.prepare(
            "INSERT OR REPLACE INTO pending (key, kind, payload, added) VALUES (?1, ?2, ?3, ?4)")
        deletePendingStatement = try connection.prepare("DELETE FROM pending WHERE key = ?1")
    }

    /// Every event in order.
    public func events() throws(StoreError) -> [Event] {
        let statement = try connection.prepare("SELECT sequence, kind, payload FROM events ORDER BY sequence")
        defer { statement.reset() }
        var events: [Event] = []
        while try statement.step("reading the events of \(path)") {
            events.append(Event(sequence: statement.int64(0) ?? 0, kind: statement.text(1) ?? "",
                                payload: statement.bytes(2) ?? []))
        }
        return events
    }

    /// Appends one event and, in the same transaction, removes the pending items it settles.
    @discardableResult
    public func append(kind: String, payload: [UInt8], settling keys: [[UInt8]] = []) throws(StoreError) -> Int64 {
        try transaction { () throws(StoreError) in
            try appendStatement.bind(1, text: kind)
            try appendStatement.bind(2, bytes: payload)
            try appendStatement.run("appending a \(kind) event to \(path)")
            for key in keys {
                try deletePendingStatement.bind(1, bytes: key)
                try deletePendingStatement.run("settling a pending item in \(path)")
            }
        }
        return sqlite3_last_insert_rowid(connection.handle)
    }

    /// Drops every event after `sequence` (a revert to a snapshot).
    public func truncate(after sequence: Int64) throws(StoreError) {
        let statement = try connection.prepare("DELETE FROM events WHERE sequence > ?1")
        try statement.bind(1, sequence)
        try statement.run("truncating the events of \(path)")
    }

    /// The position of the last event (0 when empty).
    public func lastSequence() throws(StoreError) -> Int64 {
        let statement = try connection.prepare("SELECT COALESCE(MAX(sequence), 0) FROM events")
        defer { statement.reset() }
        _ = try statement.step("reading the last event of \(path)")
        return statement.int64(0) ?? 0
    }

    /// Stores (or replaces) a pending item under `key`.
    public func putPending(key: [UInt8], kind: String, payload: [UInt8], added: Int64) throws(StoreError) {
        try putPendingStatement.bind(1, bytes: key)
        try putPendingStatement.bind(2, text: kind)
        try putPendingStatement.bind(3, bytes: payload)
        try putPendingStatement.bind(4, added)
        try putPendingStatement.run("storing a pending \(kind) in \(path)")
    }

    /// Stores (or replaces) several pending items in one transaction, in order (a later item with the same key wins):
    /// one sync to disk for all of them (group commit).
    public func putPending(batch items: [(key: [UInt8], kind: String, payload: [UInt8], added: Int64)]) throws(StoreError) {
        try transaction { () throws(StoreError) in
            for item in items { try putPending(key: item.key, kind: item.kind, payload: item.payload, added: item.added) }
        }
    }

    public func deletePending(key: [UInt8]) throws(StoreError) {
        try deletePendingStatement.bind(1, bytes: key)
        try deletePendingStatement.run("deleting a pending item in \(path)")
    }

    /// Every pending item, oldest first.
    public func pending() throws(StoreError) -> [(key: [UInt8], kind: String, payload: [UInt8])] {
        let statement = try connection.prepare("SELECT key, kind, payload FROM pending ORDER BY added, key")
        defer { statement.reset() }
        var items: [(key: [UInt8], kind: String, payload: [UInt8])] = []
        while try statement.step("reading the pending items of \(path)") {
            items.append((statement.bytes(0) ?? [], statement.text(1) ?? "", statement.bytes(2) ?? []))
        }
        return items
    }

    private func transaction(_ body: () throws(StoreError) -> Void) throws(StoreError) {
        try connection.execute("BEGIN IMMEDIATE", context: "beginning a transaction on \(path)")
        do {
            try body()
            try connection.execute("COMMIT", context: "committing to \(path)")
        } catch {
            if connection.inTransaction { try? connection.execute("ROLLBACK", context: "rolling back \(path)") }
            throw error
        }
    }
}
