import Chain
import EVM
import Primitives
import Testing

@Suite struct BlockBuilderTests {
    @Test func builtBlocksImportOnAnIndependentChain() throws {
        let builder = Blockchain(genesis: Devnet.genesis())
        let follower = Blockchain(genesis: Devnet.genesis())
        var pool = TransactionPool(chainId: Devnet.chainId)
        for account in 0..<3 {
            for nonce in 0..<3 { try pool.add(Devnet.transaction(from: account, nonce: UInt64(nonce)), chain: builder) }
        }
        try pool.add(Devnet.transaction(from: 3, nonce: 0, gasLimit: 50_000, to: Devnet.logger), chain: builder)
        var attributes = Devnet.attributes(after: builder)
        attributes.withdrawals = [Withdrawal(index: 0, validatorIndex: 1, address: Devnet.recipient, amount: 5)]
        let (block, skipped, _) = try builder.buildBlock(from: &pool, attributes: attributes)
        #expect(skipped.isEmpty)
        #expect(block.block.transactions.count == 10)
        #expect(pool.count == 0)
        let imported = try follower.importBlock(block.block)
        #expect(imported.hash == block.hash)
        #expect(follower.state.stateRoot == builder.state.stateRoot)
        // 9 transfers of 1 wei, plus 5 gwei withdrawn.
        #expect(builder.state.accountState(Devnet.recipient)?.balance == U256(9) &+ U256(5_000_000_000))

        // A second, empty block on top: the base fee follows EIP-1559 and the system contracts record history.
        let (second, _, _) = try builder.buildBlock(from: &pool, attributes: Devnet.attributes(after: builder))
        try follower.importBlock(second.block)
        #expect(second.header.baseFeePerGas == FeeMarket.nextBaseFee(parent: block.header))
        let history = try #require(builder.state.accountState(SystemCall.historyStorageAddress))
        #expect(history.storage[U256(1)] == block.hash.word)  // EIP-2935: slot (number - 1) % 8191
        let beacon = try #require(builder.state.accountState(SystemCall.beaconRootsAddress))
        #expect(beacon.storage[U256(second.header.timestamp % 8191 + 8191)] == second.header.parentBeaconBlockRoot?.word)
    }

    @Test func receiptsTransactionsAndLogsCanBeLookedUp() throws {
        let chain = Blockchain(genesis: Devnet.genesis())
        var pool = TransactionPool(chainId: Devnet.chainId)
        let transfer = Devnet.transaction(from: 0, nonce: 0)
        let logging = Devnet.transaction(from: 1, nonce: 0, tip: 2, gasLimit: 50_000, to: Devnet.logger)
        try pool.add(transfer, chain: chain)
        try pool.add(logging, chain: chain)
        let (block, _, _) = try chain.buildBlock(from: &pool, attributes: Devnet.attributes(after: chain))

        // The higher tip goes first.
        let receipt = try #require(chain.receipt(transactionHash: logging.hash))
        #expect(receipt.transactionIndex == 0 && receipt.blockNumber == 1 && receipt.blockHash == block.hash)
        #expect(receipt.from == DevAccounts.addresses[1] && receipt.to == Devnet.logger)
        #expect(receipt.receipt.succeeded && receipt.logs.count == 1)
        #expect(receipt.logs[0].log.topics == [Devnet.logTopic] && receipt.logs[0].logIndex == 0)
        let transferReceipt = try #require(chain.receipt(transactionHash: transfer.hash))
        #expect(transferReceipt.gasUsed == 21_000)
        #expect(transferReceipt.receipt.cumulativeGasUsed == receipt.gasUsed + 21_000)
        #expect(chain.transaction(hash: transfer.hash)?.location.index == 1)
        #expect(chain.receipt(transactionHash: Hash(word: U256(1))) == nil)

        #expect(chain.logs(matching: LogFilter()).count == 1)
        #expect(chain.logs(matching: LogFilter(addresses: [Devnet.logger], topics: [[Devnet.logTopic]])).count == 1)
        #expect(chain.logs(matching: LogFilter(addresses: [Devnet.recipient])).isEmpty)
        #expect(chain.logs(matching: LogFilter(topics: [nil, [Devnet.logTopic]])).isEmpty)
        #expect(chain.logs(matching: LogFilter(fromBlock: 2)).isEmpty)
        #expect(chain.block(number: 1)?.hash == block.hash && chain.block(hash: block.hash)?.number == 1)
    }

