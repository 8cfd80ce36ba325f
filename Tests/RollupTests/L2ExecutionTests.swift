import Chain
import EVM
import Primitives
import State
import Testing
@testable import Rollup

/// The L2 execution rules (`Specs/protocol.md` §4) on the shipped predeploys, and their stateless re-execution.
@Suite("L2 execution")
struct L2ExecutionTests {
    static let ether = U256(1_000_000_000_000_000_000)
    static let sendToL1 = "sendToL1(address,bytes)"

    /// A deposit of 1 ETH to account 5, and a withdrawal of 0.5 ETH by account 1 to account 2 on L1.
    static func depositAndWithdrawal(_ chain: InMemoryL2Chain) throws -> (L2Block, DepositMessage, WithdrawalMessage) {
        let deposit = DepositMessage(origin: DevAccounts.addresses[0], originNonce: .zero,
                                     sender: DevAccounts.addresses[0], to: DevAccounts.addresses[5], value: ether,
                                     data: [])
        let half = U256(500_000_000_000_000_000)
        let withdrawalCall = ABIValue.call(sendToL1, [.address(DevAccounts.addresses[2]), .bytes([0xca, 0xfe])])
        let transaction = chain.transaction(key: 1, nonce: 0, to: RollupProtocol.messengerAddress, value: half,
                                            data: withdrawalCall)
        let block = try chain.produce(deposits: [deposit], transactions: [transaction])
        let withdrawal = WithdrawalMessage(originKey: Hash(leftPadding: DevAccounts.addresses[1].bytes),
                                           originNonce: .zero, sender: DevAccounts.addresses[1],
                                           to: DevAccounts.addresses[2], value: half, data: [0xca, 0xfe])
        return (block, deposit, withdrawal)
    }

    @Test func depositsAndWithdrawalsSetTheInboxAndOutbox() throws {
        let chain = InMemoryL2Chain()
        let before = chain.world.account(DevAccounts.addresses[5])!.balance
        let (block, deposit, withdrawal) = try Self.depositAndWithdrawal(chain)
        #expect(chain.world.account(DevAccounts.addresses[5])!.balance == before &+ Self.ether)
        #expect(block.header.inboxHash == InboxHash.of([deposit.id(l2ChainId: chain.l2ChainId)]))
        #expect(block.header.outboxRoot == withdrawal.id(l2ChainId: chain.l2ChainId))
        // The messenger recorded the relay, and the L1 block info the anchor.
        let anchor = try #require(L2Reads.anchor(chain))
        #expect(anchor.number == block.header.l1AnchorNumber && anchor.hash == block.header.l1AnchorHash)
    }

    @Test func statelessReexecutionReproducesTheRoots() throws {
        let chain = InMemoryL2Chain()
        chain.startRange()
        let (block, deposit, withdrawal) = try Self.depositAndWithdrawal(chain)
        let result = try L2StatelessExecutor.execute(l2ChainId: chain.l2ChainId, parent: chain.rangeParent,
                                                     blocks: [block], witness: chain.witness())
        #expect(result.postStateRoot == block.header.stateRoot)
        #expect(result.blockHash == block.hash)
        #expect(result.parentBlockHash == chain.rangeParent.hash)
        #expect(result.depositIds == [deposit.id(l2ChainId: chain.l2ChainId)])
        #expect(result.withdrawalIds == [withdrawal.id(l2ChainId: chain.l2ChainId)])
        #expect(result.kinds == 1 << 0)
    }

