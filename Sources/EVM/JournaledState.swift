import Primitives

/// An account as a state backend stores it.
public struct AccountInfo: Hashable, Sendable {
    public var nonce: UInt64
    public var balance: U256
    public var codeHash: Hash

    public init(nonce: UInt64, balance: U256, codeHash: Hash) {
        self.nonce = nonce
        self.balance = balance
        self.codeHash = codeHash
    }

    /// Keccak-256 of empty code.
    public static let emptyCodeHash = Keccak256.hash([UInt8]())
}

/// Where the journaled state reads what it has not seen yet: an in-memory map, a database, or a remote node.
///
/// Called only on first access of an account, slot or code in a transaction batch, never on the hot path.
public protocol StateBackend: AnyObject {
    /// The account, or `nil` when it does not exist.
    func account(_ address: Address) -> AccountInfo?
    /// The storage value (zero when unset).
    func storage(_ address: Address, _ key: U256) -> U256
    /// The code with this hash, or `nil` if unknown.
    func code(hash: Hash) -> [UInt8]?
    /// Whether the account has any non-zero storage (EIP-7610 treats that as a creation collision).
    func hasStorage(_ address: Address) -> Bool
    /// The hash of a past block, or `nil` when unknown.
    func blockHash(number: UInt64) -> Hash?
}

/// A backend whose reads can fail (remote state): after executing against it, callers check `failure` and
/// discard the result when it is set, because the failed reads were answered with placeholder values.
public protocol StateBackendFailure {
    /// What failed first, or nil when every read succeeded.
    var failure: String? { get }
}

/// One storage slot as execution sees it.
@usableFromInline
struct StorageSlot {
    /// The value now.
    @usableFromInline var current: U256
    /// The value at the start of the transaction (EIP-2200 prices SSTORE against it).
    @usableFromInline var original: U256
    /// EIP-2929: accessed in this transaction.
    @usableFromInline var warm: Bool
}

/// The execution-time view of one account, including accounts that do not exist (their warmth still matters).
@usableFromInline
final class AccountState {
    @usableFromInline var exists: Bool
    @usableFromInline var nonce: UInt64
    @usableFromInline var balance: U256
    @usableFromInline var code: Code?
    @usableFromInline var codeHash: Hash
    @usableFromInline var storage: [U256: StorageSlot] = [:]
    @usableFromInline var warm = false
    /// EIP-158: touched in this transaction (empty touched accounts are deleted at its end).
    @usableFromInline var touched = false
    /// EIP-6780: created in this transaction (only then does SELFDESTRUCT delete it).
    @usableFromInline var createdInTransaction = false
    @usableFromInline var selfDestructed = false
    /// Storage was wiped (the account was deleted or re-created): the backend's slots no longer apply.
    @usableFromInline var storageCleared = false
    /// Changed since the last commit.
    @usableFromInline var dirty = false

    /// Whether the fields hold the backend's values; an account only warmed (precompiles, access lists) is not
    /// fetched until something reads it, so forked state does not pay a remote read for warming.
    @usableFromInline var loaded = true

    init(info: AccountInfo?) {
        exists = info != nil
        nonce = info?.nonce ?? 0
        balance = info?.balance ?? .zero
        codeHash = info?.codeHash ?? AccountInfo.emptyCodeHash
    }

    /// Fills the fields from the backend's answer.
    func fill(_ info: AccountInfo?) {
        exists = info != nil
        nonce = info?.nonce ?? 0
        balance = info?.balance ?? .zero
        codeHash = info?.codeHash ?? AccountInfo.emptyCodeHash
        loaded = true
    }

    /// EIP-161: no code, zero nonce, zero balance.
    var isEmpty: Bool { nonce == 0 && balance.isZero && codeHash == AccountInfo.emptyCodeHash }
}

