import CSQLite
import EVM
import Primitives

/// The durable store of a chain Lockstep runs: its blocks and its current state, in one SQLite file.
///
/// ## Layout
/// State is kept *flat*: one row per account (`accounts`), per non-zero storage slot (`storage`, keyed by
/// `(address, slot)`) and per distinct code (`code`, keyed by hash), next to the blocks (`blocks`, keyed by number)
/// and a one-row `meta` table naming the head. Flat tables because execution reads single accounts and slots:
/// each read is one b-tree lookup, where a stored trie would take one read per trie level (8 or more), and a
/// block's changes are a handful of row upserts. The price is the state root: `stateRoot()` recomputes it from the
/// flat rows with the State module's tries, which reads the whole state. That is fine for verification and
/// recovery, not for every block: block producers compute roots with their own incremental `SecureTrie`. An
/// incremental trie (trie nodes in a table next to the flat state, as Erigon and Reth do) can be layered on later
/// without changing this layout. Only the current state is kept: history and reorgs are out of scope for now
/// (blocks only extend the head).
///
/// ## Durability
/// WAL journal mode: readers never block the writer, and a commit is one append to the log. Each block is one
/// transaction that applies its state changes, records the block and moves the head, so after a crash the store
/// holds either all of a block or none of it. `synchronous=FULL`: the log is fsynced at every commit, so a block
/// that `commitBlock` reported as committed survives a power loss or kernel crash. With `NORMAL` (SQLite's usual
/// WAL choice) the store stays consistent, but the last blocks before a power loss can vanish, and Lockstep
/// announces blocks as soon as they are stored (DESIGN.md §3, "L2 blocks are durable before they are
/// announced"): one fsync per block is the cost of that promise.
///
/// ## Concurrency
/// Not `Sendable`, on purpose: the connection, its prepared statements and the read cache are single-threaded
/// state, and the compiler keeps an instance on the thread (or actor) that owns it. A `Mutex` around it would
/// only serialise every reader on one connection; a thread or process that needs its own view opens its own
/// `ChainStore` on the same file (WAL lets readers run alongside the one writer). The read cache and `head()`
/// follow only this instance's commits: an instance reading while another one writes should use
/// `cacheLimit: 0` and be reopened to see a new head. Writers are serialised by SQLite's write lock, and each
/// commit checks the head inside its transaction, so two writers cannot fork the chain.
public final class ChainStore: StateBackend, StateBackendFailure {
    /// The file this store was opened on.
    public let path: String
    let connection: SQLiteConnection
    let statements: StoreStatements
    var cache: StateReadCache
    /// The head, read at open and moved by each commit (so `head()` needs no query).
    var currentHead: (number: UInt64, hash: Hash)?
    /// The first failed read of the StateBackend methods (which cannot throw), until `takeReadFailure()`.
    var readFailure: StoreError?

    /// How long a connection waits for another connection's lock before failing with `.busy`.
    static let busyTimeoutMilliseconds: Int32 = 5_000

    /// Opens the store at `path`, creating the file and its tables when it does not exist.
    ///
    /// - Parameters:
    ///   - path: the database file; SQLite keeps `-wal` and `-shm` files next to it.
    ///   - cacheLimit: committed accounts, slots and hashes kept in memory for the `StateBackend` reads;
    ///     0 disables the cache.
    /// - Throws: `.cannotOpen` when the file cannot be opened or created, `.corrupt` when it is not a SQLite
    ///   database, `.schemaMismatch` when it belongs to another application or schema version.
    public init(path: String, cacheLimit: Int = 200_000) throws(StoreError) {
        self.path = path
        let connection = try SQLiteConnection(path: path)
        sqlite3_busy_timeout(connection.handle, Self.busyTimeoutMilliseconds)
        try Self.configure(connection, path: path)
        try Self.prepareSchema(connection, path: path)
        self.connection = connection
        self.statements = try StoreStatements(connection)
        self.cache = StateReadCache(limit: cacheLimit)
        self.currentHead = try Self.readHead(statements.selectHead)
    }

