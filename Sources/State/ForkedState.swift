import EVM
import Foundation
import Primitives
import Synchronization

/// Where forked state comes from: an upstream node read at one pinned block.
///
/// Implementations are called from many simulation threads at once and must be thread-safe.
public protocol UpstreamStateProvider: Sendable {
    /// The account (nil when it does not exist) and its code.
    func account(_ address: Address) throws -> (info: AccountInfo?, code: [UInt8])
    /// One storage slot.
    func storage(_ address: Address, _ key: U256) throws -> U256
    /// Several storage slots in one round trip (same order as `keys`).
    func storage(_ address: Address, _ keys: [U256]) throws -> [U256]
    /// Whether the account has any storage (EIP-7610 collision checks).
    func hasStorage(_ address: Address) throws -> Bool
    /// The hash of block `number`, or nil when the upstream does not know it.
    func blockHash(number: UInt64) throws -> Hash?
    /// Several accounts in as few round trips as the upstream allows (same order as `addresses`).
    func accounts(_ addresses: [Address]) throws -> [(info: AccountInfo?, code: [UInt8])]
}

extension UpstreamStateProvider {
    /// One account at a time, for providers that cannot batch.
    public func accounts(_ addresses: [Address]) throws -> [(info: AccountInfo?, code: [UInt8])] {
        try addresses.map { try account($0) }
    }
}

/// What went wrong reading forked state: the simulation that hit it must be discarded, never trusted.
public struct ForkedStateError: Error, CustomStringConvertible, Sendable {
    /// The read that failed, e.g. "eth_getStorageAt 0xabc… slot 0x1".
    public let read: String
    /// The upstream's error.
    public let underlying: String
    public var description: String { "remote read failed (\(read)): \(underlying)" }
}

/// State of a live chain at a pinned block, fetched lazily from an upstream and cached, shared by any number of
/// concurrent simulations (each runs its own `JournaledState`, or a `StateOverlay`, on top).
///
/// Thread safety: the caches live behind a `Mutex`; a read that misses registers itself as in flight so that
/// concurrent identical reads wait for the one request instead of sending their own (coalescing). A failed read
/// is recorded in `firstError` and answered with a zero value: callers must check `firstError` (or
/// `throwIfFailed()`) after a simulation and discard its result — a remote failure never becomes a result.
public final class ForkedState: StateBackend, StateBackendFailure, @unchecked Sendable {
    /// Cached reads by key.
    enum Key: Hashable {
        case account(Address)
        case storage(Address, U256)
        case hasStorage(Address)
        case blockHash(UInt64)
    }

    enum Value {
        case account(AccountInfo?, Hash)
        case word(U256)
        case flag(Bool)
        case hash(Hash?)
    }

