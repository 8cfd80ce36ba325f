import Primitives

/// A block: header and body (transactions, ommers, and from Shanghai withdrawals). EIP-7685 requests are not part
/// of the body; the header commits to them through `requestsHash`.
public struct Block: Hashable, Sendable {
    public var header: BlockHeader
    public var transactions: [Transaction]
    /// Always empty after the merge; kept so that pre-merge-shaped input decodes and is then rejected clearly.
    public var ommers: [BlockHeader]
    /// `nil` before Shanghai.
    public var withdrawals: [Withdrawal]?

    public init(header: BlockHeader, transactions: [Transaction] = [], ommers: [BlockHeader] = [],
                withdrawals: [Withdrawal]? = nil) {
        self.header = header
        self.transactions = transactions
        self.ommers = ommers
        self.withdrawals = withdrawals
    }

    /// The block hash (of the header).
    public var hash: Hash { self.header.hash }
    public var number: UInt64 { self.header.number }

    /// The RLP `[header, transactions, ommers, withdrawals?]`, as blocks travel on the network and in fixtures.
    public var rlpEncoded: [UInt8] {
        var encoder = RLPEncoder(capacity: 1024)
        encoder.appendList { list in
            self.header.encode(into: &list)
            Self.appendTransactions(self.transactions, to: &list)
            list.appendList { ommerList in
                for ommer in self.ommers { ommer.encode(into: &ommerList) }
            }
            if let withdrawals = self.withdrawals {
                list.appendList { withdrawalList in
                    for withdrawal in withdrawals { withdrawal.encode(into: &withdrawalList) }
                }
            }
        }
        return encoder.bytes
    }

    /// Decodes a block from its RLP. Never traps on malformed input.
    /// - Throws: `InvalidBlock` with code `.malformed` saying which part is wrong and where.
    public static func decode(rlp bytes: [UInt8]) throws(InvalidBlock) -> Block {
        var reader = RLPReader(bytes)
        var list: RLPReader
        do {
            list = try reader.readList()
            try reader.finish()
        } catch {
            throw InvalidBlock(.malformed, "block: \(error)")
        }
        let header = try BlockHeader.decode(from: &list)
        var transactions: [Transaction] = []
        var ommers: [BlockHeader] = []
        var withdrawals: [Withdrawal]? = nil
        do {
            transactions = try Self.readTransactions(from: &list)
            var ommerList = try list.readList()
            while ommerList.hasMore {
                ommers.append(try BlockHeader.decode(from: &ommerList))
            }
            if list.hasMore {
                var withdrawalList = try list.readList()
                var items: [Withdrawal] = []
                while withdrawalList.hasMore { items.append(try Withdrawal.decode(from: &withdrawalList)) }
                withdrawals = items
            }
            try list.finish()
        } catch let error as InvalidBlock {
            throw error
        } catch {
            throw InvalidBlock(.malformed, "block body: \(error)")
        }
        return Block(header: header, transactions: transactions, ommers: ommers, withdrawals: withdrawals)
    }

    /// Appends a block body's transaction list: legacy transactions as RLP lists, typed ones as byte strings
    /// holding `type ‖ payload`.
    package static func appendTransactions(_ transactions: [Transaction], to list: inout RLPEncoder) {
        list.appendList { transactionList in
            for transaction in transactions {
                if transaction.type == .legacy {
                    transactionList.append(encoded: transaction.encoded)
                } else {
                    transactionList.append(bytes: transaction.encoded)
                }
            }
        }
    }

    /// Reads a block body's transaction list.
    /// - Throws: `InvalidBlock` (`.malformed`) naming the transaction's index and offset.
    package static func readTransactions(from list: inout RLPReader) throws(InvalidBlock) -> [Transaction] {
        var transactions: [Transaction] = []
        do {
            var transactionList = try list.readList()
            while transactionList.hasMore {
                let index = transactions.count
                let offset = transactionList.position
                let raw: [UInt8]
                if try transactionList.peekHeader().isList {
                    raw = Array(try transactionList.readEncoded())
                } else {
                    raw = Array(try transactionList.readBytes())
                    // A byte string must hold a typed transaction; a legacy one is never wrapped.
                    guard let first = raw.first, first <= 0x7f else {
                        throw InvalidBlock(.malformed, "block body: transaction \(index) at byte \(offset) is a byte string but not a typed transaction")
                    }
                }
                do {
                    let transaction = try Transaction.decode(raw)
                    if transaction.sidecar != nil {
                        throw TransactionError(.malformed, "a block carries blob transactions without their sidecar")
                    }
                    transactions.append(transaction)
                } catch {
                    throw InvalidBlock(.malformed, "block body: transaction \(index) at byte \(offset): \(error)")
                }
            }
        } catch let error as InvalidBlock {
            throw error
        } catch {
            throw InvalidBlock(.malformed, "block body: \(error)")
        }
        return transactions
    }
}