    /// Sets the pragmas every connection needs (they are per connection, except the journal mode).
    private static func configure(_ connection: SQLiteConnection, path: String) throws(StoreError) {
        // The first statement that reads the file: a file that is not a database fails here with SQLITE_NOTADB.
        let journal = try connection.prepare("PRAGMA journal_mode = WAL")
        defer { journal.reset() }
        guard try journal.step("setting WAL mode on \(path)"),
              let mode = journal.text(0)
        else {
            throw StoreError(code: .sqlite, message: "setting WAL mode on \(path): no answer")
        }
        // WAL needs shared memory; some filesystems (network mounts) refuse it and SQLite silently keeps the
        // rollback journal. The durability reasoning above assumes WAL, so refuse to run without it.
        guard mode.lowercased() == "wal" else {
            throw StoreError(code: .cannotOpen, message: "\(path): WAL mode unavailable (journal mode is \(mode))")
        }
        try connection.execute("PRAGMA synchronous = FULL", context: "setting synchronous=FULL on \(path)")
        // No foreign keys in the schema; OFF states that no hidden per-row checks run on the write path.
        try connection.execute("PRAGMA foreign_keys = OFF", context: "setting foreign_keys on \(path)")
        // After a checkpoint, truncate the WAL back to 64 MiB: otherwise it keeps its high-water size forever.
        try connection.execute("PRAGMA journal_size_limit = 67108864", context: "setting journal_size_limit on \(path)")
        // 32 MiB page cache (the default is 2 MiB): the state's upper b-tree levels stay in memory.
        try connection.execute("PRAGMA cache_size = -32768", context: "setting cache_size on \(path)")
    }

    /// Creates the tables in a new file, or checks that an existing file has this build's schema.
    private static func prepareSchema(_ connection: SQLiteConnection, path: String) throws(StoreError) {
        // IMMEDIATE: two processes opening a new file at once must not both create the tables.
        try connection.execute("BEGIN IMMEDIATE", context: "opening \(path)")
        do throws(StoreError) {
            let tables = try connection.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            var names: Set<String> = []
            while try tables.step("reading the tables of \(path)") {
                if let name = tables.text(0) { names.insert(name) }
            }
            tables.reset()
            if names.isEmpty {
                for sql in StoreSchema.create {
                    try connection.execute(sql, context: "creating the tables of \(path)")
                }
                let insert = try connection.prepare(
                    "INSERT INTO schema_version (id, application, version) VALUES (1, ?1, ?2)")
                try insert.bind(1, text: StoreSchema.application)
                try insert.bind(2, StoreSchema.version)
                try insert.run("writing the schema version of \(path)")
            } else {
                try checkSchema(connection, path: path, tables: names)
            }
            try connection.execute("COMMIT", context: "opening \(path)")
        } catch {
            if connection.inTransaction { try? connection.execute("ROLLBACK", context: "") }
            throw error
        }
    }

    private static func checkSchema(_ connection: SQLiteConnection, path: String,
                                    tables: Set<String>) throws(StoreError) {
        guard tables.contains("schema_version") else {
            throw StoreError(code: .schemaMismatch,
                             message: "\(path) is not a Lockstep chain store (it has tables but no schema_version)")
        }
        let select = try connection.prepare("SELECT application, version FROM schema_version WHERE id = 1")
        defer { select.reset() }
        guard try select.step("reading the schema version of \(path)") else {
            throw StoreError(code: .schemaMismatch, message: "\(path): schema_version is empty")
        }
        let application = select.text(0) ?? "?"
        guard application == StoreSchema.application else {
            throw StoreError(code: .schemaMismatch,
                             message: "\(path) belongs to \"\(application)\", not \"\(StoreSchema.application)\"")
        }
        let version = select.int64(1)
        guard version == StoreSchema.version else {
            throw StoreError(code: .schemaMismatch,
                             message: "\(path) has schema version \(version.map(String.init) ?? "?"), "
                                 + "this build reads version \(StoreSchema.version)")
        }
    }

