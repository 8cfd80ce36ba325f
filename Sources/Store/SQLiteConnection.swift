import CSQLite
import Primitives

/// One SQLite connection: opening, fixed SQL (pragmas, DDL, transaction control) and prepared statements.
///
/// Not thread-safe, and used only by its `ChainStore`: it is opened with `SQLITE_OPEN_NOMUTEX` because the
/// store is never shared across threads, so SQLite's own per-call mutex would be pure cost.
final class SQLiteConnection {
    let handle: OpaquePointer

    /// Opens (or creates) the database file at `path`.
    init(path: String) throws(StoreError) {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            // sqlite3_open_v2 returns a handle even on failure; it must still be closed.
            if let handle { sqlite3_close_v2(handle) }
            throw StoreError(code: .cannotOpen, message: "cannot open \(path): \(message)", sqliteResultCode: rc)
        }
        self.handle = handle
        // Extended codes tell SQLITE_IOERR_FSYNC from SQLITE_IOERR_WRITE in error reports.
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        // close_v2 defers the close until the last statement is finalized, so teardown order cannot leak or
        // crash (statements also keep their connection alive).
        sqlite3_close_v2(handle)
    }

    /// Runs SQL that carries no data (pragmas, DDL, BEGIN/COMMIT): never called with text built from input.
    func execute(_ sql: String, context: @autoclosure () -> String) throws(StoreError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, context: context()) }
    }

    /// Compiles a statement for reuse; parameters are bound with `SQLiteStatement.bind`.
    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw error(rc, context: "preparing \(sql)") }
        return SQLiteStatement(handle: statement, connection: self)
    }

    /// Whether a transaction is open (SQLite rolls back by itself after some errors, e.g. a full disk).
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Maps a SQLite result code to a `StoreError` with SQLite's message.
    func error(_ rc: Int32, context: String) -> StoreError {
        let detail = String(cString: sqlite3_errmsg(handle))
        let code: StoreError.Code
        switch rc & 0xff {
        case SQLITE_CANTOPEN, SQLITE_PERM: code = .cannotOpen
        case SQLITE_CORRUPT, SQLITE_NOTADB: code = .corrupt
        case SQLITE_CONSTRAINT: code = .constraint
        case SQLITE_BUSY, SQLITE_LOCKED: code = .busy
        case SQLITE_IOERR, SQLITE_FULL: code = .io
        default: code = .sqlite
        }
        return StoreError(code: code, message: "\(context): \(detail) (SQLite code \(rc))", sqliteResultCode: rc)
    }
}

/// A prepared statement, compiled once and reused for every call (bind, step, reset).
///
/// Callers `reset()` it as soon as they are done (`defer`): a SELECT left mid-way keeps its read transaction
/// open, which pins the WAL and stops checkpoints.
final class SQLiteStatement {
    let handle: OpaquePointer
    /// Kept alive for as long as the statement: finalizing after the connection closed is undefined.
    let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears the bindings and rewinds, releasing any read snapshot the statement holds.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Advances one row.
    /// - Returns: `true` when a row is available, `false` when the statement has finished.
    func step(_ context: @autoclosure () -> String) throws(StoreError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error(rc, context: context())
    }

    /// Runs a statement that returns no rows, then resets it.
    func run(_ context: @autoclosure () -> String) throws(StoreError) {
        defer { reset() }
        _ = try step(context())
    }

    // MARK: Binding (parameters are 1-based, as in SQLite)

    private func check(_ rc: Int32, _ index: Int32) throws(StoreError) {
        guard rc == SQLITE_OK else { throw connection.error(rc, context: "binding parameter \(index)") }
    }

    /// Binds an integer.
    func bind(_ index: Int32, _ value: Int64) throws(StoreError) {
        try check(sqlite3_bind_int64(handle, index, value), index)
    }

    /// Binds a string as TEXT.
    func bind(_ index: Int32, text: String) throws(StoreError) {
        try check(sqlite3_bind_text(handle, index, text, -1, lockstep_sqlite_transient()), index)
    }

