import Chain
import EVM
import Primitives
import Testing

@Suite struct TransactionPoolTests {
    let chain = Blockchain(genesis: Devnet.genesis())

    @Test func ordersByNonceWithinASenderAndByTipAcrossSenders() throws {
        var pool = TransactionPool(chainId: Devnet.chainId)
        // Sender 0: nonces 1 then 0, tips 5 and 1. Sender 1: tip 3. Sender 2: tip 3, arrives later.
        try pool.add(Devnet.transaction(from: 0, nonce: 1, tip: 5), chain: self.chain)
        try pool.add(Devnet.transaction(from: 0, nonce: 0, tip: 1), chain: self.chain)
        try pool.add(Devnet.transaction(from: 1, nonce: 0, tip: 3), chain: self.chain)
        try pool.add(Devnet.transaction(from: 2, nonce: 0, tip: 3), chain: self.chain)
        var ordering = pool.ordering(baseFee: Devnet.gwei) { _ in 0 }
        var order: [(Int, UInt64)] = []
        while let entry = ordering.next() {
            order.append((DevAccounts.addresses.firstIndex(of: entry.sender)!, entry.transaction.nonce))
        }
        #expect(order.map(\.0) == [1, 2, 0, 0])
        #expect(order.map(\.1) == [0, 0, 0, 1])
        #expect(pool.pendingNonce(of: DevAccounts.addresses[0], stateNonce: 0) == 2)
    }

    @Test func aNonceGapHoldsBackLaterTransactions() throws {
        var pool = TransactionPool(chainId: Devnet.chainId)
        try pool.add(Devnet.transaction(from: 0, nonce: 2), chain: self.chain)
        var ordering = pool.ordering(baseFee: Devnet.gwei) { _ in 0 }
        #expect(ordering.next() == nil)
        #expect(pool.count == 1)
    }

    @Test func feeCapBelowTheBaseFeeWaits() throws {
        var pool = TransactionPool(chainId: Devnet.chainId)
        try pool.add(Devnet.transaction(from: 0, nonce: 0, tip: 1, feeCap: 2), chain: self.chain)
        var ordering = pool.ordering(baseFee: U256(3) &* Devnet.gwei) { _ in 0 }
        #expect(ordering.next() == nil)
    }

    @Test func replacementNeedsATenPercentBump() throws {
        var pool = TransactionPool(chainId: Devnet.chainId)
        let original = Devnet.transaction(from: 0, nonce: 0, tip: 10, feeCap: 100)
        try pool.add(original, chain: self.chain)
        do {
            try pool.add(Devnet.transaction(from: 0, nonce: 0, tip: 10, feeCap: 109, value: U256(2)), chain: self.chain)
            Issue.record("a 9% fee cap bump replaced the transaction")
        } catch {
            #expect(error.code == .replacementUnderpriced)
        }
        do {
            try pool.add(Devnet.transaction(from: 0, nonce: 0, tip: 10, feeCap: 200, value: U256(2)), chain: self.chain)
            Issue.record("a replacement without a tip bump was accepted")
        } catch {
            #expect(error.code == .replacementUnderpriced)
        }
        let replacement = Devnet.transaction(from: 0, nonce: 0, tip: 11, feeCap: 110, value: U256(2))
        try pool.add(replacement, chain: self.chain)
        #expect(pool.count == 1)
        #expect(pool.entry(hash: original.hash) == nil)
        #expect(pool.entry(hash: replacement.hash) != nil)
    }

    @Test func rejectionsSayWhy() throws {
        var pool = TransactionPool(chainId: Devnet.chainId)
        func code(_ transaction: Transaction) -> PoolError.Code? {
            do {
                try pool.add(transaction, chain: self.chain)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code(Devnet.transaction(from: 0, nonce: 0, chainId: 1)) == .wrongChainId)
        #expect(code(Devnet.transaction(from: 0, nonce: 0, gasLimit: 20_999)) == .intrinsicGas)
        #expect(code(Devnet.transaction(from: 0, nonce: 0, value: U256(10_001) &* U256(1_000_000_000_000_000_000)))
                == .insufficientFunds)
        #expect(code(Devnet.transaction(from: 0, nonce: 0, gasLimit: 40_000_000)) == .gasLimit)
        let valid = Devnet.transaction(from: 0, nonce: 0)
        #expect(code(valid) == nil)
        #expect(code(valid) == .alreadyKnown)
        var strict = TransactionPool(chainId: Devnet.chainId, limits: .init(minimumPriorityFee: U256(2) &* Devnet.gwei))
        do {
            try strict.add(Devnet.transaction(from: 1, nonce: 0, tip: 1), chain: self.chain)
            Issue.record("an underpriced transaction was accepted")
        } catch {
            #expect(error.code == .underpriced)
        }
        // Priority fee above the fee cap.
        #expect(code(Devnet.transaction(from: 2, nonce: 0, tip: 200, feeCap: 100)) == .invalid)
    }

    @Test func nonceTooLowAfterInclusion() throws {
        let chain = Blockchain(genesis: Devnet.genesis())
        var pool = TransactionPool(chainId: Devnet.chainId)
        try pool.add(Devnet.transaction(from: 0, nonce: 0), chain: chain)
        try chain.buildBlock(from: &pool, attributes: Devnet.attributes(after: chain))
        #expect(pool.count == 0)
        do {
            try pool.add(Devnet.transaction(from: 0, nonce: 0, tip: 2), chain: chain)
            Issue.record("a transaction with a used nonce was accepted")
        } catch {
            #expect(error.code == .nonceTooLow)
        }
    }

    @Test func perSenderAndGlobalLimits() throws {
        var pool = TransactionPool(chainId: Devnet.chainId, limits: .init(perSender: 2, total: 3))
        try pool.add(Devnet.transaction(from: 0, nonce: 0), chain: self.chain)
        try pool.add(Devnet.transaction(from: 0, nonce: 1), chain: self.chain)
        do {
            try pool.add(Devnet.transaction(from: 0, nonce: 2), chain: self.chain)
            Issue.record("the per-sender limit was not applied")
        } catch {
            #expect(error.code == .senderLimit)
        }
        try pool.add(Devnet.transaction(from: 1, nonce: 0, tip: 1), chain: self.chain)
        // Full: an equally cheap newcomer is refused, a better-paying one evicts the cheapest sender's last.
        do {
            try pool.add(Devnet.transaction(from: 2, nonce: 0, tip: 1), chain: self.chain)
            Issue.record("the global limit was not applied")
        } catch {
            #expect(error.code == .poolFull)
        }
        let better = Devnet.transaction(from: 2, nonce: 0, tip: 5)
        try pool.add(better, chain: self.chain)
        #expect(pool.count == 3)
        #expect(pool.entry(hash: better.hash) != nil)
    }
}