    @Test func aRangeOfBlocksReexecutesOnOneWitness() throws {
        let chain = InMemoryL2Chain()
        try chain.produce()
        chain.startRange()
        let (first, _, _) = try Self.depositAndWithdrawal(chain)
        let second = try chain.produce(kind: .slotEnd, transactions: [
            chain.transaction(key: 5, nonce: 0, to: DevAccounts.addresses[6], value: U256(1234)),
        ], l1AnchorNumber: 2, l1AnchorHash: Keccak256.hash([2]))
        let result = try L2StatelessExecutor.execute(l2ChainId: chain.l2ChainId, parent: chain.rangeParent,
                                                     blocks: [first, second], witness: chain.witness())
        #expect(result.blockNumber == second.number && result.postStateRoot == second.header.stateRoot)
        #expect(result.blockCount == 2 && result.kinds == 0b11)
        #expect(result.l1AnchorNumber == 2)
        #expect(result.satisfies(.settlement, l1BlockNumber: 3, l1ParentHash: Keccak256.hash([2])))
        #expect(!result.satisfies(.based, l1BlockNumber: 3, l1ParentHash: Keccak256.hash([2])))
        #expect(!result.satisfies(.settlement, l1BlockNumber: 4, l1ParentHash: Keccak256.hash([2])))
    }

    /// Re-executes `block` after `tamper` and returns the error's message.
    static func rejection(_ tamper: (inout L2Block, inout L2Header, inout ExecutionWitness) -> Void) throws -> String {
        let chain = InMemoryL2Chain()
        chain.startRange()
        var (block, _, _) = try depositAndWithdrawal(chain)
        var parent = chain.rangeParent
        var witness = chain.witness()
        tamper(&block, &parent, &witness)
        do {
            _ = try L2StatelessExecutor.execute(l2ChainId: chain.l2ChainId, parent: parent, blocks: [block],
                                                witness: witness)
            return "accepted"
        } catch {
            return error.message
        }
    }

    @Test func aWrongStateRootIsRejected() throws {
        let message = try Self.rejection { block, _, _ in block.header.base.stateRoot = Keccak256.hash([1]) }
        #expect(message.contains("state root"))
    }

    @Test func aWrongGasUsedIsRejected() throws {
        let message = try Self.rejection { block, _, _ in block.header.base.gasUsed += 1 }
        #expect(message.contains("gas used"))
    }

    @Test func aWrongInboxHashIsRejected() throws {
        let message = try Self.rejection { block, _, _ in block.header.inboxHash = .zero }
        #expect(message.contains("inbox hash"))
    }

    @Test func aDroppedTransactionIsRejected() throws {
        let message = try Self.rejection { block, _, _ in block.transactions = [] }
        #expect(message != "accepted")
    }

    @Test func aWrongBaseFeeIsRejected() throws {
        let message = try Self.rejection { block, _, _ in block.header.base.baseFeePerGas = U256(1) }
        #expect(message.contains("base fee"))
    }

    @Test func aParentThatDoesNotMatchIsRejected() throws {
        let message = try Self.rejection { _, parent, _ in parent.base.extraData = [1] }
        #expect(message.contains("parent hash"))
    }

    @Test func aWitnessMissingANodeIsRejected() throws {
        // Every node on the way to an account the block touches is needed: dropping the root node leaves nothing.
        let message = try Self.rejection { _, _, witness in
            let root = witness.stateRoot
            witness.stateNodes.removeAll { Keccak256.hash($0) == root }
        }
        #expect(message.contains("witness") || message.contains("node"), "\(message)")
    }

    @Test func aWitnessWithoutCodeIsRejected() throws {
        let message = try Self.rejection { _, _, witness in witness.codes = [] }
        #expect(message.contains("code"))
    }

    @Test func aWitnessForAnotherStateIsRejected() throws {
        let message = try Self.rejection { _, _, witness in witness.stateRoot = Keccak256.hash([7]) }
        #expect(message.contains("witness is against"))
    }

