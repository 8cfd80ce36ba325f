import EVM
import Primitives

/// A transaction receipt as the receipts trie stores it: status, cumulative gas, bloom and logs, typed like its
/// transaction (EIP-2718: `type ‖ RLP` for typed transactions, plain RLP for legacy ones).
public struct Receipt: Hashable, Sendable {
    public var type: TransactionType
    /// EIP-658 status: whether the top-level call succeeded.
    public var succeeded: Bool
    /// Gas used by this and every earlier transaction of the block.
    public var cumulativeGasUsed: UInt64
    public var logsBloom: Bloom
    public var logs: [Log]

    public init(type: TransactionType, succeeded: Bool, cumulativeGasUsed: UInt64, logs: [Log]) {
        self.type = type
        self.succeeded = succeeded
        self.cumulativeGasUsed = cumulativeGasUsed
        self.logs = logs
        self.logsBloom = Bloom(logs: logs)
    }

    /// The consensus encoding: the receipts trie's value and what `eth_getRawReceipts`-style APIs return.
    public var encoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 300 + 100 * self.logs.count)
        encoder.appendList { list in
            list.append(self.succeeded ? UInt64(1) : UInt64(0))
            list.append(self.cumulativeGasUsed)
            list.append(bytes: self.logsBloom.bytes)
            list.appendList { logList in
                for log in self.logs { log.encode(into: &logList) }
            }
        }
        if self.type == .legacy { return encoder.bytes }
        return [self.type.rawValue] + encoder.bytes
    }

    /// Decodes the consensus encoding.
    /// - Throws: `InvalidBlock` with code `.malformed` for malformed bytes or an unknown type byte.
    public static func decode(_ bytes: [UInt8]) throws(InvalidBlock) -> Receipt {
        guard let first = bytes.first else { throw InvalidBlock(.malformed, "empty receipt") }
        var type = TransactionType.legacy
        var payload = bytes
        if first < 0xc0 {
            guard let typed = TransactionType(rawValue: first), typed != .legacy else {
                throw InvalidBlock(.malformed, "unknown receipt type 0x\(String(first, radix: 16))")
            }
            type = typed
            payload = Array(bytes.dropFirst())
        }
        do throws(RLPError) {
            return try decodePayload(payload, type: type)
        } catch {
            throw InvalidBlock(.malformed, "receipt: \(error)")
        }
    }

    static func decodePayload(_ payload: [UInt8], type: TransactionType) throws(RLPError) -> Receipt {
        var reader = RLPReader(payload)
        var list = try reader.readList()
        let status = try list.readUInt64("receipt status")
        let cumulativeGasUsed = try list.readUInt64("cumulative gas used")
        _ = try list.readBytes()  // the bloom, recomputed from the logs
        var logList = try list.readList()
        var logs: [Log] = []
        while logList.hasMore {
            var item = try logList.readList()
            let address = try item.readAddress("log address")
            var topicList = try item.readList()
            var topics: [Hash] = []
            while topicList.hasMore { topics.append(try topicList.readHash("log topic")) }
            let data = Array(try item.readBytes())
            try item.finish()
            logs.append(Log(address: address, topics: topics, data: data))
        }
        try list.finish()
        try reader.finish()
        return Receipt(type: type, succeeded: status == 1, cumulativeGasUsed: cumulativeGasUsed, logs: logs)
    }
}
