import Primitives

/// An execution block header with every field through Prague. Fields added by later forks are optional and
/// present exactly when the fork that introduced them is active (`ChainConfig.checkHeaderFormat`).
public struct BlockHeader: Hashable, Sendable {
    public var parentHash: Hash
    /// keccak256 of the RLP of the ommer list; after the merge always `BlockHeader.emptyOmmersHash`.
    public var ommersHash: Hash
    /// The fee recipient.
    public var coinbase: Address
    public var stateRoot: Hash
    public var transactionsRoot: Hash
    public var receiptsRoot: Hash
    public var logsBloom: Bloom
    /// Zero after the merge.
    public var difficulty: U256
    public var number: UInt64
    public var gasLimit: UInt64
    public var gasUsed: UInt64
    public var timestamp: UInt64
    /// At most 32 bytes.
    public var extraData: [UInt8]
    /// PREVRANDAO after the merge (EIP-4399), the ethash mix hash before.
    public var mixHash: Hash
    /// Eight bytes; zero after the merge.
    public var nonce: UInt64
    /// EIP-1559 (London).
    public var baseFeePerGas: U256?
    /// EIP-4895 (Shanghai).
    public var withdrawalsRoot: Hash?
    /// EIP-4844 (Cancun).
    public var blobGasUsed: UInt64?
    /// EIP-4844 (Cancun).
    public var excessBlobGas: UInt64?
    /// EIP-4788 (Cancun).
    public var parentBeaconBlockRoot: Hash?
    /// EIP-7685 (Prague).
    public var requestsHash: Hash?
    /// A rollup's own header fields, as the concatenated RLP items that follow the Ethereum fields in the header's
    /// list (and so in its hash); empty on Ethereum. `Rollup.L2Header` reads and writes them. `decode(rlp:)`
    /// refuses headers with such fields: an L1 block never has them.
    public var extensionFields: [UInt8] = []

    /// keccak256(RLP([])): the ommers hash of every post-merge block.
    public static let emptyOmmersHash = Keccak256.hash([UInt8]([0xc0]))
    /// The root of an empty ordered trie (no transactions, receipts or withdrawals).
    public static let emptyTrieRoot = Keccak256.hash([UInt8]([0x80]))

    public init(parentHash: Hash = .zero, ommersHash: Hash = BlockHeader.emptyOmmersHash, coinbase: Address = .zero,
                stateRoot: Hash = BlockHeader.emptyTrieRoot, transactionsRoot: Hash = BlockHeader.emptyTrieRoot,
                receiptsRoot: Hash = BlockHeader.emptyTrieRoot, logsBloom: Bloom = .empty, difficulty: U256 = .zero,
                number: UInt64, gasLimit: UInt64, gasUsed: UInt64 = 0, timestamp: UInt64, extraData: [UInt8] = [],
                mixHash: Hash = .zero, nonce: UInt64 = 0, baseFeePerGas: U256? = nil, withdrawalsRoot: Hash? = nil,
                blobGasUsed: UInt64? = nil, excessBlobGas: UInt64? = nil, parentBeaconBlockRoot: Hash? = nil,
                requestsHash: Hash? = nil) {
        self.parentHash = parentHash
        self.ommersHash = ommersHash
        self.coinbase = coinbase
        self.stateRoot = stateRoot
        self.transactionsRoot = transactionsRoot
        self.receiptsRoot = receiptsRoot
        self.logsBloom = logsBloom
        self.difficulty = difficulty
        self.number = number
        self.gasLimit = gasLimit
        self.gasUsed = gasUsed
        self.timestamp = timestamp
        self.extraData = extraData
        self.mixHash = mixHash
        self.nonce = nonce
        self.baseFeePerGas = baseFeePerGas
        self.withdrawalsRoot = withdrawalsRoot
        self.blobGasUsed = blobGasUsed
        self.excessBlobGas = excessBlobGas
        self.parentBeaconBlockRoot = parentBeaconBlockRoot
        self.requestsHash = requestsHash
    }

    /// The block hash: keccak256 of the header's RLP.
    public var hash: Hash { Keccak256.hash(self.rlpEncoded) }

    /// PREVRANDAO as the EVM reads it.
    public var prevRandao: U256 { self.mixHash.word }

    // MARK: RLP