    @Test func blobTransactionsAreInvalidOnTheL2() throws {
        let chain = InMemoryL2Chain()
        let blob = Transaction(type: .blob, chainId: chain.l2ChainId, nonce: 0, maxPriorityFeePerGas: U256(1),
                               maxFeePerGas: U256(100_000_000_000), gasLimit: 21_000, to: DevAccounts.addresses[1],
                               value: .zero, data: [], maxFeePerBlobGas: U256(1_000_000),
                               blobVersionedHashes: [Hash(leftPadding: [0x01] + [UInt8](repeating: 0, count: 31))])
            .signed(with: DevAccounts.privateKeys[0])
        #expect(throws: InvalidBlock.self) { try chain.produce(transactions: [blob]) }
    }

    @Test func aDepositRelayedTwiceInvalidatesTheBlock() throws {
        let chain = InMemoryL2Chain()
        let deposit = DepositMessage(origin: DevAccounts.addresses[0], originNonce: .zero,
                                     sender: DevAccounts.addresses[0], to: DevAccounts.addresses[5], value: .zero,
                                     data: [])
        #expect(throws: L2BlockError.self) { try chain.produce(deposits: [deposit, deposit]) }
        let again = InMemoryL2Chain()
        try again.produce(deposits: [deposit])
        #expect(throws: L2BlockError.self) { try again.produce(deposits: [deposit]) }
    }

    @Test func aWithdrawalDuringADepositIsKeyedByTheDepositId() throws {
        let chain = InMemoryL2Chain()
        // A deposit whose call is `sendToL1` on the messenger itself: the withdrawal it causes has the deposit's id
        // as its origin key (§5.3).
        let call = ABIValue.call(Self.sendToL1, [.address(DevAccounts.addresses[3]), .bytes([])])
        let deposit = DepositMessage(origin: DevAccounts.addresses[0], originNonce: U256(4),
                                     sender: DevAccounts.addresses[0], to: RollupProtocol.messengerAddress,
                                     value: U256(77), data: call)
        let block = try chain.produce(deposits: [deposit])
        let depositId = deposit.id(l2ChainId: chain.l2ChainId)
        // The messenger relays with itself as the caller of sendToL1.
        let expected = WithdrawalMessage(originKey: depositId, originNonce: .zero, sender: RollupProtocol.messengerAddress,
                                         to: DevAccounts.addresses[3], value: U256(77), data: [])
        #expect(block.header.outboxRoot == expected.id(l2ChainId: chain.l2ChainId))
    }

    @Test func blockDataRoundTrips() throws {
        let chain = InMemoryL2Chain()
        let (block, _, _) = try Self.depositAndWithdrawal(chain)
        let second = try chain.produce()
        let data = BlockData.encode([block, second])
        #expect(try BlockData.decode(data) == [block, second])
        #expect(throws: L2BlockError.self) { try BlockData.decode(Array(data.dropLast())) }
        #expect(throws: L2BlockError.self) { try BlockData.decode([0xc1, 0x80]) }
        #expect(throws: L2BlockError.self) { try L2Header.decode(rlp: block.header.base.rlpEncoded) }
    }
}

/// Reads of the L2 predeploys.
enum L2Reads {
    static func anchor(_ chain: InMemoryL2Chain) -> (number: UInt64, hash: Hash)? {
        func call(_ signature: String) -> [UInt8] {
            let state = JournaledState(backend: chain.world)
            let environment = L2BlockExecution.chainConfig(l2ChainId: chain.l2ChainId).blockEnvironment(for: chain.head.base)
            let evm = EVM(state: state, block: environment, transaction: TransactionContext(origin: .zero, gasPrice: .zero))
            return evm.call(caller: .zero, target: RollupProtocol.l1BlockInfoAddress,
                            codeAddress: RollupProtocol.l1BlockInfoAddress, value: .zero, transfersValue: false,
                            input: ABIValue.selector(signature), gas: 1_000_000, isStatic: true, depth: 0).output
        }
        let number = call("anchorNumber()")
        let hash = call("anchorHash()")
        guard number.count == 32, hash.count == 32 else { return nil }
        return (U256(bigEndianBytes: number)!.uint64!, Hash(bytes: hash)!)
    }
}
