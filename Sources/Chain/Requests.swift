import EVM
import Primitives

/// EIP-7685 execution-layer requests: typed byte strings the block hands to the consensus layer, committed to by
/// the header's `requestsHash`.
public struct ExecutionRequest: Hashable, Sendable {
    /// The request type byte.
    public struct RequestType: Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// EIP-6110 deposits.
        public static let deposit = RequestType(rawValue: 0x00)
        /// EIP-7002 withdrawal requests.
        public static let withdrawal = RequestType(rawValue: 0x01)
        /// EIP-7251 consolidation requests.
        public static let consolidation = RequestType(rawValue: 0x02)
    }

    public var type: RequestType
    /// The concatenated request data of this type (never empty: empty lists are left out).
    public var data: [UInt8]

    public init(type: RequestType, data: [UInt8]) {
        self.type = type
        self.data = data
    }

    /// `type ‖ data`, the form that is hashed and handed to the consensus layer.
    public var encoded: [UInt8] { [self.type.rawValue] + self.data }

    /// `sha256(sha256(r₀) ‖ sha256(r₁) ‖ …)` over the encoded requests (EIP-7685); the hash of no requests is
    /// sha256 of the empty string.
    public static func requestsHash(_ requests: [ExecutionRequest]) -> Hash {
        var concatenated: [UInt8] = []
        concatenated.reserveCapacity(32 * requests.count)
        for request in requests { concatenated += SHA256.hash(request.encoded) }
        return Hash(bytes: SHA256.hash(concatenated))!
    }
}

/// EIP-6110: deposits are read from the deposit contract's `DepositEvent` logs.
public enum DepositLogParser {
    /// The mainnet deposit contract.
    public static let depositContract = try! Address(hex: "0x00000000219ab540356cbb839cbe05303d7705fa")
    /// keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)").
    public static let depositEventTopic = try! Hash(hex: "0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5")

    /// The deposit request data of every deposit event among `logs`, concatenated
    /// (`pubkey ‖ withdrawal_credentials ‖ amount ‖ signature ‖ index`, 192 bytes each).
    /// - Throws: `InvalidBlock` with code `.depositEventLayout` when a deposit event's ABI layout is not the
    ///   contract's.
    public static func depositRequestData(logs: some Sequence<Log>, depositContract: Address = depositContract)
        throws(InvalidBlock) -> [UInt8] {
        var data: [UInt8] = []
        for log in logs where log.address == depositContract {
            guard let topic = log.topics.first, topic == depositEventTopic else { continue }
            data += try self.extract(log.data)
        }
        return data
    }

    /// Field offsets and sizes of the ABI-encoded event: five dynamic `bytes` values.
    static let fields: [(name: String, offset: Int, size: Int)] = [
        ("pubkey", 160, 48), ("withdrawal credentials", 256, 32), ("amount", 320, 8), ("signature", 384, 96),
        ("index", 512, 8),
    ]

    static func extract(_ data: [UInt8]) throws(InvalidBlock) -> [UInt8] {
        guard data.count == 576 else {
            throw InvalidBlock(.depositEventLayout, "deposit event data is \(data.count) bytes, expected 576")
        }
        func word(at offset: Int) -> U256 { U256(bigEndianBytes: data[offset..<offset + 32])! }
        var request: [UInt8] = []
        request.reserveCapacity(192)
        for (position, field) in fields.enumerated() {
            let offset = word(at: 32 * position)
            guard offset == U256(UInt64(field.offset)) else {
                throw InvalidBlock(.depositEventLayout, "deposit event \(field.name) offset is \(offset), expected \(field.offset)")
            }
            let size = word(at: field.offset)
            guard size == U256(UInt64(field.size)) else {
                throw InvalidBlock(.depositEventLayout, "deposit event \(field.name) size is \(size), expected \(field.size)")
            }
            request += data[(field.offset + 32)..<(field.offset + 32 + field.size)]
        }
        return request
    }
}