    static func readHead(_ select: SQLiteStatement) throws(StoreError) -> (number: UInt64, hash: Hash)? {
        defer { select.reset() }
        guard try select.step("reading the head") else { return nil }
        guard let number = select.int64(0), number >= 0, let hash = select.hash(1) else {
            throw StoreError(code: .corrupt, message: "the head row (meta) cannot be decoded")
        }
        return (UInt64(number), hash)
    }

    // MARK: Blocks

    /// The newest committed block's number and hash, or `nil` for a store with no blocks yet.
    public func head() -> (number: UInt64, hash: Hash)? { currentHead }

    /// A committed block, or `nil` when there is none with this number.
    /// - Throws: `.corrupt` when the row cannot be decoded, or the SQLite error of the read.
    public func block(number: UInt64) throws(StoreError) -> StoredBlock? {
        guard let key = Int64(exactly: number) else { return nil }
        let select = statements.selectBlock
        defer { select.reset() }
        try select.bind(1, key)
        guard try select.step("reading block \(number)") else { return nil }
        guard let hash = select.hash(0), let parentHash = select.hash(1), let stateRoot = select.hash(2),
              let header = select.bytes(3), let body = select.bytes(4)
        else {
            throw StoreError(code: .corrupt, message: "block \(number) cannot be decoded")
        }
        return StoredBlock(number: number, hash: hash, parentHash: parentHash, stateRoot: stateRoot,
                           header: header, body: body)
    }

    /// The number of accounts in the committed state (counts the rows: linear in the state's size).
    public var accountCount: Int {
        get throws(StoreError) {
            let count = statements.countAccounts
            defer { count.reset() }
            guard try count.step("counting accounts"), let value = count.int64(0) else {
                throw StoreError(code: .sqlite, message: "counting accounts: no answer")
            }
            return Int(value)
        }
    }

