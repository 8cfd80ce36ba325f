import Primitives

/// An EIP-4895 withdrawal: the consensus layer credits `amount` gwei to `address`, outside of the EVM.
public struct Withdrawal: Hashable, Sendable {
    public var index: UInt64
    public var validatorIndex: UInt64
    public var address: Address
    /// In gwei.
    public var amount: UInt64

    public init(index: UInt64, validatorIndex: UInt64, address: Address, amount: UInt64) {
        self.index = index
        self.validatorIndex = validatorIndex
        self.address = address
        self.amount = amount
    }

    /// The amount in wei.
    public var amountInWei: U256 { U256(self.amount) &* U256(1_000_000_000) }

    /// RLP `[index, validatorIndex, address, amount]`.
    public var rlpEncoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 48)
        self.encode(into: &encoder)
        return encoder.bytes
    }

    public func encode(into encoder: inout RLPEncoder) {
        encoder.appendList { list in
            list.append(self.index)
            list.append(self.validatorIndex)
            list.append(self.address)
            list.append(self.amount)
        }
    }

    static func decode(from reader: inout RLPReader) throws(RLPError) -> Withdrawal {
        var list = try reader.readList()
        let withdrawal = Withdrawal(index: try list.readUInt64("withdrawal index"),
                                    validatorIndex: try list.readUInt64("validator index"),
                                    address: try list.readAddress("withdrawal address"),
                                    amount: try list.readUInt64("withdrawal amount"))
        try list.finish()
        return withdrawal
    }
}