/// A change that can be undone: the journal records one for every state mutation so that a reverting call frame
/// rolls back exactly what it did.
@usableFromInline
enum JournalEntry {
    case balance(Address, U256)
    case nonce(Address, UInt64)
    case storage(Address, U256, U256)
    case code(Address, Code?, Hash)
    case existence(Address, Bool)
    case warmAccount(Address)
    case warmSlot(Address, U256)
    case touched(Address)
    case created(Address)
    case selfDestructed(Address)
    case transient(Address, U256, U256)
    case storageCleared(Address, [U256: StorageSlot], Bool)
}

/// Key of a transient storage slot (EIP-1153).
@usableFromInline
struct TransientKey: Hashable {
    @usableFromInline var address: Address
    @usableFromInline var key: U256
    init(_ address: Address, _ key: U256) { self.address = address; self.key = key }
}

/// The committed result of a batch of transactions, per account: what a store or a state root needs.
public struct AccountChange: Sendable {
    public var address: Address
    /// `nil` when the account was deleted (self-destructed, or touched while empty).
    public var info: AccountInfo?
    /// New code when it changed.
    public var code: [UInt8]?
    /// Changed slots (zero means deleted).
    public var storage: [U256: U256]
    /// The account's previous storage was wiped before `storage` applies.
    public var storageCleared: Bool

    public init(address: Address, info: AccountInfo?, code: [UInt8]?, storage: [U256: U256], storageCleared: Bool) {
        self.address = address
        self.info = info
        self.code = code
        self.storage = storage
        self.storageCleared = storageCleared
    }
}

/// Journaled world state for execution: caches what it reads from a `StateBackend`, records every change in a
/// journal for cheap snapshot and revert, tracks EIP-2929 warm sets, EIP-1153 transient storage and EIP-2200
/// original values.
///
/// Not thread-safe: one instance per executing thread (simulations each take their own).
public final class JournaledState {
    /// Where unseen state is read from.
    public let backend: StateBackend
    @usableFromInline var accounts: [Address: AccountState] = [:]
    @usableFromInline var journal: [JournalEntry] = []
    @usableFromInline var transient: [TransientKey: U256] = [:]
    @usableFromInline var codeCache: [Hash: Code] = [:]
    /// The most recently loaded account (accounts are never removed from `accounts`, so it stays valid).
    var lastAddress = Address.zero
    var lastAccount: AccountState?
    /// Set once code has read the block's environment (BLOCKHASH, TIMESTAMP, NUMBER, PREVRANDAO, GASLIMIT, BASEFEE,
    /// BLOBBASEFEE): a result that may not hold in another block with the same state (a builder's early draft).
    public var readBlockEnvironment = false

    /// RIPEMD-160's address: a touch of it survives a revert (the mainnet consensus quirk of block 2675119
    /// that EIP-161 clients reproduce).
    static let ripemd = Address(word: U256(3))

    public init(backend: StateBackend) {
        self.backend = backend
        journal.reserveCapacity(1024)
    }

    // MARK: Snapshots

    /// A point to revert to.
    public func snapshot() -> Int { journal.count }

    /// Undoes every change made after `snapshot`.
    public func revert(to snapshot: Int) {
        while journal.count > snapshot {
            switch journal.removeLast() {
            case .balance(let a, let v): accounts[a]!.balance = v
            case .nonce(let a, let v): accounts[a]!.nonce = v
            case .storage(let a, let k, let v): accounts[a]!.storage[k]!.current = v
            case .code(let a, let code, let hash):
                accounts[a]!.code = code
                accounts[a]!.codeHash = hash
            case .existence(let a, let v): accounts[a]!.exists = v
            case .warmAccount(let a): accounts[a]!.warm = false
            case .warmSlot(let a, let k): accounts[a]!.storage[k]!.warm = false
            case .touched(let a): if a != Self.ripemd { accounts[a]!.touched = false }
            case .created(let a): accounts[a]!.createdInTransaction = false
            case .selfDestructed(let a): accounts[a]!.selfDestructed = false
            case .transient(let a, let k, let v): transient[TransientKey(a, k)] = v
            case .storageCleared(let a, let storage, let wasCleared):
                accounts[a]!.storage = storage
                accounts[a]!.storageCleared = wasCleared
            }
        }
    }

