import Chain
import Primitives

/// An L2 block: `rlp([header, transactions, deposits])` (`Specs/protocol.md` §3.2).
public struct L2Block: Hashable, Sendable {
    public var header: L2Header
    /// Transactions of types 0, 1, 2 and 4 (blob transactions are invalid on the L2).
    public var transactions: [Transaction]
    /// The deposits the block consumes, in delivery order.
    public var deposits: [DepositMessage]

    public init(header: L2Header, transactions: [Transaction] = [], deposits: [DepositMessage] = []) {
        self.header = header
        self.transactions = transactions
        self.deposits = deposits
    }

    public var hash: Hash { self.header.hash }
    public var number: UInt64 { self.header.number }

    /// The block's RLP.
    public var rlpEncoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 1024)
        self.encode(into: &encoder)
        return encoder.bytes
    }

    func encode(into encoder: inout RLPEncoder) {
        encoder.appendList { list in
            self.header.encode(into: &list)
            Block.appendTransactions(self.transactions, to: &list)
            list.appendList { depositList in
                for deposit in self.deposits { deposit.encode(into: &depositList) }
            }
        }
    }

    /// Decodes a block from its RLP. Never traps on malformed input.
    public static func decode(rlp bytes: [UInt8]) throws(L2BlockError) -> L2Block {
        var reader = RLPReader(bytes)
        let block = try decode(from: &reader)
        do {
            try reader.finish()
        } catch {
            throw L2BlockError("L2 block: \(error)")
        }
        return block
    }

    static func decode(from reader: inout RLPReader) throws(L2BlockError) -> L2Block {
        var list: RLPReader
        do {
            list = try reader.readList()
        } catch {
            throw L2BlockError("L2 block: \(error)")
        }
        let header = try L2Header.decode(from: &list)
        let transactions: [Transaction]
        do {
            transactions = try Block.readTransactions(from: &list)
        } catch {
            throw L2BlockError("L2 block \(header.number): \(error.message)")
        }
        var deposits: [DepositMessage] = []
        do {
            var depositList = try list.readList()
            while depositList.hasMore { deposits.append(try DepositMessage.decode(from: &depositList)) }
            try list.finish()
        } catch {
            throw L2BlockError("L2 block \(header.number): deposit \(deposits.count): \(error)")
        }
        return L2Block(header: header, transactions: transactions, deposits: deposits)
    }

    /// The ids of the block's deposits, in order.
    public func depositIds(l2ChainId: UInt64) -> [Hash] { self.deposits.map { $0.id(l2ChainId: l2ChainId) } }
}

/// The bytes a submission carries to L1: `rlp([block₁, …, blockₙ])` of consecutive blocks (§3.2).
public enum BlockData {
    /// Encodes `blocks`.
    public static func encode(_ blocks: [L2Block]) -> [UInt8] {
        var encoder = RLPEncoder(capacity: 2048)
        encoder.appendList { list in
            for block in blocks { block.encode(into: &list) }
        }
        return encoder.bytes
    }

    /// Decodes the blocks of `data`.
    /// - Throws: `L2BlockError` naming the block and field that is malformed.
    public static func decode(_ data: [UInt8]) throws(L2BlockError) -> [L2Block] {
        var reader = RLPReader(data)
        var list: RLPReader
        do {
            list = try reader.readList()
            try reader.finish()
        } catch {
            throw L2BlockError("block data: \(error)")
        }
        var blocks: [L2Block] = []
        while list.hasMore {
            do {
                blocks.append(try L2Block.decode(from: &list))
            } catch {
                throw L2BlockError("block data: block \(blocks.count): \(error.message)")
            }
        }
        return blocks
    }
}
