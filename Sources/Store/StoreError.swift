/// Why a chain store operation failed, with a message that says what and where.
///
/// A struct wrapping an extensible code (not an enum) so that codes can be added without breaking callers.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The category of the error, for callers that react differently to each.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: UInt8
        /// The database file could not be opened or created (missing directory, permissions).
        public static let cannotOpen = Code(raw: 0)
        /// The file is not a SQLite database, or SQLite found it damaged, or a row holds bytes this build
        /// cannot decode.
        public static let corrupt = Code(raw: 1)
        /// The database was written by another application or another schema version.
        public static let schemaMismatch = Code(raw: 2)
        /// The operation violates a rule of the store (a block that does not extend the head, code that does
        /// not match its hash, a duplicate key). Nothing was changed.
        public static let constraint = Code(raw: 3)
        /// Another connection held a lock for longer than the busy timeout.
        public static let busy = Code(raw: 4)
        /// The operating system reported an I/O error or a full disk. Whether the last commit is durable is
        /// unknown: reopen the store and read `head()`.
        public static let io = Code(raw: 5)
        /// The flat state disagrees with what the blocks recorded (`verifyConsistency()`).
        public static let inconsistent = Code(raw: 6)
        /// Any other SQLite failure.
        public static let sqlite = Code(raw: 7)

        public var description: String {
            switch raw {
            case 0: "cannot open"
            case 1: "corrupt"
            case 2: "schema mismatch"
            case 3: "constraint"
            case 4: "busy"
            case 5: "I/O error"
            case 6: "inconsistent"
            default: "SQLite error"
            }
        }
    }

    /// The category of the error.
    public let code: Code
    /// What went wrong, and where.
    public let message: String
    /// SQLite's (extended) result code, when the error came from SQLite.
    public let sqliteResultCode: Int32?

    /// Creates an error.
    public init(code: Code, message: String, sqliteResultCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.sqliteResultCode = sqliteResultCode
    }

    public var description: String { "chain store: \(code): \(message)" }
}