    // MARK: Accounts

    @inline(__always)
    func load(_ address: Address) -> AccountState {
        // Execution touches the running contract over and over: one comparison beats a hash lookup.
        if address == lastAddress, let account = lastAccount { return account }
        let account = accounts[address] ?? loadSlow(address)
        if !account.loaded { account.fill(backend.account(address)) }
        lastAddress = address
        lastAccount = account
        return account
    }

    @usableFromInline
    func loadSlow(_ address: Address) -> AccountState {
        let account = AccountState(info: backend.account(address))
        accounts[address] = account
        return account
    }

    /// Whether the account exists (has been created and not deleted).
    public func exists(_ address: Address) -> Bool { load(address).exists }

    /// Whether the account is empty per EIP-161, or does not exist.
    public func isEmptyOrAbsent(_ address: Address) -> Bool {
        let account = load(address)
        return !account.exists || account.isEmpty
    }

    public func balance(_ address: Address) -> U256 { load(address).balance }
    public func nonce(_ address: Address) -> UInt64 { load(address).nonce }
    public func codeHash(_ address: Address) -> Hash { load(address).codeHash }

    /// The account's code, prepared for execution.
    public func code(_ address: Address) -> Code {
        let account = load(address)
        if let code = account.code { return code }
        let code = preparedCode(hash: account.codeHash)
        account.code = code
        return code
    }

    func preparedCode(hash: Hash) -> Code {
        if hash == AccountInfo.emptyCodeHash { return .empty }
        if let code = codeCache[hash] { return code }
        let code = Code.prepared(hash: hash, bytes: backend.code(hash: hash))
        codeCache[hash] = code
        return code
    }

    /// Marks the account as existing (creating it if needed) and touched.
    func materialize(_ account: AccountState, _ address: Address) {
        if !account.exists {
            journal.append(.existence(address, false))
            account.exists = true
        }
        touch(account, address)
    }

    /// EIP-158: records that the account was touched by this transaction.
    public func touch(_ address: Address) { touch(load(address), address) }

    func touch(_ account: AccountState, _ address: Address) {
        account.dirty = true
        if !account.touched {
            journal.append(.touched(address))
            account.touched = true
        }
    }

    public func setBalance(_ address: Address, _ value: U256) {
        let account = load(address)
        materialize(account, address)
        journal.append(.balance(address, account.balance))
        account.balance = value
    }

    public func addBalance(_ address: Address, _ value: U256) {
        let account = load(address)
        materialize(account, address)
        journal.append(.balance(address, account.balance))
        account.balance = account.balance &+ value
    }

    /// Moves `value` from one account to another. The caller has checked the sender's balance.
    public func transfer(from: Address, to: Address, value: U256) {
        let sender = load(from)
        materialize(sender, from)
        journal.append(.balance(from, sender.balance))
        sender.balance = sender.balance &- value
        let recipient = load(to)
        materialize(recipient, to)
        journal.append(.balance(to, recipient.balance))
        recipient.balance = recipient.balance &+ value
    }

    public func setNonce(_ address: Address, _ value: UInt64) {
        let account = load(address)
        materialize(account, address)
        journal.append(.nonce(address, account.nonce))
        account.nonce = value
    }

    public func setCode(_ address: Address, _ bytes: [UInt8]) {
        let account = load(address)
        materialize(account, address)
        journal.append(.code(address, account.code, account.codeHash))
        let code = bytes.isEmpty ? Code.empty : Code(bytes: bytes)
        codeCache[code.hash] = code
        account.code = code
        account.codeHash = code.hash
    }

