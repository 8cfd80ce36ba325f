import EVM
import Foundation
import Primitives
import Testing
@testable import Store
import StoreTestSupport

/// The chain store: round trips, deletion semantics, reopening, refused input and refused files.
///
/// Serialized (with the crash test, which extends this suite): the crash test forks, and a fork must not happen
/// while another thread of the process holds one of SQLite's global locks.
@Suite("Chain store", .serialized)
struct StoreTests {
    // MARK: Helpers

    /// A fresh directory, removed when `body` returns.
    static func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("lockstep-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory)
    }

    static func address(_ value: UInt64) -> Address { Address(word: U256(value)) }

    /// Checks every account, slot and code of `expected` through the store's StateBackend reads, and the root.
    static func expectState(_ store: ChainStore, equals expected: [Address: InMemoryState.Account],
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (address, account) in expected {
            let info = try #require(store.account(address), "account \(address) missing",
                                    sourceLocation: sourceLocation)
            #expect(info.nonce == account.nonce, sourceLocation: sourceLocation)
            #expect(info.balance == account.balance, sourceLocation: sourceLocation)
            #expect(info.codeHash == Keccak256.hash(account.code), sourceLocation: sourceLocation)
            #expect(store.code(hash: info.codeHash) == account.code, sourceLocation: sourceLocation)
            #expect(store.hasStorage(address) == !account.storage.isEmpty, sourceLocation: sourceLocation)
            for (slot, value) in account.storage {
                #expect(store.storage(address, slot) == value, sourceLocation: sourceLocation)
            }
        }
        let stored = try store.loadFlatState()
        #expect(Set(stored.keys) == Set(expected.keys), sourceLocation: sourceLocation)
        for (address, account) in stored {
            #expect(account.storage == expected[address]?.storage, "storage of \(address)",
                    sourceLocation: sourceLocation)
        }
        var model = SyntheticChain(accounts: expected)
        #expect(try store.stateRoot() == model.stateRoot(), sourceLocation: sourceLocation)
        #expect(try store.accountCount == expected.count, sourceLocation: sourceLocation)
        #expect(store.failure == nil, sourceLocation: sourceLocation)
    }

    /// Commits the synthetic chain's next block.
    static func commitNext(_ store: ChainStore, _ chain: inout SyntheticChain) throws {
        let number = store.head().map { $0.number + 1 } ?? 0
        let parent = store.head()?.hash ?? .zero
        let changes = chain.changes(forBlock: number)
        let root = chain.stateRoot()
        try store.commitBlock(number: number, hash: SyntheticChain.blockHash(number: number, parent: parent),
                              parentHash: parent, stateRoot: root, header: [0xf9, UInt8(number & 0xff)],
                              body: [], changes: changes)
    }

    static let code: [UInt8] = [0x60, 0x01, 0x60, 0x00, 0x55, 0x00]

    // MARK: Round trips

    @Test("a committed block reads back: accounts, storage, code, block, head, root", arguments: [0, 200_000])
    func roundTrip(cacheLimit: Int) throws {
        try Self.withTemporaryDirectory { directory in
            let store = try ChainStore(path: directory.appendingPathComponent("chain.sqlite").path,
                                       cacheLimit: cacheLimit)
            #expect(store.head() == nil)
            #expect(try store.block(number: 0) == nil)
            try store.verifyConsistency()

            let contract = Self.address(0xc0de)
            let user = Self.address(0x1234)
            let big = U256(w0: .max, w1: 1, w2: 2, w3: .max)
            var expected: [Address: InMemoryState.Account] = [
                contract: InMemoryState.Account(nonce: 1, balance: 0, code: Self.code,
                                                storage: [0: 1, 1: big, U256(w0: 0, w1: 0, w2: 0, w3: 1): 7]),
                user: InMemoryState.Account(nonce: .max, balance: big, code: [], storage: [:]),
            ]
            let changes = expected.map { address, account in
                AccountChange(address: address,
                              info: AccountInfo(nonce: account.nonce, balance: account.balance,
                                                codeHash: Keccak256.hash(account.code)),
                              code: account.code.isEmpty ? nil : account.code, storage: account.storage,
                              storageCleared: false)
            }
            var model = SyntheticChain(accounts: expected)
            let root = model.stateRoot()
            let hash = Hash(leftPadding: [0xaa])
            try store.commitBlock(number: 0, hash: hash, parentHash: .zero, stateRoot: root,
                                  header: [1, 2, 3], body: [], changes: changes)

            #expect(store.head()?.number == 0)
            #expect(store.head()?.hash == hash)
            #expect(store.blockHash(number: 0) == hash)
            #expect(store.blockHash(number: 1) == nil)
            #expect(try store.block(number: 0)
                == StoredBlock(number: 0, hash: hash, parentHash: .zero, stateRoot: root, header: [1, 2, 3], body: []))
            #expect(store.account(Self.address(0xdead)) == nil)
            #expect(store.storage(contract, 99) == .zero)
            #expect(store.code(hash: AccountInfo.emptyCodeHash) == [])
            #expect(store.code(hash: Hash(leftPadding: [1])) == nil)
            try Self.expectState(store, equals: expected)
            try store.verifyConsistency()

            // A second block on top, changing one slot.
            expected[contract]?.storage[0] = 2
            var next = SyntheticChain(accounts: expected)
            try store.commitBlock(number: 1, hash: Hash(leftPadding: [0xbb]), parentHash: hash,
                                  stateRoot: next.stateRoot(), header: [], body: [9],
                                  changes: [AccountChange(address: contract,
                                                          info: AccountInfo(nonce: 1, balance: 0,
                                                                            codeHash: Keccak256.hash(Self.code)),
                                                          code: nil, storage: [0: 2], storageCleared: false)])
            try Self.expectState(store, equals: expected)
            try store.verifyConsistency()
        }
    }

    @Test("deleted accounts lose their storage; storageCleared wipes before applying; zero deletes a slot",
          arguments: [0, 200_000])
    func deletionAndWipe(cacheLimit: Int) throws {
        try Self.withTemporaryDirectory { directory in
            let store = try ChainStore(path: directory.appendingPathComponent("chain.sqlite").path,
                                       cacheLimit: cacheLimit)
            let doomed = Self.address(1), wiped = Self.address(2), edited = Self.address(3)
            let info = AccountInfo(nonce: 1, balance: 10, codeHash: AccountInfo.emptyCodeHash)
            var expected: [Address: InMemoryState.Account] = [
                doomed: InMemoryState.Account(nonce: 1, balance: 10, storage: [1: 1, 2: 2]),
                wiped: InMemoryState.Account(nonce: 1, balance: 10, storage: [1: 1, 2: 2, 3: 3]),
                edited: InMemoryState.Account(nonce: 1, balance: 10, storage: [1: 1, 2: 2]),
            ]
            var model = SyntheticChain(accounts: expected)
            try store.commitBlock(number: 5, hash: Hash(leftPadding: [5]), parentHash: Hash(leftPadding: [4]),
                                  stateRoot: model.stateRoot(), header: [], body: [],
                                  changes: expected.map { address, account in
                                      AccountChange(address: address, info: info, code: nil,
                                                    storage: account.storage, storageCleared: false)
                                  })
            try Self.expectState(store, equals: expected)  // also warms the cache with every slot

            expected[doomed] = nil
            expected[wiped]?.storage = [3: 30, 4: 4]
            expected[edited]?.storage = [2: 2, 5: 5]
            model = SyntheticChain(accounts: expected)
            try store.commitBlock(
                number: 6, hash: Hash(leftPadding: [6]), parentHash: Hash(leftPadding: [5]),
                stateRoot: model.stateRoot(), header: [], body: [],
                changes: [
                    AccountChange(address: doomed, info: nil, code: nil, storage: [7: 7], storageCleared: false),
                    AccountChange(address: wiped, info: info, code: nil, storage: [3: 30, 4: 4, 9: 0],
                                  storageCleared: true),
                    AccountChange(address: edited, info: info, code: nil, storage: [1: 0, 5: 5],
                                  storageCleared: false),
                ])
            #expect(store.account(doomed) == nil)
            #expect(!store.hasStorage(doomed))
            for slot: U256 in [1, 2, 7] { #expect(store.storage(doomed, slot) == .zero) }
            for slot: U256 in [1, 2, 9] { #expect(store.storage(wiped, slot) == .zero) }
            #expect(store.storage(edited, 1) == .zero)
            try Self.expectState(store, equals: expected)
            try store.verifyConsistency()

            // Deleting every slot one by one leaves no storage.
            expected[edited]?.storage = [:]
            model = SyntheticChain(accounts: expected)
            try store.commitBlock(number: 7, hash: Hash(leftPadding: [7]), parentHash: Hash(leftPadding: [6]),
                                  stateRoot: model.stateRoot(), header: [], body: [],
                                  changes: [AccountChange(address: edited, info: info, code: nil,
                                                          storage: [2: 0, 5: 0], storageCleared: false)])
            #expect(!store.hasStorage(edited))
            try Self.expectState(store, equals: expected)
        }
    }

    @Test("a reopened store sees the committed head, blocks and state")
    func reopen() throws {
        try Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("chain.sqlite").path
            var chain = SyntheticChain()
            var head: (number: UInt64, hash: Hash)?
            do {
                let store = try ChainStore(path: path)
                for _ in 0..<40 { try Self.commitNext(store, &chain) }
                head = store.head()
            }
            let store = try ChainStore(path: path)
            let reopenedHead = try #require(store.head())
            #expect(reopenedHead.number == 39)
            #expect(reopenedHead.hash == head?.hash)
            #expect(try store.block(number: 39)?.stateRoot == chain.stateRoot())
            #expect(try store.block(number: 0)?.parentHash == .zero)
            try store.verifyConsistency()
            try Self.expectState(store, equals: chain.accounts)
            // And the chain continues.
            try Self.commitNext(store, &chain)
            #expect(store.head()?.number == 40)
            try store.verifyConsistency()
        }
    }

    // MARK: Refused input

    @Test("a block that does not extend the head, or carries code that does not match its hash, changes nothing")
    func invalidBlocks() throws {
        try Self.withTemporaryDirectory { directory in
            let store = try ChainStore(path: directory.appendingPathComponent("chain.sqlite").path)
            var chain = SyntheticChain()
            for _ in 0..<3 { try Self.commitNext(store, &chain) }
            let head = try #require(store.head())
            let target = Self.address(0xfeed)
            let change = AccountChange(address: target,
                                       info: AccountInfo(nonce: 1, balance: 1, codeHash: AccountInfo.emptyCodeHash),
                                       code: nil, storage: [1: 1], storageCleared: false)

            func expectRefused(number: UInt64, parentHash: Hash, changes: [AccountChange],
                               mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) {
                do {
                    try store.commitBlock(number: number, hash: Hash(leftPadding: [0x77]), parentHash: parentHash,
                                          stateRoot: .zero, header: [], body: [], changes: changes)
                    Issue.record("block \(number) was accepted", sourceLocation: sourceLocation)
                } catch {
                    #expect(error.code == .constraint, sourceLocation: sourceLocation)
                    #expect(error.message.contains(text), "\(error)", sourceLocation: sourceLocation)
                }
            }
            expectRefused(number: head.number + 1, parentHash: Hash(leftPadding: [0xba, 0xd]), changes: [change],
                          mentioning: "parent hash")
            expectRefused(number: head.number + 2, parentHash: head.hash, changes: [change],
                          mentioning: "does not extend the head")
            expectRefused(number: head.number, parentHash: head.hash, changes: [change],
                          mentioning: "does not extend the head")
            var badCode = change
            badCode.code = [0x00]
            expectRefused(number: head.number + 1, parentHash: head.hash, changes: [badCode],
                          mentioning: "code hashes to")
            expectRefused(number: UInt64.max, parentHash: head.hash, changes: [change], mentioning: "too large")

            // Nothing changed, through the cache and from the database.
            #expect(store.head()?.number == head.number)
            #expect(store.head()?.hash == head.hash)
            #expect(store.account(target) == nil)
            #expect(store.storage(target, 1) == .zero)
            #expect(try store.block(number: head.number + 1) == nil)
            try store.verifyConsistency()
            try Self.expectState(store, equals: chain.accounts)
            let reopened = try ChainStore(path: store.path)
            #expect(reopened.head()?.hash == head.hash)
            #expect(reopened.account(target) == nil)
            try reopened.verifyConsistency()

            // The store still accepts the right block.
            try Self.commitNext(store, &chain)
            try store.verifyConsistency()
        }
    }

    @Test("verifyConsistency reports a recorded root that the flat state does not match")
    func wrongRecordedRoot() throws {
        try Self.withTemporaryDirectory { directory in
            let store = try ChainStore(path: directory.appendingPathComponent("chain.sqlite").path)
            try store.commitBlock(number: 0, hash: Hash(leftPadding: [1]), parentHash: .zero,
                                  stateRoot: Hash(leftPadding: [0x0b, 0xad]), header: [], body: [],
                                  changes: [AccountChange(address: Self.address(1),
                                                          info: AccountInfo(nonce: 0, balance: 1,
                                                                            codeHash: AccountInfo.emptyCodeHash),
                                                          code: nil, storage: [:], storageCleared: false)])
            let error = #expect(throws: StoreError.self) { try store.verifyConsistency() }
            #expect(error?.code == .inconsistent)
            #expect(error?.message.contains("state root") == true, "\(String(describing: error))")
        }
    }

    // MARK: Refused files

    @Test("a store of another schema version, or another application's database, is refused")
    func schemaMismatch() throws {
        try Self.withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("chain.sqlite").path
            do {
                let store = try ChainStore(path: path)
                try store.connection.execute("UPDATE schema_version SET version = 99", context: "test")
            }
            let versionError = #expect(throws: StoreError.self) { try ChainStore(path: path) }
            #expect(versionError?.code == .schemaMismatch)
            #expect(versionError?.message.contains("schema version 99") == true,
                    "\(String(describing: versionError))")

            let foreign = directory.appendingPathComponent("foreign.sqlite").path
            do {
                let connection = try SQLiteConnection(path: foreign)
                try connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)", context: "test")
            }
            let foreignError = #expect(throws: StoreError.self) { try ChainStore(path: foreign) }
            #expect(foreignError?.code == .schemaMismatch)
        }
    }

    @Test("a file that is not a database is corrupt; an unreachable path cannot be opened")
    func unopenable() throws {
        try Self.withTemporaryDirectory { directory in
            let garbage = directory.appendingPathComponent("garbage.sqlite")
            try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: garbage)
            let corrupt = #expect(throws: StoreError.self) { try ChainStore(path: garbage.path) }
            #expect(corrupt?.code == .corrupt, "\(String(describing: corrupt))")
            let missing = directory.appendingPathComponent("no/such/directory/chain.sqlite").path
            let unopenable = #expect(throws: StoreError.self) { try ChainStore(path: missing) }
            #expect(unopenable?.code == .cannotOpen, "\(String(describing: unopenable))")
        }
    }

    @Test("an undecodable row is a recorded read failure, never a crash")
    func undecodableRow() throws {
        try Self.withTemporaryDirectory { directory in
            let store = try ChainStore(path: directory.appendingPathComponent("chain.sqlite").path, cacheLimit: 0)
            var chain = SyntheticChain()
            try Self.commitNext(store, &chain)
            let address = try #require(chain.accounts.keys.min())
            try store.connection.execute("UPDATE accounts SET balance = x'01'", context: "test")
            #expect(store.account(address) == nil)
            #expect(store.failure?.contains("cannot be decoded") == true)
            #expect(store.takeReadFailure()?.code == .corrupt)
            #expect(store.failure == nil)
            #expect(throws: StoreError.self) { try store.stateRoot() }
        }
    }
}