    @Test func forcedGroupsGoFirstEachAllOrNothing() throws {
        let chain = Blockchain(genesis: Devnet.genesis())
        var pool = TransactionPool(chainId: Devnet.chainId)
        // A pooled transaction with the highest tip still comes after the forced groups.
        let pooled = Devnet.transaction(from: 0, nonce: 0, tip: 50)
        let alsoPooled = Devnet.transaction(from: 5, nonce: 0, tip: 40)
        try pool.add(pooled, chain: chain)
        try pool.add(alsoPooled, chain: chain)
        let first = Devnet.transaction(from: 1, nonce: 0)
        let second = Devnet.transaction(from: 1, nonce: 1, gasLimit: 50_000, to: Devnet.logger)
        let innocent = Devnet.transaction(from: 3, nonce: 0)
        let burning = Devnet.transaction(from: 2, nonce: 0, gasLimit: 50_000, to: Devnet.burner)  // runs out of gas
        let tolerated = Devnet.transaction(from: 4, nonce: 0, gasLimit: 50_000, to: Devnet.burner)
        func group(_ transactions: [Transaction], revertible: Set<Hash> = []) throws -> TransactionGroup {
            TransactionGroup(transactions: transactions, senders: try transactions.map { try $0.recoverSender() },
                             revertible: revertible)
        }
        let prefix = ForcedPrefix(groups: [
            try group([first, second]),
            try group([first]),                                   // its nonce is used by the group before: dropped
            try group([innocent, burning]),                       // one failure sinks the whole group
            try group([tolerated], revertible: [tolerated.hash]), // a listed failure does not
            try group([pooled]),                                  // forced and pooled: included once
        ])
        let built = try BlockBuilder().build(on: chain, pool: pool, attributes: Devnet.attributes(after: chain),
                                             prefix: prefix)
        #expect(built.includedGroups == [0, 3, 4])
        #expect(built.block.transactions.map(\.hash) == [first.hash, second.hash, tolerated.hash, pooled.hash, alsoPooled.hash])
        #expect(built.result.receipts.map(\.succeeded) == [true, true, false, true, true])
        #expect(built.skipped.isEmpty)

        let block = chain.append(built: built)
        let follower = Blockchain(genesis: Devnet.genesis())
        #expect(try follower.importBlock(block.block).hash == block.hash)
        #expect(chain.state.account(DevAccounts.addresses[3])?.nonce ?? 0 == 0)  // the sunk group left no trace
    }