    /// Starts a contract at `address` (CREATE): marks it created in this transaction, and wipes any storage it had
    /// (possible only for accounts that existed without code or nonce, which EIP-7610 otherwise rejects).
    public func createAccount(_ address: Address) {
        let account = load(address)
        materialize(account, address)
        journal.append(.created(address))
        account.createdInTransaction = true
        journal.append(.storageCleared(address, account.storage, account.storageCleared))
        // Values go, but warmth stays: an access list may have warmed the new contract's slots (EIP-2930).
        var wiped: [U256: StorageSlot] = [:]
        for (key, slot) in account.storage where slot.warm {
            wiped[key] = StorageSlot(current: .zero, original: .zero, warm: true)
        }
        account.storage = wiped
        account.storageCleared = true
    }

    /// Whether a contract may not be created at `address`: it has code, a nonce, or storage (EIP-684, EIP-7610).
    public func hasCreationCollision(_ address: Address) -> Bool {
        let account = load(address)
        if account.nonce != 0 || account.codeHash != AccountInfo.emptyCodeHash { return true }
        if account.storageCleared { return account.storage.values.contains { !$0.current.isZero } }
        return account.storage.values.contains { !$0.current.isZero } || backend.hasStorage(address)
    }

    public func wasCreatedInTransaction(_ address: Address) -> Bool { load(address).createdInTransaction }

    /// EIP-6780: marks an account created in this transaction for deletion at its end.
    public func markSelfDestructed(_ address: Address) {
        let account = load(address)
        guard !account.selfDestructed else { return }
        account.dirty = true
        journal.append(.selfDestructed(address))
        account.selfDestructed = true
    }

    // MARK: Warm sets (EIP-2929)

    /// Marks the account warm; returns whether it was cold before.
    public func warmAccount(_ address: Address) -> Bool {
        let account: AccountState
        if let known = accounts[address] {
            account = known
        } else {
            account = AccountState(info: nil)
            account.loaded = false
            accounts[address] = account
        }
        if account.warm { return false }
        account.warm = true
        journal.append(.warmAccount(address))
        return true
    }

    public func isWarm(_ address: Address) -> Bool { load(address).warm }

    func slot(_ account: AccountState, _ address: Address, _ key: U256) -> StorageSlot {
        if let slot = account.storage[key] { return slot }
        let value = account.storageCleared ? U256.zero : backend.storage(address, key)
        let slot = StorageSlot(current: value, original: value, warm: false)
        account.storage[key] = slot
        return slot
    }

    /// Marks a slot warm; returns whether it was cold before.
    public func warmSlot(_ address: Address, _ key: U256) -> Bool {
        let account = load(address)
        let s = slot(account, address, key)
        if s.warm { return false }
        account.storage[key]!.warm = true
        journal.append(.warmSlot(address, key))
        return true
    }

    // MARK: Storage

    /// SLOAD: the current value and whether the slot was cold (it is warm afterwards).
    public func sload(_ address: Address, _ key: U256) -> (value: U256, cold: Bool) {
        let account = load(address)
        let s = slot(account, address, key)
        if !s.warm {
            account.storage[key]!.warm = true
            journal.append(.warmSlot(address, key))
            return (s.current, true)
        }
        return (s.current, false)
    }

    /// SSTORE: writes a slot, warming it, and returns what gas pricing needs: (original, previous value, cold).
    @discardableResult
    public func sstore(_ address: Address, _ key: U256, _ value: U256) -> (original: U256, current: U256, cold: Bool) {
        let account = load(address)
        if let index = account.storage.index(forKey: key) {
            let s = account.storage.values[index]
            if !s.warm { journal.append(.warmSlot(address, key)) }
            if s.current != value { journal.append(.storage(address, key, s.current)) }
            account.storage.values[index] = StorageSlot(current: value, original: s.original, warm: true)
            account.dirty = true
            return (s.original, s.current, !s.warm)
        }
        let loaded = account.storageCleared ? U256.zero : backend.storage(address, key)
        account.storage[key] = StorageSlot(current: value, original: loaded, warm: true)
        journal.append(.warmSlot(address, key))
        if loaded != value { journal.append(.storage(address, key, loaded)) }
        account.dirty = true
        return (loaded, loaded, true)
    }