    /// A read in progress; waiters block on the semaphore until the fetching thread publishes the value.
    final class InFlight: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var waiters = 0
    }

    struct Caches {
        var values: [Key: Value] = [:]
        var inFlight: [Key: InFlight] = [:]
        var codes: [Hash: [UInt8]] = [AccountInfo.emptyCodeHash: []]
        var remoteReads = 0
        var coalescedReads = 0
        var firstError: ForkedStateError?
        /// While set, a miss is recorded in `deferred` instead of fetched (`deferringReads`).
        var deferring = false
        var deferred: Set<Key> = []
    }

    let provider: UpstreamStateProvider
    let caches = Mutex(Caches())
    let diskCache: ForkedStateDiskCache?

    /// Creates forked state over `provider`.
    /// - Parameter diskCache: an optional on-disk cache (keyed by chain id, block and endpoint by its creator).
    public init(provider: UpstreamStateProvider, diskCache: ForkedStateDiskCache? = nil) {
        self.provider = provider
        self.diskCache = diskCache
        if let diskCache {
            let loaded = diskCache.load()
            caches.withLock { caches in
                for (address, entry) in loaded.accounts {
                    caches.values[.account(address)] = .account(entry.info, entry.info?.codeHash ?? AccountInfo.emptyCodeHash)
                    if let info = entry.info { caches.codes[info.codeHash] = entry.code }
                }
                for (key, value) in loaded.storage { caches.values[.storage(key.0, key.1)] = .word(value) }
            }
        }
    }

    /// Reads served by the upstream so far (cache misses).
    public var remoteReads: Int { caches.withLock { $0.remoteReads } }
    /// Reads that waited for an identical read already in flight.
    public var coalescedReads: Int { caches.withLock { $0.coalescedReads } }
    /// The first failed remote read, if any.
    public var firstError: ForkedStateError? { caches.withLock { $0.firstError } }

    public var failure: String? { firstError?.description }

    /// The first failed remote read since the last call, which forgets it (failed reads are never cached, so a
    /// later read of the same value asks the upstream again). For long-lived forks: check, act, clear.
    public func takeFailure() -> ForkedStateError? {
        caches.withLock { caches in
            defer { caches.firstError = nil }
            return caches.firstError
        }
    }

    /// Throws the first failed remote read, if any.
    public func throwIfFailed() throws(ForkedStateError) {
        if let error = firstError { throw error }
    }

    /// Turns deferred reads on or off. While on, a read that is not cached is not fetched: it is answered as absent
    /// (zero, no account), remembered for `fetchDeferred()`, and counted against the reading thread
    /// (`deferredReadsOnThisThread`), whose caller must then discard what it computed. Many simulations run this way
    /// first send their misses in a few batches, where each miss would otherwise be one round trip.
    public func deferringReads(_ on: Bool) {
        caches.withLock { $0.deferring = on }
    }

    /// Fetches the reads deferred so far, accounts and each contract's slots in one batch each.
    public func fetchDeferred() {
        let keys = caches.withLock { caches in
            defer { caches.deferred.removeAll() }
            return caches.deferred
        }
        var accounts: [Address] = []
        var slots: [Address: [U256]] = [:]
        var others: [Key] = []
        for key in keys {
            switch key {
            case .account(let address): accounts.append(address)
            case .storage(let address, let slot): slots[address, default: []].append(slot)
            default: others.append(key)
            }
        }
        if !accounts.isEmpty { prefetch(accounts: accounts) }
        for (address, keys) in slots { prefetch(address, slots: keys) }
        for key in others {
            switch key {
            case .hasStorage(let address): _ = hasStorage(address)
            case .blockHash(let number): _ = blockHash(number: number)
            default: break
            }
        }
    }

    /// Reads deferred on the calling thread so far (a running count): a simulation that sees it grow read a value
    /// that was not there, and its result means nothing.
    public static var deferredReadsOnThisThread: Int {
        Int(bitPattern: pthread_getspecific(deferredReadsKey))
    }

    /// The count lives in a thread-specific slot (a draft reads it twice: Foundation's thread dictionary, with its
    /// string keys, cost more than some drafts).
    private static let deferredReadsKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key left for the deferred reads' count")
        return key
    }()

    /// Returns the cached value, or fetches it once (other threads asking meanwhile wait for this fetch).
    func value(_ key: Key, describe: @autoclosure () -> String, fetch: () throws -> Value) -> Value? {
        enum Step { case cached(Value), wait(InFlight), fetch(InFlight), deferred }
        let step: Step = caches.withLock { caches in
            if let value = caches.values[key] { return .cached(value) }
            if caches.deferring {
                caches.deferred.insert(key)
                return .deferred
            }
            if let inFlight = caches.inFlight[key] {
                inFlight.waiters += 1
                caches.coalescedReads += 1
                return .wait(inFlight)
            }
            let inFlight = InFlight()
            caches.inFlight[key] = inFlight
            caches.remoteReads += 1
            return .fetch(inFlight)
        }
        switch step {
        case .cached(let value):
            return value
        case .deferred:
            pthread_setspecific(Self.deferredReadsKey, UnsafeRawPointer(bitPattern: Self.deferredReadsOnThisThread + 1))
            return nil
        case .wait(let inFlight):
            inFlight.done.wait()
            return caches.withLock { $0.values[key] }
        case .fetch(let inFlight):
            let result: Result<Value, Error> = Result { try fetch() }
            let description = describe()
            caches.withLock { caches in
                switch result {
                case .success(let value): caches.values[key] = value
                case .failure(let error):
                    if caches.firstError == nil {
                        caches.firstError = ForkedStateError(read: description, underlying: "\(error)")
                    }
                }
                caches.inFlight[key] = nil
                for _ in 0..<inFlight.waiters { inFlight.done.signal() }
            }
            return try? result.get()
        }
    }

    public func account(_ address: Address) -> AccountInfo? {
        let value = self.value(.account(address), describe: "account \(address)") {
            let (info, code) = try provider.account(address)
            let codeHash = info?.codeHash ?? AccountInfo.emptyCodeHash
            caches.withLock { $0.codes[codeHash] = code }
            diskCache?.recordAccount(address, info: info, code: code)
            return .account(info, codeHash)
        }
        if case .account(let info, _)? = value { return info }
        return nil
    }

    public func storage(_ address: Address, _ key: U256) -> U256 {
        let value = self.value(.storage(address, key), describe: "storage \(address) slot \(key.hexString)") {
            let word = try provider.storage(address, key)
            diskCache?.recordStorage(address, key, word)
            return .word(word)
        }
        if case .word(let word)? = value { return word }
        return .zero
    }

    public func code(hash: Hash) -> [UInt8]? {
        caches.withLock { $0.codes[hash] }
    }

    public func hasStorage(_ address: Address) -> Bool {
        let value = self.value(.hasStorage(address), describe: "storage presence of \(address)") {
            .flag(try provider.hasStorage(address))
        }
        if case .flag(let flag)? = value { return flag }
        return false
    }

    public func blockHash(number: UInt64) -> Hash? {
        let value = self.value(.blockHash(number), describe: "block hash \(number)") {
            .hash(try provider.blockHash(number: number))
        }
        if case .hash(let hash)? = value { return hash }
        return nil
    }

    /// Fetches the accounts of `addresses` not read yet in batched upstream round trips (a builder's auction
    /// touches every bundle's senders and recipients at once).
    public func prefetch(accounts addresses: [Address]) {
        let missing = caches.withLock { caches in
            Array(Set(addresses.filter { caches.values[.account($0)] == nil }))
        }
        guard !missing.isEmpty else { return }
        do {
            let answers = try provider.accounts(missing)
            caches.withLock { caches in
                caches.remoteReads += 1
                for (address, answer) in zip(missing, answers) {
                    let codeHash = answer.info?.codeHash ?? AccountInfo.emptyCodeHash
                    caches.codes[codeHash] = answer.code
                    caches.values[.account(address)] = .account(answer.info, codeHash)
                }
            }
            for (address, answer) in zip(missing, answers) { diskCache?.recordAccount(address, info: answer.info, code: answer.code) }
        } catch {
            caches.withLock { caches in
                if caches.firstError == nil {
                    caches.firstError = ForkedStateError(read: "batched accounts", underlying: "\(error)")
                }
            }
        }
    }

    /// Caches accounts read elsewhere at the same block (the fields of `eth_getProof` answers, say) where their code
    /// is known: no code, or code already cached. A zero nonce and balance with no code is cached as absent, as
    /// `JSONRPCUpstream` reads it. Returns the addresses it could not cache (code not known), for `prefetch`.
    public func seed(accounts: [(address: Address, info: AccountInfo)]) -> [Address] {
        let (rest, seeded) = caches.withLock { caches in
            var rest: [Address] = []
            var seeded: [(Address, AccountInfo?, [UInt8])] = []
            for (address, info) in accounts where caches.values[.account(address)] == nil {
                guard let code = caches.codes[info.codeHash] else {
                    rest.append(address)
                    continue
                }
                let absent = info.nonce == 0 && info.balance.isZero && info.codeHash == AccountInfo.emptyCodeHash
                caches.values[.account(address)] = .account(absent ? nil : info, info.codeHash)
                seeded.append((address, absent ? nil : info, code))
            }
            return (rest, seeded)
        }
        if let diskCache {
            for (address, info, code) in seeded { diskCache.recordAccount(address, info: info, code: code) }
        }
        return rest
    }

    /// Fetches many slots of one account in a single upstream round trip (what a builder does with access lists).
    public func prefetch(_ address: Address, slots: [U256]) {
        let missing = caches.withLock { caches in slots.filter { caches.values[.storage(address, $0)] == nil } }
        guard !missing.isEmpty else { return }
        do {
            let words = try provider.storage(address, missing)
            caches.withLock { caches in
                caches.remoteReads += 1
                for (key, word) in zip(missing, words) { caches.values[.storage(address, key)] = .word(word) }
            }
            for (key, word) in zip(missing, words) { diskCache?.recordStorage(address, key, word) }
        } catch {
            caches.withLock { caches in
                if caches.firstError == nil {
                    caches.firstError = ForkedStateError(read: "batched storage of \(address)", underlying: "\(error)")
                }
            }
        }
    }
}

