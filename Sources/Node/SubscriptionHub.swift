import Chain
import JSON
import Primitives
import Synchronization

/// Who wants to hear of new blocks: `eth_subscribe` subscriptions, each belonging to one connection and told of
/// every block as it is appended. A subscriber's `deliver` returns false once its connection has closed; it is
/// then forgotten.
public final class SubscriptionHub: Sendable {
    public struct Subscriber: Sendable {
        /// The connection it belongs to (`RPCConnection.id`).
        public let connection: UInt64
        /// Tells the subscriber (by its id) of a block; false when its connection has gone.
        public let deliver: @Sendable (_ id: String, _ block: ChainBlock) -> Bool
        /// For a subscription to a topic other than blocks (an L2's `handoffs`): its name and how it is told.
        public let topic: String?
        public let announce: (@Sendable (_ id: String, _ value: JSONValue) -> Bool)?

        public init(connection: UInt64, deliver: @escaping @Sendable (_ id: String, _ block: ChainBlock) -> Bool) {
            self.connection = connection
            self.deliver = deliver
            self.topic = nil
            self.announce = nil
        }

        /// A subscriber to `topic`'s announcements.
        public init(connection: UInt64, topic: String, announce: @escaping @Sendable (_ id: String, _ value: JSONValue) -> Bool) {
            self.connection = connection
            self.deliver = { _, _ in true }
            self.topic = topic
            self.announce = announce
        }
    }

    private let table = Mutex<[String: Subscriber]>([:])
    /// Subscriptions one connection may hold at once, so that one client cannot grow the table without limit.
    public let limitPerConnection: Int

    public init(limitPerConnection: Int = 256) { self.limitPerConnection = limitPerConnection }

    /// Adds `subscriber` and returns its id: 16 random bytes as a quantity (hex without leading zeros, as geth
    /// writes them), so that the id is the same `0x…` string whichever client echoes it back.
    /// - Throws: `NodeError` when its connection already holds `limitPerConnection`.
    public func add(_ subscriber: Subscriber) throws -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let digits = Hex.encode(bytes, prefix: false).drop { $0 == "0" }
        let id = "0x" + (digits.isEmpty ? "0" : String(digits))
        let limit = limitPerConnection
        let added = table.withLock { table -> Bool in
            guard table.values.filter({ $0.connection == subscriber.connection }).count < limit else { return false }
            table[id] = subscriber
            return true
        }
        guard added else { throw NodeError("too many subscriptions on this connection (limit \(limit))") }
        return id
    }

    /// Removes subscription `id`; false when there was none.
    public func remove(_ id: String) -> Bool { table.withLock { $0.removeValue(forKey: id) != nil } }

    /// Forgets a closed connection's subscriptions.
    public func disconnected(connection: UInt64) {
        table.withLock { $0 = $0.filter { $0.value.connection != connection } }
    }

    /// Tells every subscriber of `block`, and forgets those whose connection has gone.
    public func publish(_ block: ChainBlock) {
        let current = table.withLock { $0 }
        var gone: [String] = []
        for (id, subscriber) in current where subscriber.topic == nil && !subscriber.deliver(id, block) { gone.append(id) }
        if !gone.isEmpty { table.withLock { for id in gone { $0[id] = nil } } }
    }

    /// Tells every subscriber of `topic` of `value`, and forgets those whose connection has gone.
    public func announce(_ topic: String, _ value: JSONValue) {
        let current = table.withLock { $0 }
        var gone: [String] = []
        for (id, subscriber) in current where subscriber.topic == topic && subscriber.announce?(id, value) == false {
            gone.append(id)
        }
        if !gone.isEmpty { table.withLock { for id in gone { $0[id] = nil } } }
    }

    public var count: Int { table.withLock { $0.count } }
}