    /// Reads a slot without warming it (for RPC and tests).
    public func storage(_ address: Address, _ key: U256) -> U256 {
        let account = load(address)
        if let s = account.storage[key] { return s.current }
        return account.storageCleared ? .zero : backend.storage(address, key)
    }

    // MARK: Transient storage (EIP-1153)

    public func tload(_ address: Address, _ key: U256) -> U256 {
        transient[TransientKey(address, key)] ?? .zero
    }

    public func tstore(_ address: Address, _ key: U256, _ value: U256) {
        let k = TransientKey(address, key)
        journal.append(.transient(address, key, transient[k] ?? .zero))
        transient[k] = value
    }

    // MARK: Transaction boundaries

    /// Ends a transaction: deletes self-destructed accounts and touched empty ones (EIP-158), forgets warm sets,
    /// transient storage and the journal, and makes current storage values the new originals.
    public func finishTransaction() {
        // Only the accounts this transaction marked need resetting, and each mark is in the journal (a revert takes
        // the mark and its entry away together), except RIPEMD-160's touch, which survives a revert. Walking every
        // account ever loaded instead made a block's transactions quadratic in its accounts.
        // A transaction marks a handful of accounts: a short list searched beats a hashed set, which takes over
        // past 32 (an airdrop marks thousands).
        var marked: [Address] = []
        var markedSet: Set<Address>?
        func mark(_ address: Address) {
            if marked.last == address { return }
            if markedSet == nil {
                if marked.contains(address) { return }
                marked.append(address)
                if marked.count == 32 { markedSet = Set(marked) }
            } else if markedSet!.insert(address).inserted {
                marked.append(address)
            }
        }
        for entry in journal {
            switch entry {
            case .balance(let a, _), .nonce(let a, _), .storage(let a, _, _), .code(let a, _, _), .existence(let a, _),
                 .warmAccount(let a), .warmSlot(let a, _), .touched(let a), .created(let a), .selfDestructed(let a),
                 .transient(let a, _, _), .storageCleared(let a, _, _):
                mark(a)
            }
        }
        if accounts[Self.ripemd]?.touched == true { mark(Self.ripemd) }
        for address in marked {
            guard let account = accounts[address] else { continue }
            if account.selfDestructed || (account.touched && account.exists && account.isEmpty) {
                account.exists = false
                account.nonce = 0
                account.balance = .zero
                account.code = .empty
                account.codeHash = AccountInfo.emptyCodeHash
                account.storage = [:]
                account.storageCleared = true
                account.dirty = true
            }
            account.warm = false
            account.touched = false
            account.createdInTransaction = false
            account.selfDestructed = false
            for (key, slot) in account.storage where slot.warm || slot.original != slot.current {
                account.storage[key] = StorageSlot(current: slot.current, original: slot.current, warm: false)
            }
        }
        transient.removeAll(keepingCapacity: true)
        journal.removeAll(keepingCapacity: true)
    }

    /// Every account changed since the state was created (or since the last `takeChanges`), for a store or a root.
    public func takeChanges() -> [AccountChange] {
        var changes: [AccountChange] = []
        for (address, account) in accounts where account.dirty {
            var storage: [U256: U256] = [:]
            for (key, slot) in account.storage { storage[key] = slot.current }
            let info = account.exists
                ? AccountInfo(nonce: account.nonce, balance: account.balance, codeHash: account.codeHash) : nil
            changes.append(AccountChange(address: address, info: info, code: account.code?.bytes,
                                         storage: storage, storageCleared: account.storageCleared))
            account.dirty = false
        }
        return changes
    }
}