    /// Binds bytes as a BLOB (copied by SQLite, so the array need not outlive the call).
    func bind(_ index: Int32, bytes: [UInt8]) throws(StoreError) {
        // A zero-length blob with a nil pointer would bind NULL (and fail NOT NULL): bind an empty blob instead.
        let rc = bytes.isEmpty
            ? sqlite3_bind_zeroblob(handle, index, 0)
            : bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob64(handle, index, raw.baseAddress, sqlite3_uint64(raw.count),
                                    lockstep_sqlite_transient())
            }
        try check(rc, index)
    }

    /// Binds `count` bytes written by `write` into a stack buffer (fixed-size values, no heap allocation).
    private func bind(_ index: Int32, count: Int, skip: Int = 0,
                      write: (UnsafeMutableRawPointer) -> Void) throws(StoreError) {
        let rc = withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return SQLITE_NOMEM }
            write(base)
            return sqlite3_bind_blob(handle, index, base + skip, Int32(count - skip), lockstep_sqlite_transient())
        }
        try check(rc, index)
    }

    /// Binds an address as its 20 bytes.
    func bind(_ index: Int32, address: Address) throws(StoreError) {
        try bind(index, count: 20) { address.store(to: $0) }
    }

    /// Binds a hash as its 32 bytes.
    func bind(_ index: Int32, hash: Hash) throws(StoreError) {
        try bind(index, count: 32) { hash.store(to: $0) }
    }

    /// Binds a word as 32 big-endian bytes (fixed width, so byte order is numeric order).
    func bind(_ index: Int32, word: U256) throws(StoreError) {
        try bind(index, count: 32) { word.storeBigEndian(to: $0) }
    }

    /// Binds a non-zero word as its minimal big-endian bytes (most storage values are small).
    func bind(_ index: Int32, minimalWord word: U256) throws(StoreError) {
        try bind(index, count: 32, skip: 32 - word.byteCount) { word.storeBigEndian(to: $0) }
    }

    // MARK: Columns (0-based); each returns nil when the stored value has the wrong type or size

    private func withBlob<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) -> R?) -> R? {
        guard sqlite3_column_type(handle, column) == SQLITE_BLOB else { return nil }
        // column_blob before column_bytes, as SQLite documents.
        let pointer = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count))
    }

    /// An INTEGER column.
    func int64(_ column: Int32) -> Int64? {
        guard sqlite3_column_type(handle, column) == SQLITE_INTEGER else { return nil }
        return sqlite3_column_int64(handle, column)
    }

    /// A TEXT column.
    func text(_ column: Int32) -> String? {
        guard sqlite3_column_type(handle, column) == SQLITE_TEXT,
              let pointer = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: pointer)
    }

    /// A BLOB column's bytes.
    func bytes(_ column: Int32) -> [UInt8]? {
        withBlob(column) { Array($0) }
    }

    /// A 20-byte BLOB column as an address.
    func address(_ column: Int32) -> Address? {
        withBlob(column) { raw in
            guard raw.count == 20, let base = raw.baseAddress else { return nil }
            return Address(loading: base)
        }
    }

    /// A 32-byte BLOB column as a hash.
    func hash(_ column: Int32) -> Hash? {
        withBlob(column) { raw in
            guard raw.count == 32, let base = raw.baseAddress else { return nil }
            return Hash(loading: base)
        }
    }

    /// A 32-byte big-endian BLOB column as a word.
    func word(_ column: Int32) -> U256? {
        withBlob(column) { raw in
            guard raw.count == 32, let base = raw.baseAddress else { return nil }
            return U256(bigEndian: base)
        }
    }

    /// A minimal big-endian BLOB column (1 to 32 bytes, no leading zero, so never zero) as a word.
    func minimalWord(_ column: Int32) -> U256? {
        withBlob(column) { raw in
            guard (1...32).contains(raw.count), raw[0] != 0 else { return nil }
            return U256(bigEndianBytes: raw)
        }
    }

    /// An INTEGER column as an unsigned 64-bit value stored by bit pattern (nonces).
    func uint64(bitPattern column: Int32) -> UInt64? {
        int64(column).map { UInt64(bitPattern: $0) }
    }
}
