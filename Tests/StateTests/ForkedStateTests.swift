import EVM
import Foundation
import Primitives
import Synchronization
import Testing
@testable import State

/// An upstream that serves an in-memory state, counts its reads, can be slowed down (to make reads overlap) and can
/// be told to fail.
final class CountingUpstream: UpstreamStateProvider, @unchecked Sendable {
    let state: InMemoryState
    let reads = Mutex(0)
    let delayMicroseconds: UInt32
    let failing: Bool

    init(state: InMemoryState, delayMicroseconds: UInt32 = 0, failing: Bool = false) {
        self.state = state
        self.delayMicroseconds = delayMicroseconds
        self.failing = failing
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "HTTP 500 from upstream" }
    }

    func record() throws {
        reads.withLock { $0 += 1 }
        if delayMicroseconds > 0 { usleep(delayMicroseconds) }
        if failing { throw Failure() }
    }

    func account(_ address: Address) throws -> (info: AccountInfo?, code: [UInt8]) {
        try record()
        let info = state.account(address)
        return (info, info.flatMap { state.code(hash: $0.codeHash) } ?? [])
    }

    func storage(_ address: Address, _ key: U256) throws -> U256 {
        try record()
        return state.storage(address, key)
    }

    func storage(_ address: Address, _ keys: [U256]) throws -> [U256] {
        try record()
        return keys.map { state.storage(address, $0) }
    }

    func hasStorage(_ address: Address) throws -> Bool {
        try record()
        return state.hasStorage(address)
    }

    func blockHash(number: UInt64) throws -> Hash? {
        try record()
        return state.blockHash(number: number)
    }
}

@Suite("Forked state and overlays")
struct ForkedStateTests {
    static let alice = try! Address(hex: "0x00000000000000000000000000000000000a11ce")
    static let token = try! Address(hex: "0x0000000000000000000000000000000000007070")

    static func base() -> InMemoryState {
        InMemoryState(accounts: [
            alice: .init(nonce: 3, balance: U256(1_000)),
            token: .init(code: [0x60, 0x00, 0x54, 0x00], storage: [U256(1): U256(42), U256(2): U256(7)]),
        ])
    }

    @Test("Reads come from the upstream once, then from the cache")
    func caching() {
        let upstream = CountingUpstream(state: Self.base())
        let forked = ForkedState(provider: upstream)
        #expect(forked.account(Self.alice)?.nonce == 3)
        #expect(forked.account(Self.alice)?.balance == U256(1_000))
        #expect(forked.storage(Self.token, U256(1)) == U256(42))
        #expect(forked.storage(Self.token, U256(1)) == U256(42))
        let tokenInfo = forked.account(Self.token)
        #expect(tokenInfo.flatMap { forked.code(hash: $0.codeHash) } == [0x60, 0x00, 0x54, 0x00])
        #expect(upstream.reads.withLock { $0 } == 3)
        #expect(forked.remoteReads == 3)
        #expect(forked.firstError == nil)
    }

    @Test("Identical reads in flight at once are coalesced into one upstream request")
    func coalescing() {
        // The upstream takes 300 ms, so reads started by 8 dedicated threads overlap the first one.
        let upstream = CountingUpstream(state: Self.base(), delayMicroseconds: 300_000)
        let forked = ForkedState(provider: upstream)
        let done = DispatchGroup()
        let values = Mutex<[U256]>([])
        for _ in 0..<8 {
            done.enter()
            Thread {
                let value = forked.storage(Self.token, U256(2))
                values.withLock { $0.append(value) }
                done.leave()
            }.start()
        }
        done.wait()
        #expect(values.withLock { $0 } == [U256](repeating: U256(7), count: 8))
        #expect(upstream.reads.withLock { $0 } == 1)
        #expect(forked.coalescedReads >= 1)
    }