    /// Applies a block's state changes, records the block and makes it the head, in one transaction: after a
    /// crash at any moment the store holds either all of it or none of it.
    ///
    /// A deleted account (`info == nil`) loses its storage; `storageCleared` wipes the account's storage before
    /// `storage` applies; a zero slot value deletes the slot. `stateRoot` is recorded as given (recomputing it
    /// here would read the whole state); `verifyConsistency()` checks it.
    ///
    /// - Parameters:
    ///   - number: must be the head's number + 1; any number for the first block of an empty store (genesis
    ///     or a snapshot's block).
    ///   - parentHash: must be the head's hash (not checked for the first block).
    ///   - changes: the state changes, as `JournaledState.takeChanges()` or `StateOverlay.changes` give them.
    /// - Throws: `.constraint` when the block does not extend the head or new code does not hash to its
    ///   account's code hash (nothing is changed); `.io` or `.busy` when the database fails (nothing is
    ///   changed, except that after `.io` the commit may or may not have reached the disk: reopen and read
    ///   `head()`).
    public func commitBlock(number: UInt64, hash: Hash, parentHash: Hash, stateRoot: Hash,
                            header: [UInt8], body: [UInt8], changes: [AccountChange]) throws(StoreError) {
        guard let key = Int64(exactly: number), key < Int64.max else {
            throw StoreError(code: .constraint, message: "block \(number): number too large for the store")
        }
        // Checked before the transaction: bad input changes nothing and costs no I/O.
        for (index, change) in changes.enumerated() {
            guard let info = change.info, let code = change.code else { continue }
            let actual = Keccak256.hash(code)
            guard actual == info.codeHash else {
                throw StoreError(code: .constraint,
                                 message: "block \(number), change \(index) (\(change.address.hexString)): code "
                                     + "hashes to \(actual.hexString), account says \(info.codeHash.hexString)")
            }
        }

        try statements.begin.run("block \(number): beginning the transaction")
        do throws(StoreError) {
            // Read inside the write transaction: it is the database's head that the block must extend, even if
            // another connection committed since this one last looked.
            if let head = try Self.readHead(statements.selectHead) {
                guard number == head.number &+ 1 else {
                    throw StoreError(code: .constraint,
                                     message: "block \(number) does not extend the head: head is \(head.number), "
                                         + "next must be \(head.number + 1)")
                }
                guard parentHash == head.hash else {
                    throw StoreError(code: .constraint,
                                     message: "block \(number): parent hash \(parentHash.hexString) is not the "
                                         + "head's hash \(head.hash.hexString)")
                }
            }
            for change in changes { try apply(change, blockNumber: number) }

            let insert = statements.insertBlock
            defer { insert.reset() }
            try insert.bind(1, key)
            try insert.bind(2, hash: hash)
            try insert.bind(3, hash: parentHash)
            try insert.bind(4, hash: stateRoot)
            try insert.bind(5, bytes: header)
            try insert.bind(6, bytes: body)
            _ = try insert.step("block \(number): recording the block")

            let writeHead = statements.writeHead
            try writeHead.bind(1, key)
            try writeHead.bind(2, hash: hash)
            try writeHead.run("block \(number): moving the head")

            try statements.commit.run("block \(number): committing")
        } catch {
            if connection.inTransaction { try? statements.rollback.run("rolling back") }
            // The cache only ever holds committed values, but after a failed COMMIT (I/O error) the outcome is
            // unknown: start over from what the database says.
            cache.removeAll()
            currentHead = try? Self.readHead(statements.selectHead)
            throw error
        }
        currentHead = (number, hash)
        cache.apply(changes, blockNumber: number, blockHash: hash)
    }

    /// Writes one account's change (inside the block's transaction).
    private func apply(_ change: AccountChange, blockNumber: UInt64) throws(StoreError) {
        let address = change.address
        guard let info = change.info else {
            // Deleted (self-destruct, or EIP-161 empty and touched): its storage goes with it.
            let delete = statements.deleteAccount
            try delete.bind(1, address: address)
            try delete.run("block \(blockNumber): deleting account \(address.hexString)")
            try wipeStorage(of: address, blockNumber: blockNumber)
            return
        }
        if change.storageCleared { try wipeStorage(of: address, blockNumber: blockNumber) }

        let write = statements.writeAccount
        try write.bind(1, address: address)
        try write.bind(2, Int64(bitPattern: info.nonce))
        try write.bind(3, word: info.balance)
        try write.bind(4, hash: info.codeHash)
        try write.run("block \(blockNumber): writing account \(address.hexString)")

        // Empty code is answered without a row (`code(hash:)`).
        if let code = change.code, !code.isEmpty {
            let insert = statements.insertCode
            try insert.bind(1, hash: info.codeHash)
            try insert.bind(2, bytes: code)
            try insert.run("block \(blockNumber): storing the code of \(address.hexString)")
        }

        for (slot, value) in change.storage {
            if value.isZero {
                let delete = statements.deleteSlot
                try delete.bind(1, address: address)
                try delete.bind(2, word: slot)
                try delete.run("block \(blockNumber): deleting a slot of \(address.hexString)")
            } else {
                let write = statements.writeSlot
                try write.bind(1, address: address)
                try write.bind(2, word: slot)
                try write.bind(3, minimalWord: value)
                try write.run("block \(blockNumber): writing a slot of \(address.hexString)")
            }
        }
    }

    private func wipeStorage(of address: Address, blockNumber: UInt64) throws(StoreError) {
        let delete = statements.deleteStorage
        try delete.bind(1, address: address)
        try delete.run("block \(blockNumber): wiping the storage of \(address.hexString)")
    }
}