    /// The header's RLP list (the optional fields that are set, in order).
    public var rlpEncoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 620)
        self.encode(into: &encoder)
        return encoder.bytes
    }

    /// Appends the header's RLP list to `encoder`.
    public func encode(into encoder: inout RLPEncoder) {
        encoder.appendList { list in self.appendFields(to: &list) }
    }

    /// Appends the header's fields, without the enclosing list, to `list`: the Ethereum fields, then the
    /// extension fields.
    package func appendFields(to list: inout RLPEncoder) {
        list.append(self.parentHash)
        list.append(self.ommersHash)
        list.append(self.coinbase)
        list.append(self.stateRoot)
        list.append(self.transactionsRoot)
        list.append(self.receiptsRoot)
        list.append(bytes: self.logsBloom.bytes)
        list.append(self.difficulty)
        list.append(self.number)
        list.append(self.gasLimit)
        list.append(self.gasUsed)
        list.append(self.timestamp)
        list.append(bytes: self.extraData)
        list.append(self.mixHash)
        list.append(bytes: Self.nonceBytes(self.nonce))
        // Optional fields are contiguous: each one present implies all earlier ones are (`decode` enforces it).
        if let baseFeePerGas = self.baseFeePerGas { list.append(baseFeePerGas) }
        if let withdrawalsRoot = self.withdrawalsRoot { list.append(withdrawalsRoot) }
        if let blobGasUsed = self.blobGasUsed { list.append(blobGasUsed) }
        if let excessBlobGas = self.excessBlobGas { list.append(excessBlobGas) }
        if let parentBeaconBlockRoot = self.parentBeaconBlockRoot { list.append(parentBeaconBlockRoot) }
        if let requestsHash = self.requestsHash { list.append(requestsHash) }
        if !self.extensionFields.isEmpty { list.append(encoded: self.extensionFields) }
    }

    static func nonceBytes(_ nonce: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: nonce >> (56 - 8 * $0)) }
    }

    /// Decodes a header from its RLP list.
    /// - Throws: `InvalidBlock` with code `.malformed` naming the field and offset.
    public static func decode(rlp bytes: [UInt8]) throws(InvalidBlock) -> BlockHeader {
        var reader = RLPReader(bytes)
        let header = try decode(from: &reader)
        do {
            try reader.finish()
        } catch {
            throw InvalidBlock(.malformed, "block header: \(error)")
        }
        return header
    }

    /// Reads one header list from `reader`.
    static func decode(from reader: inout RLPReader) throws(InvalidBlock) -> BlockHeader {
        do {
            var list = try reader.readList()
            let header = try decodeFields(from: &list, optionalFieldCount: 6)
            try list.finish()
            return header
        } catch let error as InvalidBlock {
            throw error
        } catch {
            throw InvalidBlock(.malformed, "block header: \(error)")
        }
    }

    /// Reads the header's fields from an open list: the 15 fields every header has, then up to
    /// `optionalFieldCount` of the optional ones (base fee … requests hash) while the list has more. Rollup headers
    /// read their own fields after these.
    package static func decodeFields(from list: inout RLPReader,
                                     optionalFieldCount: Int) throws(InvalidBlock) -> BlockHeader {
        do {
            let parentHash = try list.readHash("parent hash")
            let ommersHash = try list.readHash("ommers hash")
            let coinbase = try list.readAddress("coinbase")
            let stateRoot = try list.readHash("state root")
            let transactionsRoot = try list.readHash("transactions root")
            let receiptsRoot = try list.readHash("receipts root")
            let bloomStart = list.position
            let bloomBytes = try list.readBytes()
            guard let logsBloom = Bloom(bytes: bloomBytes) else {
                throw InvalidBlock(.malformed, "block header: logs bloom at byte \(bloomStart) is \(bloomBytes.count) bytes, expected 256")
            }
            let difficulty = try list.readU256("difficulty")
            let number = try list.readUInt64("number")
            let gasLimit = try list.readUInt64("gas limit")
            let gasUsed = try list.readUInt64("gas used")
            let timestamp = try list.readUInt64("timestamp")
            let extraData = Array(try list.readBytes())
            let mixHash = try list.readHash("mix hash")
            let nonceStart = list.position
            let nonceBytes = try list.readBytes()
            guard nonceBytes.count == 8 else {
                throw InvalidBlock(.malformed, "block header: nonce at byte \(nonceStart) is \(nonceBytes.count) bytes, expected 8")
            }
            var nonce: UInt64 = 0
            for byte in nonceBytes { nonce = nonce << 8 | UInt64(byte) }
            var header = BlockHeader(parentHash: parentHash, ommersHash: ommersHash, coinbase: coinbase,
                                     stateRoot: stateRoot, transactionsRoot: transactionsRoot,
                                     receiptsRoot: receiptsRoot, logsBloom: logsBloom, difficulty: difficulty,
                                     number: number, gasLimit: gasLimit, gasUsed: gasUsed, timestamp: timestamp,
                                     extraData: extraData, mixHash: mixHash, nonce: nonce)
            let optional = optionalFieldCount
            if optional > 0, list.hasMore { header.baseFeePerGas = try list.readU256("base fee per gas") }
            if optional > 1, list.hasMore { header.withdrawalsRoot = try list.readHash("withdrawals root") }
            if optional > 2, list.hasMore { header.blobGasUsed = try list.readUInt64("blob gas used") }
            if optional > 3, list.hasMore { header.excessBlobGas = try list.readUInt64("excess blob gas") }
            if optional > 4, list.hasMore { header.parentBeaconBlockRoot = try list.readHash("parent beacon block root") }
            if optional > 5, list.hasMore { header.requestsHash = try list.readHash("requests hash") }
            return header
        } catch let error as InvalidBlock {
            throw error
        } catch {
            throw InvalidBlock(.malformed, "block header: \(error)")
        }
    }
}
