import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import Primitives

/// Follows an L1 over JSON-RPC (any standard endpoint): new heads by polling `eth_getBlockByNumber("latest")`,
/// the logs of the watched contracts in each new block, and reorgs, found by walking parent hashes back to a block
/// it already knew. Not thread-safe (hence unchecked): one task polls it at a time.
public final class L1Watcher: @unchecked Sendable {
    /// An L1 block as the watcher knows it.
    public struct Head: Sendable, Hashable {
        public var number: UInt64
        public var hash: Hash
        public var parentHash: Hash
        public var timestamp: UInt64
    }

    /// A watched contract's log in a canonical block.
    public struct Event: Sendable, Hashable {
        public var block: Head
        public var log: Log
        public var transactionHash: Hash
        public var logIndex: UInt64
    }

    /// What changed since the last poll, oldest first.
    public enum Change: Sendable, Hashable {
        /// A new canonical block with the watched contracts' logs in it.
        case block(Head, events: [Event])
        /// Blocks that are no longer canonical, newest first; the chain continues from `ancestor`.
        case reorg(removed: [Head], ancestor: Head)
    }

    public let client: JSONRPCClient
    public let addresses: [Address]
    /// How many recent blocks are remembered to find a reorg's common ancestor.
    public let depth: Int
    /// The canonical blocks known, oldest first (at most `depth`).
    public private(set) var known: [Head] = []

    public var head: Head? { known.last }

    public init(client: JSONRPCClient, addresses: [Address], depth: Int = 128) {
        self.client = client
        self.addresses = addresses
        self.depth = max(depth, 2)
    }

    /// Starts from L1 block `number`, or from the latest block, and returns the watched contracts' events in that
    /// block (later polls report the blocks after it).
    @discardableResult
    public func start(at number: UInt64? = nil) throws -> [Event] {
        let head = try fetch(number.map { .quantity($0) } ?? "latest")
        guard let head else { throw NodeError("the L1 has no block \(number.map(String.init) ?? "latest")") }
        let events = try events(in: head)
        known = [head]
        return events
    }

    /// Asks the L1 for its head and returns what changed: reorgs (blocks that left the canonical chain) and new
    /// blocks with their events, in order. At most `limit` new blocks per poll, oldest first.
    /// - Throws: when the L1 cannot be reached or answers nonsense; nothing is then changed.
    public func poll(limit: Int = 64) throws -> [Change] {
        guard let current = known.last else { try start(); return [] }
        guard let latest = try fetch("latest") else { return [] }
        if latest.hash == current.hash { return [] }
        // Walk back from the latest to a block already known (the common ancestor), collecting what is new.
        var fresh: [Head] = []
        var cursor = latest
        let knownByHash = Dictionary(known.map { ($0.hash, $0) }, uniquingKeysWith: { first, _ in first })
        while knownByHash[cursor.hash] == nil {
            if cursor.number <= (known.first?.number ?? 0) {
                throw NodeError("the L1 reorganised deeper than the \(known.count) blocks remembered (at block \(cursor.number))")
            }
            fresh.append(cursor)
            if fresh.count > limit + depth {
                // Far behind: take the next `limit` blocks by number instead of walking the whole way back.
                return try catchUp(limit: limit)
            }
            guard let parent = try fetch(.string(cursor.parentHash.hexString), byHash: true) else {
                throw NodeError("the L1 does not know block \(cursor.parentHash), the parent of block \(cursor.number)")
            }
            cursor = parent
        }
        var changes: [Change] = []
        if let index = known.firstIndex(where: { $0.hash == cursor.hash }), index < known.count - 1 {
            let removed = Array(known[(index + 1)...].reversed())
            known.removeSubrange((index + 1)...)
            changes.append(.reorg(removed: removed, ancestor: cursor))
        }
        for head in fresh.reversed().prefix(limit) {
            changes.append(.block(head, events: try events(in: head)))
            remember(head)
        }
        return changes
    }

    /// The next `limit` blocks after the known head, by number (no reorg is possible below a block just fetched
    /// by number; the next poll's parent walk checks the seam).
    func catchUp(limit: Int) throws -> [Change] {
        var changes: [Change] = []
        for _ in 0..<limit {
            guard let current = known.last, let next = try fetch(.quantity(current.number + 1)) else { break }
            guard next.parentHash == current.hash else { break }  // a reorg under way: the next poll walks it
            changes.append(.block(next, events: try events(in: next)))
            remember(next)
        }
        return changes
    }

    func remember(_ head: Head) {
        known.append(head)
        if known.count > depth { known.removeFirst(known.count - depth) }
    }

    /// The watched contracts' logs in `head` (by block hash, so a reorg cannot mix blocks).
    public func events(in head: Head) throws -> [Event] {
        guard !addresses.isEmpty else { return [] }
        let filter: JSONValue = .object([
            "blockHash": .string(head.hash.hexString),
            "address": .array(addresses.map { .string($0.hexString) }),
        ])
        let answer = try client.call("eth_getLogs", [filter])
        guard let list = answer.arrayValue else { throw NodeError("eth_getLogs answered \(answer), not a list") }
        return try list.map { entry in
            let topics = try (entry["topics"]?.arrayValue ?? []).map { try Hash(hex: $0.stringValue ?? "") }
            return Event(block: head,
                         log: Log(address: try Address(hex: entry["address"]?.stringValue ?? ""), topics: topics,
                                  data: try entry["data"]?.decodeData() ?? []),
                         transactionHash: try Hash(hex: entry["transactionHash"]?.stringValue ?? ""),
                         logIndex: try entry["logIndex"]?.decodeUInt64Quantity() ?? 0)
        }
    }

    /// A block's head fields, by number or tag, or by hash; nil when the L1 has no such block.
    func fetch(_ block: JSONValue, byHash: Bool = false) throws -> Head? {
        let answer = try client.call(byHash ? "eth_getBlockByHash" : "eth_getBlockByNumber", [block, .bool(false)])
        guard answer != .null else { return nil }
        do {
            return Head(number: try answer["number"]?.decodeUInt64Quantity() ?? 0,
                        hash: try Hash(hex: answer["hash"]?.stringValue ?? ""),
                        parentHash: try Hash(hex: answer["parentHash"]?.stringValue ?? ""),
                        timestamp: try answer["timestamp"]?.decodeUInt64Quantity() ?? 0)
        } catch {
            throw NodeError("the L1 answered a malformed block: \(error)")
        }
    }
}

extension L1Watcher {
    /// Forgets every block known: the next use starts again (`start(at:)`), as after a restart.
    public func reset() { known = [] }

    /// The L1's canonical block `number` (nil when it has none), without changing what the watcher knows.
    public func block(number: UInt64) throws -> Head? { try fetch(.quantity(number)) }
}
