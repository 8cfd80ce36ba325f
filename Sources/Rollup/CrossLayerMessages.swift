import EVM
import Primitives

/// An L1 → L2 message: what `Rollup.sendToL2` queued (`Specs/protocol.md` §5.1).
public struct DepositMessage: Hashable, Sendable {
    /// `tx.origin` of the L1 transaction that sent it.
    public var origin: Address
    /// The origin's deposit counter at the time (`Rollup.depositNonce(origin)`).
    public var originNonce: U256
    /// `msg.sender` of `sendToL2`.
    public var sender: Address
    public var to: Address
    /// Wei minted on the L2 and sent with the call.
    public var value: U256
    public var data: [UInt8]

    public init(origin: Address, originNonce: U256, sender: Address, to: Address, value: U256, data: [UInt8]) {
        self.origin = origin
        self.originNonce = originNonce
        self.sender = sender
        self.to = to
        self.value = value
        self.data = data
    }

    /// `keccak(abi(DEPOSIT_TAG, l2ChainId, origin, originNonce, sender, to, value, keccak(data)))`.
    public func id(l2ChainId: UInt64) -> Hash {
        messageId(tag: RollupProtocol.depositTag, l2ChainId: l2ChainId, origin: Hash(leftPadding: self.origin.bytes),
                  originNonce: self.originNonce, sender: self.sender, to: self.to, value: self.value, data: self.data)
    }

    /// Appends `rlp([origin, originNonce, sender, to, value, data])` (the block body's form, §3.2).
    public func encode(into encoder: inout RLPEncoder) {
        encoder.appendList { list in
            list.append(self.origin)
            list.append(self.originNonce)
            list.append(self.sender)
            list.append(self.to)
            list.append(self.value)
            list.append(bytes: self.data)
        }
    }

    static func decode(from reader: inout RLPReader) throws(RLPError) -> DepositMessage {
        var list = try reader.readList()
        let deposit = DepositMessage(origin: try list.readAddress("deposit origin"),
                              originNonce: try list.readU256("deposit origin nonce"),
                              sender: try list.readAddress("deposit sender"), to: try list.readAddress("deposit to"),
                              value: try list.readU256("deposit value"), data: Array(try list.readBytes()))
        try list.finish()
        return deposit
    }

    /// The calldata of the relay system call: `relayDeposit(address,uint256,address,address,uint256,bytes)`.
    public var relayCalldata: [UInt8] {
        Self.relaySelector + ABIWords.encode(
            words: [self.origin.word, self.originNonce, self.sender.word, self.to.word, self.value], dynamic: [self.data])
    }

    static let relaySelector = Array(Keccak256.digest(Array("relayDeposit(address,uint256,address,address,uint256,bytes)".utf8)).prefix(4))
}

/// An L2 → L1 message: what `L2Messenger.sendToL1` emitted (`Specs/protocol.md` §5.3).
public struct WithdrawalMessage: Hashable, Sendable {
    /// `bytes32(tx.origin)`, or the id of the deposit being relayed.
    public var originKey: Hash
    /// The origin key's withdrawal counter at the time.
    public var originNonce: U256
    /// `msg.sender` of `sendToL1`.
    public var sender: Address
    public var to: Address
    public var value: U256
    public var data: [UInt8]

    public init(originKey: Hash, originNonce: U256, sender: Address, to: Address, value: U256, data: [UInt8]) {
        self.originKey = originKey
        self.originNonce = originNonce
        self.sender = sender
        self.to = to
        self.value = value
        self.data = data
    }

    /// `keccak(abi(WITHDRAWAL_TAG, l2ChainId, originKey, originNonce, sender, to, value, keccak(data)))`.
    public func id(l2ChainId: UInt64) -> Hash {
        messageId(tag: RollupProtocol.withdrawalTag, l2ChainId: l2ChainId, origin: self.originKey,
                  originNonce: self.originNonce, sender: self.sender, to: self.to, value: self.value, data: self.data)
    }

    /// The topic of `SentToL1(bytes32 indexed withdrawalId, bytes32 originKey, uint256 originNonce, address sender,
    /// address to, uint256 value, bytes data)`.
    public static let sentToL1Topic = Keccak256.hash(
        Array("SentToL1(bytes32,bytes32,uint256,address,address,uint256,bytes)".utf8))
}

extension DepositMessage {
    /// The topic of the Rollup's `DepositQueued(bytes32 indexed depositId, address origin, uint256 originNonce,
    /// address sender, address to, uint256 value, bytes data)`.
    public static let depositQueuedTopic = Keccak256.hash(
        Array("DepositQueued(bytes32,address,uint256,address,address,uint256,bytes)".utf8))

    /// The deposit a `DepositQueued` log announces, checked against the id in its topic (§5.1).
    /// - Throws: `L2BlockError` when the log is not a well-formed `DepositQueued` or its id does not match.
    public init(depositQueued log: Log, l2ChainId: UInt64) throws(L2BlockError) {
        guard log.topics.count == 2, log.topics[0] == Self.depositQueuedTopic else {
            throw L2BlockError("not a DepositQueued log")
        }
        let data = log.data
        func word(_ index: Int) throws(L2BlockError) -> U256 {
            guard data.count >= (index + 1) * 32, let value = U256(bigEndianBytes: data[(index * 32)..<((index + 1) * 32)]) else {
                throw L2BlockError("DepositQueued: the data ends before word \(index)")
            }
            return value
        }
        func address(_ index: Int) throws(L2BlockError) -> Address {
            let value = try word(index)
            guard value >> 160 == .zero else { throw L2BlockError("DepositQueued: word \(index) is not an address") }
            return Address(word: value)
        }
        let offset = try word(5)
        guard let start = offset.uint64, start == 192 else { throw L2BlockError("DepositQueued: bad offset of data") }
        let length = try word(6)
        guard let count = length.uint64, count <= UInt64(RollupProtocol.maxMessageData), data.count >= 224 + Int(count) else {
            throw L2BlockError("DepositQueued: the data's length is out of bounds")
        }
        self.init(origin: try address(0), originNonce: try word(1), sender: try address(2), to: try address(3),
                  value: try word(4), data: Array(data[224..<(224 + Int(count))]))
        let id = self.id(l2ChainId: l2ChainId)
        guard id == log.topics[1] else {
            throw L2BlockError("DepositQueued: the id in the topic is \(log.topics[1]), the fields give \(id) (another L2 chain id?)")
        }
    }
}

/// `keccak(abi(tag, l2ChainId, origin, originNonce, sender, to, value, keccak(data)))`: the id of a deposit or a
/// withdrawal (an address origin is the same word left-padded).
func messageId(tag: Hash, l2ChainId: UInt64, origin: Hash, originNonce: U256, sender: Address, to: Address,
               value: U256, data: [UInt8]) -> Hash {
    var words = ABIWords(capacity: 8)
    words.append(tag)
    words.append(l2ChainId)
    words.append(origin)
    words.append(originNonce)
    words.append(sender)
    words.append(to)
    words.append(value)
    words.append(Keccak256.hash(data))
    return words.keccak
}