    @Test("A checked group goes in without a trial; one that reverts after all fails the build instead of being left out")
    func checkedGroupsHaveNoTrial() throws {
        let chain = Blockchain(genesis: Devnet.genesis())
        let pool = TransactionPool(chainId: Devnet.chainId)
        let transfer = Devnet.transaction(from: 1, nonce: 0)
        let logging = Devnet.transaction(from: 1, nonce: 1, gasLimit: 50_000, to: Devnet.logger)
        let burning = Devnet.transaction(from: 2, nonce: 0, gasLimit: 50_000, to: Devnet.burner)  // runs out of gas
        func group(_ transactions: [Transaction], revertible: Set<Hash> = [], checked: Bool) throws -> TransactionGroup {
            TransactionGroup(transactions: transactions, senders: try transactions.map { try $0.recoverSender() },
                             revertible: revertible, checked: checked)
        }
        // The same block as the unchecked group's.
        let checked = try BlockBuilder().build(on: chain, pool: pool, attributes: Devnet.attributes(after: chain),
                                               prefix: ForcedPrefix(groups: [try group([transfer, logging], checked: true)]))
        let tried = try BlockBuilder().build(on: chain, pool: pool, attributes: Devnet.attributes(after: chain),
                                             prefix: ForcedPrefix(groups: [try group([transfer, logging], checked: false)]))
        #expect(checked.block.hash == tried.block.hash)
        #expect(checked.includedGroups == [0])
        // A listed failure is allowed; an unlisted one fails the build, where an unchecked group would be left out.
        let allowed = try BlockBuilder().build(on: chain, pool: pool, attributes: Devnet.attributes(after: chain),
                                               prefix: ForcedPrefix(groups: [try group([burning], revertible: [burning.hash], checked: true)]))
        #expect(allowed.result.receipts.map(\.succeeded) == [false])
        #expect(throws: InvalidBlock.self) {
            try BlockBuilder().build(on: chain, pool: pool, attributes: Devnet.attributes(after: chain),
                                     prefix: ForcedPrefix(groups: [try group([burning], checked: true)]))
        }
        let leftOut = try BlockBuilder().build(on: chain, pool: pool, attributes: Devnet.attributes(after: chain),
                                               prefix: ForcedPrefix(groups: [try group([burning], checked: false)]))
        #expect(leftOut.block.transactions.isEmpty && leftOut.includedGroups.isEmpty)
        #expect(chain.head.number == 0, "building changes nothing")
    }

    @Test func transactionsThatNoLongerFitAreSkipped() throws {
        let chain = Blockchain(genesis: Devnet.genesis())
        var pool = TransactionPool(chainId: Devnet.chainId)
        let everything = U256(10_000) &* U256(1_000_000_000_000_000_000)
        // Sender 0 spends almost everything first; its second transaction then cannot pay.
        let spend = Devnet.transaction(from: 0, nonce: 0, tip: 5,
                                       value: everything &- U256(21_000) &* U256(100) &* Devnet.gwei)
        let broke = Devnet.transaction(from: 0, nonce: 1, tip: 5)
        let later = Devnet.transaction(from: 0, nonce: 2, tip: 5)
        let other = Devnet.transaction(from: 1, nonce: 0, tip: 1)
        for transaction in [spend, broke, later, other] { try pool.add(transaction, chain: chain) }
        let (block, skipped, _) = try chain.buildBlock(from: &pool, attributes: Devnet.attributes(after: chain))
        #expect(block.block.transactions.map(\.hash) == [spend.hash, other.hash])
        #expect(skipped.map(\.hash) == [broke.hash])
        #expect(skipped.first?.reason.transactionCode == "INSUFFICIENT_ACCOUNT_FUNDS")
        // The skipped ones stay pooled (they may become valid), the included ones are gone.
        #expect(pool.count == 2)
    }

    @Test func theBlockGasLimitBoundsTheBlock() throws {
        let chain = Blockchain(genesis: Devnet.genesis())
        var pool = TransactionPool(chainId: Devnet.chainId)
        for account in 0..<10 {
            try pool.add(Devnet.transaction(from: account, nonce: 0, gasLimit: 4_000_000, to: Devnet.burner),
                         chain: chain)
        }
        let (block, skipped, deferred) = try chain.buildBlock(from: &pool, attributes: Devnet.attributes(after: chain))
        // Each burns its 4M gas, so 30M holds seven; the others wait for the next block.
        #expect(block.block.transactions.count == 7)
        #expect(block.header.gasUsed == 28_000_000)
        // They are deferred (left pooled for a later block), not skipped as invalid.
        #expect(skipped.isEmpty && deferred.count == 3)
        #expect(block.receipts.allSatisfy { !$0.succeeded })
        #expect(pool.count == 3)
    }

    @Test func anInvalidBlockLeavesTheChainUnchanged() throws {
        let builder = Blockchain(genesis: Devnet.genesis())
        let follower = Blockchain(genesis: Devnet.genesis())
        var pool = TransactionPool(chainId: Devnet.chainId)
        try pool.add(Devnet.transaction(from: 0, nonce: 0), chain: builder)
        let (built, _, _) = try builder.buildBlock(from: &pool, attributes: Devnet.attributes(after: builder))
        let rootBefore = follower.state.stateRoot
        let cases: [(InvalidBlock.Code, (inout Block) -> Void)] = [
            (.stateRoot, { $0.header.stateRoot = Hash(word: U256(1)) }),
            (.gasUsed, { $0.header.gasUsed += 1 }),
            (.receiptsRoot, { $0.header.receiptsRoot = Hash(word: U256(1)) }),
            (.transactionsRoot, { $0.header.transactionsRoot = Hash(word: U256(1)) }),
            (.baseFee, { $0.header.baseFeePerGas = U256(1) }),
            (.timestamp, { $0.header.timestamp = 1_000 }),
            (.blockNumber, { $0.header.number = 2 }),
            (.requestsHash, { $0.header.requestsHash = Hash(word: U256(1)) }),
            (.unknownParent, { $0.header.parentHash = Hash(word: U256(1)) }),
            (.extraDataTooBig, { $0.header.extraData = [UInt8](repeating: 1, count: 33) }),
            (.invalidTransaction, { $0.transactions[0].nonce = 5 }),
        ]
        for (expected, mutate) in cases {
            var block = built.block
            mutate(&block)
            do {
                try follower.importBlock(block)
                Issue.record("a block with a wrong \(expected) was imported")
            } catch {
                #expect(error.code == expected, "\(error)")
            }
            #expect(follower.head.number == 0 && follower.state.stateRoot == rootBefore)
        }
        try follower.importBlock(built.block)
        #expect(follower.head.hash == built.hash)
    }
}
