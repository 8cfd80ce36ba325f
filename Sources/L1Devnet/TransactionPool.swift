import Primitives

/// Why the pool refused a transaction (answered as a JSON-RPC -32000 error with this message).
public struct PoolRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A transaction the pool holds, with its recovered sender.
public struct PooledTransaction: Sendable, Hashable {
    public let transaction: Transaction
    public let sender: Address
    public let hash: Hash
    /// Order of arrival, to break ties between equal tips.
    public let arrival: UInt64
}

/// Pending transactions: per sender in nonce order, across senders by the tip they pay at the current base fee.
///
/// Rules (geth's, simplified for a devnet):
/// - a transaction with the nonce of one already held replaces it only when it raises both the fee cap and the
///   priority fee by at least `priceBumpPercent`;
/// - at most `maxPerSender` per sender and `maxTotal` in all; nonce gaps are allowed (the transaction waits until
///   the gap is filled) but not more than `maxPerSender` ahead of the account's nonce;
/// - state-dependent checks (nonce too low, insufficient funds, fee cap below the base fee) are done by the caller,
///   which knows the state.
/// Not thread-safe: the devnet's chain thread owns it.
public struct TransactionPool: Sendable {
    public var maxPerSender = 64
    public var maxTotal = 4_096
    public var priceBumpPercent: UInt64 = 10

    /// By sender, by nonce.
    private(set) var bySender: [Address: [UInt64: PooledTransaction]] = [:]
    private(set) var byHash: [Hash: PooledTransaction] = [:]
    private var arrivals: UInt64 = 0

    public init() {}

    public var count: Int { byHash.count }
    public var all: [PooledTransaction] { byHash.values.sorted { $0.arrival < $1.arrival } }

    public func transaction(hash: Hash) -> PooledTransaction? { byHash[hash] }

    /// The next nonce the sender would use counting held transactions with no gap from `accountNonce`.
    public func nextNonce(for sender: Address, accountNonce: UInt64) -> UInt64 {
        var nonce = accountNonce
        while bySender[sender]?[nonce] != nil { nonce += 1 }
        return nonce
    }

    /// Adds `transaction`; returns the hash of the transaction it replaced, if any.
    @discardableResult
    public mutating func add(_ transaction: Transaction, sender: Address, hash: Hash, accountNonce: UInt64)
        throws(PoolRejection) -> Hash?
    {
        if byHash[hash] != nil { throw PoolRejection("already known") }
        if transaction.nonce < accountNonce {
            throw PoolRejection("nonce too low: next nonce \(accountNonce), tx nonce \(transaction.nonce)")
        }
        if transaction.nonce >= accountNonce + UInt64(maxPerSender) {
            throw PoolRejection("nonce too high: next nonce \(accountNonce), tx nonce \(transaction.nonce) " +
                                "is more than \(maxPerSender) ahead")
        }
        var held = bySender[sender] ?? [:]
        var replaced: Hash? = nil
        if let existing = held[transaction.nonce] {
            let old = existing.transaction
            func bumped(_ new: U256, _ old: U256) -> Bool {
                // new ≥ old · (100 + bump) / 100, in integers.
                new &* U256(100) >= old &* U256(100 + priceBumpPercent)
            }
            guard bumped(transaction.maxFeePerGas, old.maxFeePerGas),
                  bumped(transaction.maxPriorityFeePerGas, old.maxPriorityFeePerGas) else {
                throw PoolRejection("replacement transaction underpriced: raise the fee cap and the priority fee by " +
                                    "at least \(priceBumpPercent)%")
            }
            replaced = existing.hash
        } else {
            if held.count >= maxPerSender {
                throw PoolRejection("txpool is full for \(sender.hexString): \(maxPerSender) transactions pending")
            }
            if byHash.count >= maxTotal { throw PoolRejection("txpool is full: \(maxTotal) transactions pending") }
        }
        arrivals += 1
        let pooled = PooledTransaction(transaction: transaction, sender: sender, hash: hash, arrival: arrivals)
        if let replaced { byHash[replaced] = nil }
        held[transaction.nonce] = pooled
        bySender[sender] = held
        byHash[hash] = pooled
        return replaced
    }

    /// Removes one transaction.
    public mutating func remove(hash: Hash) {
        guard let pooled = byHash.removeValue(forKey: hash) else { return }
        bySender[pooled.sender]?[pooled.transaction.nonce] = nil
        if bySender[pooled.sender]?.isEmpty == true { bySender[pooled.sender] = nil }
    }

    /// Drops what the chain made stale: transactions whose nonce is below their sender's account nonce.
    public mutating func prune(accountNonce: (Address) -> UInt64) {
        for (sender, held) in bySender {
            let nonce = accountNonce(sender)
            for (txNonce, pooled) in held where txNonce < nonce { remove(hash: pooled.hash) }
        }
    }

    /// Executable transactions in block order: repeatedly the highest-tip head of a sender's nonce sequence
    /// (starting at its account nonce), ties by arrival. Transactions whose fee cap is below `baseFee` wait.
    public func ordered(baseFee: U256, accountNonce: (Address) -> UInt64) -> [PooledTransaction] {
        var next: [Address: UInt64] = [:]
        var heads: [PooledTransaction] = []
        for (sender, held) in bySender {
            let nonce = accountNonce(sender)
            next[sender] = nonce
            if let head = held[nonce], head.transaction.maxFeePerGas >= baseFee { heads.append(head) }
        }
        func tip(_ pooled: PooledTransaction) -> U256 {
            let transaction = pooled.transaction
            let available = transaction.maxFeePerGas &- baseFee
            return transaction.maxPriorityFeePerGas < available ? transaction.maxPriorityFeePerGas : available
        }
        func before(_ a: PooledTransaction, _ b: PooledTransaction) -> Bool {
            let (ta, tb) = (tip(a), tip(b))
            return ta != tb ? ta > tb : a.arrival < b.arrival
        }
        var order: [PooledTransaction] = []
        while !heads.isEmpty {
            var best = 0
            for index in 1..<heads.count where before(heads[index], heads[best]) { best = index }
            let chosen = heads.remove(at: best)
            order.append(chosen)
            let nonce = chosen.transaction.nonce + 1
            next[chosen.sender] = nonce
            if let successor = bySender[chosen.sender]?[nonce], successor.transaction.maxFeePerGas >= baseFee {
                heads.append(successor)
            }
        }
        return order
    }
}
