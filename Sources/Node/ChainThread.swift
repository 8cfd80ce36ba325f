import Foundation
import Synchronization

/// One thread, with a stack large enough for 1,024 nested EVM calls, that runs every job touching the chain in
/// the order submitted. The async server hands work to it and awaits the answer; the chain itself needs no lock.
final class ChainThread: @unchecked Sendable {
    // @unchecked: `jobs` is guarded by `lock`; the worker thread is the only reader of dequeued jobs.
    private let lock = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopped = false

    init(name: String = "lockstep-chain", stackSize: Int = 256 << 20) {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        thread.stackSize = stackSize
        thread.start()
    }

    private func loop() {
        while true {
            lock.lock()
            while jobs.isEmpty && !stopped { lock.wait() }
            if jobs.isEmpty && stopped {
                lock.unlock()
                return
            }
            // Everything queued, in order, with one lock round (a batch's reads arrive hundreds at a time).
            let queued = jobs
            jobs.removeAll(keepingCapacity: true)
            lock.unlock()
            for job in queued { job() }
        }
    }

    /// Queues `job` without waiting.
    func submit(_ job: @escaping @Sendable () -> Void) {
        lock.lock()
        jobs.append(job)
        lock.signal()
        lock.unlock()
    }

    /// Runs `body` on the chain thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            submit {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    /// Runs `body` on the chain thread and blocks the caller until it is done (for start-up and tests).
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let result = Mutex<Result<T, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        submit {
            let outcome = Result { try body() }
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.withLock { $0 }!.get()
    }

    /// Lets the thread finish the queued jobs and exit.
    func stop() {
        lock.lock()
        stopped = true
        lock.signal()
        lock.unlock()
    }
}
