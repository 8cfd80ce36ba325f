#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EVM
import Foundation
import Primitives
import Testing
@testable import Store
import StoreTestSupport

/// Crash safety: a writer process is killed with SIGKILL at random moments; each time, the reopened store must
/// be consistent, its head a block whose full state is present, and no block the writer saw committed lost.
///
/// The writer is a `fork()` of the test process. Forking a multithreaded process is safe only if the child
/// touches nothing another thread may have locked at the fork: the child runs `ChainStore.runCrashTestWriter`
/// (SQLite, its own memory, `write(2)`) and `_exit`s, never returning into the test runner or Swift
/// concurrency; the suite is serialized so that no other store test holds a SQLite lock during the fork; and a
/// warm-up run in this process builds the Swift type metadata the child will need, so the child does not take
/// the runtime's metadata locks. SIGKILL tests atomicity against a process crash; power-loss durability rests
/// on `synchronous=FULL` and SQLite's fsync ordering, which no test on one machine can cut the power to.
extension StoreTests {
    @Test("a writer killed with SIGKILL at random moments leaves a consistent store that kept every committed block")
    func killedWriter() throws {
        try Self.withTemporaryDirectory { directory in
            try ChainStore.runCrashTestWriter(path: directory.appendingPathComponent("warm-up.sqlite").path,
                                              blocks: 3)
            let path = directory.appendingPathComponent("chain.sqlite").path
            var previousHead: UInt64?
            var totalReported = 0
            let rounds = 20
            for round in 0..<rounds {
                // Odd rounds (and the first, on a new file) kill without waiting for a commit: the child may be
                // creating the tables, recovering the WAL or loading state. The others kill mid-chain.
                let waitForCommit = round > 0 && round % 2 == 0
                let delayMilliseconds = waitForCommit ? Int.random(in: 0...200) : Int.random(in: 0...25)
                let outcome = try Self.runAndKill(path: path, waitForFirstCommit: waitForCommit,
                                                  delayMilliseconds: delayMilliseconds)
                #expect(outcome.killedBySignal, "round \(round): the child exited by itself (status \(outcome.status))")
                if waitForCommit {
                    #expect(!outcome.reported.isEmpty, "round \(round): the child committed nothing in 30 s")
                }
                totalReported += outcome.reported.count

                let store = try ChainStore(path: path)
                try store.verifyConsistency()
                let head = store.head()
                if let last = outcome.reported.last ?? previousHead {
                    let head = try #require(head, "round \(round): no head, but block \(last) was committed")
                    #expect(head.number >= last, "round \(round): block \(last) was committed, head is \(head.number)")
                    let block = try #require(try store.block(number: head.number))
                    #expect(block.hash == head.hash)
                    #expect(block.stateRoot == (try store.stateRoot()))
                }
                let headText = head.map { String($0.number) } ?? "none"
                print("store crash round \(round): killed after \(delayMilliseconds) ms"
                      + (waitForCommit ? " past the first commit" : " from the start")
                      + ", \(outcome.reported.count) commits reported, head \(headText)")
                previousHead = head?.number ?? previousHead
            }
            #expect(totalReported > 0)
        }
    }

    /// What one killed writer did.
    struct WriterOutcome {
        /// Block numbers the child reported committed, in order.
        var reported: [UInt64]
        var status: Int32
        var killedBySignal: Bool
    }

    /// Forks a writer on `path`, kills it with SIGKILL after the delay, reaps it and collects its reports.
    static func runAndKill(path: String, waitForFirstCommit: Bool, delayMilliseconds: Int) throws -> WriterOutcome {
        var descriptors: [Int32] = [-1, -1]
        try #require(pipe(&descriptors) == 0)
        let pid = fork()
        if pid == 0 {
            close(descriptors[0])
            do {
                try ChainStore.runCrashTestWriter(path: path, blocks: 1_000_000, progressDescriptor: descriptors[1])
                _exit(0)
            } catch {
                _exit(3)
            }
        }
        close(descriptors[1])
        defer { close(descriptors[0]) }
        try #require(pid > 0, "fork failed: errno \(errno)")

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        if waitForFirstCommit {
            var poller = pollfd(fd: descriptors[0], events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 30_000) > 0 {
                let count = read(descriptors[0], &buffer, 8)
                if count > 0 { received += buffer[0..<count] }
            }
        }
        usleep(UInt32(delayMilliseconds * 1000))
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // The child is gone: read its reports up to end of file.
        while true {
            let count = read(descriptors[0], &buffer, buffer.count)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        var reported: [UInt64] = []
        var offset = 0
        while offset + 8 <= received.count {
            var value: UInt64 = 0
            for index in 0..<8 { value |= UInt64(received[offset + index]) << (8 * index) }
            reported.append(value)
            offset += 8
        }
        // Linux wait status: the low 7 bits hold the terminating signal.
        return WriterOutcome(reported: reported, status: status, killedBySignal: status & 0x7f == SIGKILL)
    }
}