    @Test("Deferred reads answer absent, are counted against the reading thread, and are fetched later in batches")
    func deferredReads() {
        let upstream = CountingUpstream(state: Self.base())
        let forked = ForkedState(provider: upstream)
        #expect(forked.storage(Self.token, U256(1)) == U256(42))  // cached before deferring
        forked.deferringReads(true)
        let before = ForkedState.deferredReadsOnThisThread
        #expect(forked.storage(Self.token, U256(1)) == U256(42), "a cached value is still served")
        #expect(ForkedState.deferredReadsOnThisThread == before)
        #expect(forked.account(Self.alice) == nil)
        #expect(forked.storage(Self.token, U256(2)) == .zero)
        #expect(forked.storage(Self.token, U256(3)) == .zero)
        #expect(ForkedState.deferredReadsOnThisThread == before + 3)
        #expect(upstream.reads.withLock { $0 } == 1, "nothing was fetched while deferring")
        // Another thread's count is its own.
        let other = Mutex(-1)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            let start = ForkedState.deferredReadsOnThisThread
            _ = forked.storage(Self.token, U256(4))
            other.withLock { $0 = ForkedState.deferredReadsOnThisThread - start }
            finished.signal()
        }.start()
        finished.wait()
        #expect(other.withLock { $0 } == 1)
        #expect(ForkedState.deferredReadsOnThisThread == before + 3)
        forked.deferringReads(false)
        forked.fetchDeferred()
        // The account in one batch, the token's three slots in another.
        #expect(upstream.reads.withLock { $0 } == 3)
        #expect(forked.account(Self.alice)?.nonce == 3)
        #expect(forked.storage(Self.token, U256(2)) == U256(7))
        #expect(forked.storage(Self.token, U256(3)) == .zero)
        #expect(upstream.reads.withLock { $0 } == 3, "the deferred values are cached once fetched")
        #expect(forked.firstError == nil)
    }

    @Test("Seeded accounts are served without a read where their code is known; the rest are left to fetch")
    func seededAccounts() {
        let upstream = CountingUpstream(state: Self.base())
        let forked = ForkedState(provider: upstream)
        let stranger = Address(word: U256(0x5151))
        let codeHash = Keccak256.hash([0x60, 0x00, 0x54, 0x00])
        let rest = forked.seed(accounts: [
            (Self.alice, AccountInfo(nonce: 3, balance: U256(1_000), codeHash: AccountInfo.emptyCodeHash)),
            (stranger, AccountInfo(nonce: 0, balance: .zero, codeHash: AccountInfo.emptyCodeHash)),
            (Self.token, AccountInfo(nonce: 0, balance: .zero, codeHash: codeHash)),  // its code is not cached yet
        ])
        #expect(rest == [Self.token])
        #expect(forked.account(Self.alice)?.nonce == 3)
        #expect(forked.account(stranger) == nil, "zero nonce, balance and code: absent")
        #expect(upstream.reads.withLock { $0 } == 0)
        forked.prefetch(accounts: rest)
        #expect(forked.account(Self.token)?.codeHash == codeHash && forked.code(hash: codeHash) == [0x60, 0x00, 0x54, 0x00])
        #expect(upstream.reads.withLock { $0 } == 1)
        // An account read already keeps its value.
        #expect(forked.seed(accounts: [(Self.alice, AccountInfo(nonce: 9, balance: .zero, codeHash: AccountInfo.emptyCodeHash))]).isEmpty)
        #expect(forked.account(Self.alice)?.nonce == 3)
    }

    @Test("A later fork inherits an earlier one's reads as a state diff leaves them, and reads again only what it changed")
    func inheritedReads() {
        // The earlier block: alice, the token (slots 1, 2) and bob, all read once.
        let bob = Address(word: U256(0xb0b))
        let tokenCode: [UInt8] = [0x60, 0x00, 0x54, 0x00]
        let earlierState = InMemoryState(accounts: [
            Self.alice: .init(nonce: 3, balance: U256(1_000)),
            Self.token: .init(code: tokenCode, storage: [U256(1): U256(42), U256(2): U256(7)]),
            bob: .init(nonce: 1, balance: U256(5)),
        ])
        earlierState.blockHashes[1] = Hash(word: U256(0x1234))
        let earlier = ForkedState(provider: CountingUpstream(state: earlierState))
        _ = earlier.account(Self.alice)
        _ = earlier.account(Self.token)
        _ = earlier.storage(Self.token, U256(1))
        _ = earlier.storage(Self.token, U256(2))
        _ = earlier.account(bob)
        _ = earlier.blockHash(number: 1)
        // The later block: alice paid 10 wei, the token's slot 2 written (its account unchanged), bob deleted.
        let laterState = InMemoryState(accounts: [
            Self.alice: .init(nonce: 4, balance: U256(990)),
            Self.token: .init(code: tokenCode, storage: [U256(1): U256(42), U256(2): U256(8)]),
        ])
        let diff = StateDiff(from: Hash(word: U256(1)), to: Hash(word: U256(2)), entries: [
            .init(address: Self.alice, info: AccountInfo(nonce: 4, balance: U256(990), codeHash: AccountInfo.emptyCodeHash),
                  accountChanged: true, storageCleared: false, storage: [:]),
            .init(address: Self.token, info: laterState.account(Self.token), accountChanged: false, storageCleared: false,
                  storage: [U256(2): U256(8)]),
            .init(address: bob, info: nil, accountChanged: true, storageCleared: true, storage: [:]),
        ])
        let upstream = CountingUpstream(state: laterState)
        let later = ForkedState(provider: upstream)
        #expect(later.inherit(from: earlier, diff: diff) > 0)
        #expect(later.account(Self.alice)?.balance == U256(990) && later.account(Self.alice)?.nonce == 4)
        #expect(later.storage(Self.token, U256(1)) == U256(42), "an untouched slot is the earlier fork's")
        #expect(later.storage(Self.token, U256(2)) == U256(8), "a written slot is the diff's")
        #expect(later.account(Self.token)?.codeHash == Keccak256.hash([0x60, 0x00, 0x54, 0x00]))
        #expect(later.code(hash: Keccak256.hash([0x60, 0x00, 0x54, 0x00])) == [0x60, 0x00, 0x54, 0x00])
        #expect(later.account(bob) == nil, "a deleted account is absent")
        _ = later.blockHash(number: 1)
        #expect(upstream.reads.withLock { $0 } == 0, "everything came from the earlier fork or the diff")
        // What neither read is fetched at the later block.
        #expect(later.storage(Self.token, U256(3)) == .zero)
        #expect(upstream.reads.withLock { $0 } == 1)
        // Values the later fork already had are kept.
        let other = ForkedState(provider: CountingUpstream(state: laterState))
        _ = other.storage(Self.token, U256(1))
        other.inherit(from: earlier, diff: StateDiff(from: diff.from, to: diff.to, entries: []))
        #expect(other.account(Self.alice)?.nonce == 3, "an empty diff: the earlier values stand")
    }

    @Test("A failed remote read is recorded and surfaces as an error, never as a result")
    func failures() {
        let forked = ForkedState(provider: CountingUpstream(state: Self.base(), failing: true))
        #expect(forked.account(Self.alice) == nil)
        #expect(forked.failure?.contains("HTTP 500") == true)
        #expect(throws: ForkedStateError.self) { try forked.throwIfFailed() }
    }

    @Test("The on-disk cache serves a second run without upstream reads")
    func diskCache() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-fork-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = ForkedState(provider: CountingUpstream(state: Self.base()),
                                diskCache: try ForkedStateDiskCache(directory: directory, chainId: 1, blockNumber: 9,
                                                                    endpoint: "http://127.0.0.1:1"))
        _ = first.account(Self.token)
        _ = first.account(Self.alice)
        _ = first.storage(Self.token, U256(1))
        let upstream = CountingUpstream(state: Self.base())
        let second = ForkedState(provider: upstream,
                                 diskCache: try ForkedStateDiskCache(directory: directory, chainId: 1, blockNumber: 9,
                                                                     endpoint: "http://127.0.0.1:1"))
        #expect(second.account(Self.alice)?.balance == U256(1_000))
        #expect(second.storage(Self.token, U256(1)) == U256(42))
        #expect(second.account(Self.token).flatMap { second.code(hash: $0.codeHash) } == [0x60, 0x00, 0x54, 0x00])
        #expect(upstream.reads.withLock { $0 } == 0)
        // Another block is another file: nothing shared.
        let other = ForkedState(provider: upstream,
                                diskCache: try ForkedStateDiskCache(directory: directory, chainId: 1, blockNumber: 10,
                                                                    endpoint: "http://127.0.0.1:1"))
        _ = other.account(Self.alice)
        #expect(upstream.reads.withLock { $0 } == 1)
    }

    @Test("Overlays keep writes to themselves, nest, discard and commit")
    func overlays() {
        let forked = ForkedState(provider: CountingUpstream(state: Self.base()))
        let simulation = StateOverlay(parent: forked)
        let state = JournaledState(backend: simulation)
        state.setBalance(Self.alice, U256(5))
        state.sstore(Self.token, U256(1), U256(99))
        state.finishTransaction()
        simulation.apply(state.takeChanges())
        #expect(simulation.account(Self.alice)?.balance == U256(5))
        #expect(simulation.storage(Self.token, U256(1)) == U256(99))
        #expect(forked.account(Self.alice)?.balance == U256(1_000))
        #expect(forked.storage(Self.token, U256(1)) == U256(42))

        // A nested overlay that is discarded leaves its parent as it was.
        let speculative = simulation.child()
        speculative.apply([AccountChange(address: Self.alice, info: nil, code: nil, storage: [:], storageCleared: true)])
        #expect(speculative.account(Self.alice) == nil)
        #expect(simulation.account(Self.alice)?.balance == U256(5))

        // A committed one folds into it.
        let accepted = simulation.child()
        accepted.apply([AccountChange(address: Self.token, info: forked.account(Self.token), code: nil,
                                      storage: [U256(2): .zero], storageCleared: false)])
        #expect(accepted.commit())
        #expect(simulation.storage(Self.token, U256(2)) == .zero)
        #expect(simulation.storage(Self.token, U256(1)) == U256(99))
        // The shared base is never written.
        #expect(!simulation.commit())
        #expect(forked.storage(Self.token, U256(2)) == U256(7))
    }
}
