/// The chain store's tables and the SQL it runs. All SQL is constant text; values are bound parameters.
///
/// Encodings: addresses are 20-byte BLOBs, hashes and balances 32-byte BLOBs, storage slots 32-byte big-endian
/// BLOBs (fixed width, so the `(address, slot)` key order is numeric order), storage values their minimal
/// big-endian bytes (1 to 32 bytes; zero values are deleted, never stored), nonces and block numbers INTEGERs
/// (nonces by bit pattern, as SQLite integers are signed 64-bit; block numbers are limited to `Int64.max`).
enum StoreSchema {
    /// Written into `schema_version.application`, so that another application's SQLite file is refused.
    static let application = "lockstep-chain"
    /// The layout version this build reads and writes; bump it (and add a migration) when the layout changes.
    static let version: Int64 = 1

    /// The tables, created in one transaction on a new file.
    static let create: [String] = [
        """
        CREATE TABLE schema_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            application TEXT NOT NULL,
            version INTEGER NOT NULL)
        """,
        """
        CREATE TABLE meta (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            head_number INTEGER NOT NULL,
            head_hash BLOB NOT NULL)
        """,
        // Small rows keyed by a BLOB: WITHOUT ROWID stores them in the primary-key b-tree itself (one lookup,
        // no separate index).
        """
        CREATE TABLE accounts (
            address BLOB PRIMARY KEY,
            nonce INTEGER NOT NULL,
            balance BLOB NOT NULL,
            code_hash BLOB NOT NULL) WITHOUT ROWID
        """,
        // Keyed by (address, slot) so that one account's slots are contiguous: wiping an account's storage and
        // "has any storage" are range operations.
        """
        CREATE TABLE storage (
            address BLOB NOT NULL,
            slot BLOB NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (address, slot)) WITHOUT ROWID
        """,
        // Code rows are large (up to 24 KiB, EIP-170), which WITHOUT ROWID tables handle badly: a rowid table
        // with an index on the hash. Content-addressed, so rows are only ever added.
        """
        CREATE TABLE code (
            hash BLOB PRIMARY KEY NOT NULL,
            bytes BLOB NOT NULL)
        """,
        // INTEGER PRIMARY KEY makes the number the rowid: blocks are stored in number order.
        """
        CREATE TABLE blocks (
            number INTEGER PRIMARY KEY,
            hash BLOB NOT NULL,
            parent_hash BLOB NOT NULL,
            state_root BLOB NOT NULL,
            header BLOB NOT NULL,
            body BLOB NOT NULL)
        """,
    ]
}

/// The statements a store runs repeatedly, compiled once when it opens.
///
/// The full scans of `verifyConsistency()`, `stateRoot()` and the schema checks compile their statements per
/// call instead: they run rarely and read the whole state, so compiling them is noise.
struct StoreStatements {
    let begin: SQLiteStatement
    let commit: SQLiteStatement
    let rollback: SQLiteStatement
    let selectHead: SQLiteStatement
    let writeHead: SQLiteStatement
    let selectAccount: SQLiteStatement
    let writeAccount: SQLiteStatement
    let deleteAccount: SQLiteStatement
    let selectSlot: SQLiteStatement
    let writeSlot: SQLiteStatement
    let deleteSlot: SQLiteStatement
    let deleteStorage: SQLiteStatement
    let anyStorage: SQLiteStatement
    let selectCode: SQLiteStatement
    let insertCode: SQLiteStatement
    let insertBlock: SQLiteStatement
    let selectBlock: SQLiteStatement
    let selectBlockHash: SQLiteStatement
    let countAccounts: SQLiteStatement

    init(_ connection: SQLiteConnection) throws(StoreError) {
        // IMMEDIATE takes the write lock at BEGIN, so a second writer waits (busy timeout) up front instead of
        // failing half-way through a block.
        begin = try connection.prepare("BEGIN IMMEDIATE")
        commit = try connection.prepare("COMMIT")
        rollback = try connection.prepare("ROLLBACK")
        selectHead = try connection.prepare("SELECT head_number, head_hash FROM meta WHERE id = 1")
        writeHead = try connection.prepare(
            "INSERT OR REPLACE INTO meta (id, head_number, head_hash) VALUES (1, ?1, ?2)")
        selectAccount = try connection.prepare("SELECT nonce, balance, code_hash FROM accounts WHERE address = ?1")
        writeAccount = try connection.prepare(
            "INSERT OR REPLACE INTO accounts (address, nonce, balance, code_hash) VALUES (?1, ?2, ?3, ?4)")
        deleteAccount = try connection.prepare("DELETE FROM accounts WHERE address = ?1")
        selectSlot = try connection.prepare("SELECT value FROM storage WHERE address = ?1 AND slot = ?2")
        writeSlot = try connection.prepare(
            "INSERT OR REPLACE INTO storage (address, slot, value) VALUES (?1, ?2, ?3)")
        deleteSlot = try connection.prepare("DELETE FROM storage WHERE address = ?1 AND slot = ?2")
        deleteStorage = try connection.prepare("DELETE FROM storage WHERE address = ?1")
        anyStorage = try connection.prepare("SELECT 1 FROM storage WHERE address = ?1 LIMIT 1")
        selectCode = try connection.prepare("SELECT bytes FROM code WHERE hash = ?1")
        insertCode = try connection.prepare("INSERT OR IGNORE INTO code (hash, bytes) VALUES (?1, ?2)")
        insertBlock = try connection.prepare("""
            INSERT INTO blocks (number, hash, parent_hash, state_root, header, body)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        selectBlock = try connection.prepare(
            "SELECT hash, parent_hash, state_root, header, body FROM blocks WHERE number = ?1")
        selectBlockHash = try connection.prepare("SELECT hash FROM blocks WHERE number = ?1")
        countAccounts = try connection.prepare("SELECT count(*) FROM accounts")
    }
}