/// An append-only on-disk cache of forked reads, one file per (chain id, block, endpoint), so a restarted builder
/// or a repeated `lockstep call` does not fetch the same state again. Lines are self-contained; a torn last line
/// from a crash is ignored on load.
public final class ForkedStateDiskCache: @unchecked Sendable {
    let url: URL
    let handle: Mutex<FileHandle?>

    /// Opens (or creates) the cache file for this chain, block and endpoint under `directory`.
    public init(directory: URL, chainId: UInt64, blockNumber: UInt64, endpoint: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let endpointTag = Keccak256.hash(Array(endpoint.utf8)).hexString.dropFirst(2).prefix(12)
        url = directory.appendingPathComponent("chain\(chainId)-block\(blockNumber)-\(endpointTag).cache")
        if !FileManager.default.fileExists(atPath: url.path) {
            FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let file = try FileHandle(forWritingTo: url)
        try file.seekToEnd()
        handle = Mutex(file)
    }

    func load() -> (accounts: [Address: (info: AccountInfo?, code: [UInt8])], storage: [((Address, U256), U256)]) {
        guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8) else { return ([:], []) }
        var accounts: [Address: (info: AccountInfo?, code: [UInt8])] = [:]
        var storage: [((Address, U256), U256)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let fields = line.split(separator: " ").map(String.init)
            switch fields.first {
            case "a" where fields.count == 2:
                if let address = try? Address(hex: fields[1]) { accounts[address] = (nil, []) }
            case "a" where fields.count == 5:
                if let address = try? Address(hex: fields[1]), let nonce = UInt64(fields[2]),
                   let balance = try? U256(hex: fields[3]), let code = try? Hex.decode(fields[4]) {
                    accounts[address] = (AccountInfo(nonce: nonce, balance: balance, codeHash: Keccak256.hash(code)), code)
                }
            case "s" where fields.count == 4:
                if let address = try? Address(hex: fields[1]), let key = try? U256(hex: fields[2]),
                   let value = try? U256(hex: fields[3]) {
                    storage.append(((address, key), value))
                }
            default:
                continue  // a torn or unknown line
            }
        }
        return (accounts, storage)
    }

    func append(_ line: String) {
        handle.withLock { file in
            file?.write(Data((line + "\n").utf8))
        }
    }

    func recordAccount(_ address: Address, info: AccountInfo?, code: [UInt8]) {
        guard let info else { return append("a \(address.hexString)") }
        append("a \(address.hexString) \(info.nonce) \(info.balance.hexString) \(code.hexString)")
    }

    func recordStorage(_ address: Address, _ key: U256, _ value: U256) {
        append("s \(address.hexString) \(key.hexString) \(value.hexString)")
    }
}
