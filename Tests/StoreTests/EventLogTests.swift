import Foundation
import Testing
@testable import Store

/// The devnet's durable event log: order, pending items settled atomically with an event, truncation, reopening.
@Suite("Event log")
struct EventLogTests {
    static func withPath(_ body: (String) throws -> Void) rethrows {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-eventlog-\(UUID())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory.appendingPathComponent("log.sqlite").path)
    }

    @Test("Events come back in order after a reopen; an event settles its pending items in the same transaction")
    func appendSettleReopen() throws {
        try Self.withPath { path in
            do {
                let log = try EventLog(path: path)
                #expect(try log.lastSequence() == 0)
                try log.append(kind: "genesis", payload: [1])
                try log.putPending(key: [0xaa], kind: "tx", payload: [9, 9], added: 1)
                try log.putPending(key: [0xbb], kind: "tx", payload: [8], added: 2)
                try log.append(kind: "block", payload: [2, 3], settling: [[0xaa]])
            }
            let reopened = try EventLog(path: path)
            let events = try reopened.events()
            #expect(events.map(\.kind) == ["genesis", "block"])
            #expect(events.map(\.payload) == [[1], [2, 3]])
            #expect(events[0].sequence < events[1].sequence)
            let pending = try reopened.pending()
            #expect(pending.map(\.key) == [[0xbb]])
            #expect(pending.first?.payload == [8])
        }
    }

    @Test("Truncation drops the events after a position and keeps the ones before")
    func truncate() throws {
        try Self.withPath { path in
            let log = try EventLog(path: path)
            let first = try log.append(kind: "genesis", payload: [])
            try log.append(kind: "block", payload: [1])
            try log.append(kind: "block", payload: [2])
            try log.truncate(after: first)
            #expect(try log.events().map(\.kind) == ["genesis"])
            #expect(try log.lastSequence() == first)
        }
    }

    @Test("A file that is not a database is refused with an error, not a crash")
    func notADatabase() throws {
        try Self.withPath { path in
            try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
            #expect(throws: StoreError.self) { _ = try EventLog(path: path).events() }
        }
    }
}
