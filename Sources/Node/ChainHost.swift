import Foundation

/// A node's chain owner (a `NodeChain`, or the policy object wrapping one) on its own `ChainThread`: every job
/// touching it runs there, in the order submitted, so it needs no lock. Async servers hand work to it and await
/// the answer.
public final class ChainHost<Owner: AnyObject>: @unchecked Sendable {
    // @unchecked: `owner` is touched only by jobs on `thread`.
    private let thread: ChainThread
    private let owner: Owner

    /// Creates the owner with `make`, on the chain thread (replaying a long log needs its large stack).
    public init(name: String = "lockstep-chain", make: @escaping @Sendable () throws -> Owner) throws {
        let thread = ChainThread(name: name)
        let made = try thread.runBlocking { UncheckedOwner(try make()) }
        self.thread = thread
        self.owner = made.value
    }

    /// Runs `body` with the owner, on the chain thread, and returns its result (errors pass through unchanged).
    public func run<T: Sendable>(_ body: @escaping @Sendable (Owner) throws -> T) async throws -> T {
        let owner = UncheckedOwner(owner)
        return try await thread.run { try body(owner.value) }
    }

    /// Runs `body` with the owner and blocks the caller until it is done (start-up, tests).
    public func runBlocking<T: Sendable>(_ body: @escaping @Sendable (Owner) throws -> T) throws -> T {
        let owner = UncheckedOwner(owner)
        return try thread.runBlocking { try body(owner.value) }
    }

    /// Lets the thread finish the queued jobs and exit.
    public func stop() { thread.stop() }

    private struct UncheckedOwner: @unchecked Sendable {
        let value: Owner
        init(_ value: Owner) { self.value = value }
    }
}

/// Runs CPU-heavy or blocking work that needs no chain state (the KZG checks of a blob sidecar, a call to a fork's
/// upstream) on a global queue, off both the chain thread and Swift's cooperative pool.
public func offChainThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, Error> = await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: Result { try body() }) }
    }
    return try result.get()
}

/// Runs `tick` at each multiple of `interval` seconds of the wall clock until the task is cancelled: slot starts
/// on the L1, block times on the L2. A tick that overruns delays the next; none is made up in a burst.
public func repeatOnClockGrid(every interval: Double, _ tick: () async -> Void) async {
    guard interval > 0 else { return }
    while !Task.isCancelled {
        let now = Date().timeIntervalSince1970
        let next = (now / interval).rounded(.down) * interval + interval
        try? await Task.sleep(nanoseconds: UInt64(max(0, next - now) * 1e9))
        if Task.isCancelled { break }
        await tick()
    }
}
