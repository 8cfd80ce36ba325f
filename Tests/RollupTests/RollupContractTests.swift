import Chain
import EVM
import Primitives
import State
import Testing
@testable import Rollup

/// The Rollup contract and its verifiers (shipped artifacts) on Lockstep's own EVM, with the EXECUTE precompile:
/// the accepting paths and every rejection of `Specs/protocol.md` §5–§8. `Tests/Interop/test_contracts_boa.py` runs
/// the same scenarios on py-evm as a second opinion.
@Suite("Rollup contract on Lockstep's EVM")
struct RollupContractTests {
    static let ether = U256(1_000_000_000_000_000_000)
    static let sequencerKey = 9, builderKey = 8, searcherKey = 1, deployerKey = 0

    /// An L1 with the contracts deployed (2-of-3 policy: attestation by 2 of accounts 7, 6, 5, and EXECUTE), and
    /// the L2 at its genesis.
    final class Fixture {
        let l1 = L1TestChain()
        let l2: InMemoryL2Chain
        let attestationVerifier: Address
        let executeVerifier: Address
        let rollup: Address
        let domain: RollupDomain

        init(threshold: UInt64 = 2) throws {
            let deployer = DevAccounts.addresses[RollupContractTests.deployerKey]
            self.l2 = InMemoryL2Chain(l1AnchorNumber: 0, l1AnchorHash: self.l1.head.hash)
            let predictedRollup = Address.contractAddress(sender: deployer, nonce: 2)
            self.attestationVerifier = try self.l1.deploy(
                key: RollupContractTests.deployerKey, bytecode: ContractArtifacts.attestationVerifierBytecode,
                arguments: ABIValue.encode([.address(predictedRollup),
                                            .array([7, 6, 5].map { ABIValue.address(DevAccounts.addresses[$0]) }), .uint(UInt64(2))]))
            self.executeVerifier = try self.l1.deploy(
                key: RollupContractTests.deployerKey, bytecode: ContractArtifacts.executeVerifierBytecode,
                arguments: ABIValue.encode([.uint(self.l2.l2ChainId)]))
            self.rollup = try self.l1.deploy(
                key: RollupContractTests.deployerKey, bytecode: ContractArtifacts.rollupBytecode,
                arguments: RollupCalls.constructorArguments(
                    sequencer: DevAccounts.addresses[RollupContractTests.sequencerKey], l2ChainId: self.l2.l2ChainId,
                    genesisHash: self.l2.head.hash, genesisStateRoot: self.l2.head.stateRoot,
                    verifiers: [self.attestationVerifier, self.executeVerifier, .zero], threshold: threshold))
            #expect(self.rollup == predictedRollup)
            self.domain = RollupDomain(l1ChainId: self.l1.config.chainId, rollup: self.rollup)
        }

        /// The sequencer's slot-end block for the next L1 block, and its signed handoff.
        func handoff() throws -> (Handoff, [UInt8]) {
            let slotEnd = try self.l2.produce(kind: .slotEnd, l1AnchorNumber: self.l1.head.number,
                                              l1AnchorHash: self.l1.head.hash)
            let handoff = Handoff(l2ChainId: self.l2.l2ChainId, l2BlockNumber: slotEnd.number,
                                  l2BlockHash: slotEnd.hash, l2StateRoot: slotEnd.header.stateRoot,
                                  l1TargetBlockNumber: self.l1.nextNumber, l1ParentHash: self.l1.head.hash)
            return (handoff, self.domain.sign(handoff, key: DevAccounts.privateKeys[RollupContractTests.sequencerKey]))
        }

        /// A deposit of 1 ETH from the searcher to account 5 on the L2, as the L1 transaction and the message.
        func deposit(nonce: UInt64 = 0) -> (Transaction, DepositMessage) {
            let searcher = DevAccounts.addresses[RollupContractTests.searcherKey]
            let transaction = self.l1.transaction(key: RollupContractTests.searcherKey, to: self.rollup,
                                                  value: RollupContractTests.ether,
                                                  data: RollupCalls.sendToL2(to: DevAccounts.addresses[5], data: []),
                                                  gas: 300_000)
            return (transaction, DepositMessage(origin: searcher, originNonce: U256(nonce), sender: searcher,
                                                to: DevAccounts.addresses[5], value: RollupContractTests.ether,
                                                data: []))
        }

        /// A based block on the current L2 head consuming `deposits`, in which the searcher withdraws 0.5 ETH to
        /// account 2 on L1.
        func basedBlock(deposits: [DepositMessage], withdrawalNonce: UInt64 = 0,
                        l2Nonce: UInt64 = 0) throws -> (block: L2Block, parent: L2Header, witness: ExecutionWitness,
                                                          withdrawal: WithdrawalMessage) {
            let half = U256(500_000_000_000_000_000)
            self.l2.startRange()
            let call = ABIValue.call("sendToL1(address,bytes)", [.address(DevAccounts.addresses[2]), .bytes([])])
            let block = try self.l2.produce(
                kind: .based, deposits: deposits,
                transactions: [self.l2.transaction(key: RollupContractTests.searcherKey, nonce: l2Nonce,
                                                   to: RollupProtocol.messengerAddress, value: half, data: call)],
                coinbase: DevAccounts.addresses[RollupContractTests.builderKey],
                l1AnchorNumber: self.l1.head.number, l1AnchorHash: self.l1.head.hash)
            let searcher = DevAccounts.addresses[RollupContractTests.searcherKey]
            let withdrawal = WithdrawalMessage(originKey: Hash(leftPadding: searcher.bytes),
                                               originNonce: U256(withdrawalNonce), sender: searcher,
                                               to: DevAccounts.addresses[2], value: half, data: [])
            return (block, self.l2.rangeParent, self.l2.witness(), withdrawal)
        }

        /// The public inputs of a based submission of `block` on `parent`.
        func publicInputs(parent: L2Header, blocks: [L2Block], l1BlockNumber: UInt64, l1ParentHash: Hash,
                          submitterKey: Int) -> PublicInputs {
            let block = blocks[0]
            return PublicInputs(
                mode: .based, l2ChainId: self.l2.l2ChainId, parentBlockNumber: parent.number,
                parentBlockHash: parent.hash, parentStateRoot: parent.stateRoot, blockNumber: block.number,
                blockHash: block.hash, postStateRoot: block.header.stateRoot, inboxHash: block.header.inboxHash,
                outboxRoot: block.header.outboxRoot, l1BlockNumber: l1BlockNumber, l1ParentHash: l1ParentHash,
                submitter: DevAccounts.addresses[submitterKey], blockDataHash: Keccak256.hash(BlockData.encode(blocks)))
        }

        func attestation(_ inputs: PublicInputs, keys: [Int] = [7, 6]) -> RollupCalls.Proof {
            RollupCalls.Proof(system: RollupCalls.Proof.attestationSystem,
                              data: RollupCalls.attestationProof(publicInputsHash: inputs.hash, domain: self.domain,
                                                                 keys: keys.map { DevAccounts.privateKeys[$0] }))
        }

        func executeProof(parent: L2Header, witness: ExecutionWitness) -> RollupCalls.Proof {
            RollupCalls.Proof(system: RollupCalls.Proof.executeSystem,
                              data: ExecuteCall.executeProof(parent: parent, witness: witness))
        }

        func view(_ signature: String, _ arguments: [ABIValue] = []) -> [UInt8] {
            self.l1.call(self.rollup, ABIValue.call(signature, arguments))
        }
    }

    /// A based submission's parts, so that a test can break one.
    struct Submission {
        var handoff: Handoff
        var signature: [UInt8]
        var block: L2Block
        var depositIds: [Hash]
        var withdrawalIds: [Hash]
        var proofs: [RollupCalls.Proof]
        var submitterKey = RollupContractTests.builderKey
        var sendDeposit = true

        func calldata() -> [UInt8] {
            RollupCalls.submitBased(handoff: self.handoff, sequencerSignature: self.signature, blockHash: self.block.hash,
                                    postStateRoot: self.block.header.stateRoot, depositIds: self.depositIds,
                                    withdrawalIds: self.withdrawalIds, blockData: BlockData.encode([self.block]),
                                    proofs: self.proofs)
        }
    }

    /// Builds the standard scenario (deposit → based block with a withdrawal → withdrawal executed, one L1 block),
    /// lets `change` break it, mines it, and returns the outcomes of [deposit?, submitBased, executeFromL2].
    static func run(_ change: (Fixture, inout Submission) -> Void = { _, _ in })
        throws -> (fixture: Fixture, outcomes: [L1TestChain.Outcome], withdrawal: WithdrawalMessage, block: L2Block) {
        let fixture = try Fixture()
        let (handoff, signature) = try fixture.handoff()
        let (depositTransaction, deposit) = fixture.deposit()
        let based = try fixture.basedBlock(deposits: [deposit])
        let inputs = fixture.publicInputs(parent: based.parent, blocks: [based.block],
                                          l1BlockNumber: handoff.l1TargetBlockNumber,
                                          l1ParentHash: handoff.l1ParentHash, submitterKey: builderKey)
        var submission = Submission(
            handoff: handoff, signature: signature, block: based.block,
            depositIds: [deposit.id(l2ChainId: fixture.l2.l2ChainId)],
            withdrawalIds: [based.withdrawal.id(l2ChainId: fixture.l2.l2ChainId)],
            proofs: [fixture.attestation(inputs), fixture.executeProof(parent: based.parent, witness: based.witness)])
        change(fixture, &submission)
        var transactions: [Transaction] = submission.sendDeposit ? [depositTransaction] : []
        transactions.append(fixture.l1.transaction(key: submission.submitterKey, to: fixture.rollup,
                                                   data: submission.calldata(), gas: 12_000_000))
        transactions.append(fixture.l1.transaction(key: 3, to: fixture.rollup,
                                                   data: RollupCalls.executeFromL2(based.withdrawal), gas: 300_000))
        let outcomes = try fixture.l1.mine(transactions)
        return (fixture, outcomes, based.withdrawal, based.block)
    }

    // MARK: Accepted

    @Test func aDepositQueuedLogDecodesToItsDepositAndNothingElse() throws {
        let fixture = try Fixture()
        let (transaction, deposit) = fixture.deposit()
        let outcomes = try fixture.l1.mine([transaction])
        let log = try #require(outcomes[0].receipt.logs.first { $0.topics.first == DepositMessage.depositQueuedTopic })
        #expect(try DepositMessage(depositQueued: log, l2ChainId: fixture.l2.l2ChainId) == deposit)
        // Another chain's id, a cut-off payload, or another event are refused.
        #expect(throws: L2BlockError.self) { try DepositMessage(depositQueued: log, l2ChainId: fixture.l2.l2ChainId + 1) }
        var truncated = log
        truncated.data.removeLast(40)
        #expect(throws: L2BlockError.self) { try DepositMessage(depositQueued: truncated, l2ChainId: fixture.l2.l2ChainId) }
        var other = log
        other.topics[0] = WithdrawalMessage.sentToL1Topic
        #expect(throws: L2BlockError.self) { try DepositMessage(depositQueued: other, l2ChainId: fixture.l2.l2ChainId) }
    }

    @Test func aBasedBlockLandsWithAttestationAndExecuteProofsAndItsWithdrawalExecutesInTheSameBlock() throws {
        let payee = DevAccounts.addresses[2]
        let (fixture, outcomes, withdrawal, block) = try Self.run()
        for (index, outcome) in outcomes.enumerated() {
            #expect(outcome.succeeded, "transaction \(index): \(outcome.revertReason ?? "no reason")")
        }
        let head = fixture.view("head()")
        #expect(U256(bigEndianBytes: head[0..<32]) == U256(block.number))
        #expect(Hash(bytes: head[32..<64]) == block.hash)
        #expect(Hash(bytes: head[64..<96]) == block.header.stateRoot)
        let status = fixture.view("withdrawals(bytes32)", [.bytes32(withdrawal.id(l2ChainId: fixture.l2.l2ChainId))])
        #expect(U256(bigEndianBytes: status) == U256(2))  // EXECUTED
        let balance = fixture.l1.world.account(payee)!.balance
        #expect(balance == U256(10_000) &* Self.ether &+ U256(500_000_000_000_000_000))
        // The rollup keeps the rest of the deposit.
        #expect(fixture.l1.world.account(fixture.rollup)!.balance == U256(500_000_000_000_000_000))
    }

    @Test func basedBlocksChainOnOneHandoffInOneL1Block() throws {
        let fixture = try Fixture()
        let (handoff, signature) = try fixture.handoff()
        let (depositTransaction, deposit) = fixture.deposit()
        let first = try fixture.basedBlock(deposits: [deposit])
        let second = try fixture.basedBlock(deposits: [], withdrawalNonce: 1, l2Nonce: 1)
        var transactions = [depositTransaction]
        for based in [first, second] {
            let inputs = fixture.publicInputs(parent: based.parent, blocks: [based.block],
                                              l1BlockNumber: handoff.l1TargetBlockNumber,
                                              l1ParentHash: handoff.l1ParentHash, submitterKey: Self.builderKey)
            let submission = Submission(
                handoff: handoff, signature: signature, block: based.block,
                depositIds: based.block.depositIds(l2ChainId: fixture.l2.l2ChainId),
                withdrawalIds: [based.withdrawal.id(l2ChainId: fixture.l2.l2ChainId)],
                proofs: [fixture.attestation(inputs), fixture.executeProof(parent: based.parent, witness: based.witness)])
            transactions.append(fixture.l1.transaction(key: Self.builderKey, to: fixture.rollup,
                                                       data: submission.calldata(), gas: 12_000_000))
        }
        let outcomes = try fixture.l1.mine(transactions)
        for outcome in outcomes { #expect(outcome.succeeded, "\(outcome.revertReason ?? "no reason")") }
        #expect(Hash(bytes: fixture.view("head()")[32..<64]) == second.block.hash)
    }

    @Test func settlementProvesSequencedBlocksAndTheirWithdrawalsExecuteWithAProof() throws {
        let fixture = try Fixture()
        let l2 = fixture.l2
        l2.startRange()
        let call = ABIValue.call("sendToL1(address,bytes)", [.address(DevAccounts.addresses[4]), .bytes([0x01])])
        var ids: [Hash] = []
        for nonce in 0..<3 as Range<UInt64> {
            let block = try l2.produce(transactions: [
                l2.transaction(key: 0, nonce: nonce, to: RollupProtocol.messengerAddress, value: U256(1000 + nonce),
                               data: call),
            ], l1AnchorNumber: fixture.l1.head.number, l1AnchorHash: fixture.l1.head.hash)
            ids.append(WithdrawalMessage(originKey: Hash(leftPadding: DevAccounts.addresses[0].bytes),
                                         originNonce: U256(nonce), sender: DevAccounts.addresses[0],
                                         to: DevAccounts.addresses[4], value: U256(1000 + nonce), data: [0x01])
                .id(l2ChainId: l2.l2ChainId))
            #expect(block.header.outboxRoot == ids.last!)
        }
        let blocks = l2.blocks
        let parent = l2.rangeParent
        let l1BlockNumber = fixture.l1.head.number + 1
        let inputs = PublicInputs(
            mode: .settlement, l2ChainId: l2.l2ChainId, parentBlockNumber: parent.number, parentBlockHash: parent.hash,
            parentStateRoot: parent.stateRoot, blockNumber: l2.head.number, blockHash: l2.head.hash,
            postStateRoot: l2.head.stateRoot, inboxHash: .zero, outboxRoot: Outbox.root(ids),
            l1BlockNumber: l1BlockNumber, l1ParentHash: fixture.l1.head.hash,
            submitter: DevAccounts.addresses[Self.sequencerKey], blockDataHash: Keccak256.hash(BlockData.encode(blocks)))
        let settle = RollupCalls.settle(
            blockNumber: l2.head.number, blockHash: l2.head.hash, postStateRoot: l2.head.stateRoot,
            l1BlockNumber: l1BlockNumber, depositIds: [], outboxRoot: Outbox.root(ids),
            blockData: BlockData.encode(blocks),
            proofs: [fixture.attestation(inputs), fixture.executeProof(parent: parent, witness: l2.witness())])
        let badProof = RollupCalls.proveWithdrawal(l2BlockHash: l2.head.hash, withdrawalId: ids[1], index: 1,
                                                   proof: Outbox.proof(ids, index: 2))
        let goodProof = RollupCalls.proveWithdrawal(l2BlockHash: l2.head.hash, withdrawalId: ids[1], index: 1,
                                                    proof: Outbox.proof(ids, index: 1))
        let outcomes = try fixture.l1.mine([
            fixture.l1.transaction(key: 0, to: fixture.rollup, value: Self.ether,
                                   data: RollupCalls.sendToL2(to: DevAccounts.addresses[0], data: []), gas: 300_000),
            fixture.l1.transaction(key: Self.sequencerKey, to: fixture.rollup, data: settle, gas: 12_000_000),
            fixture.l1.transaction(key: 3, to: fixture.rollup, data: badProof, gas: 300_000),
            fixture.l1.transaction(key: 3, to: fixture.rollup, data: goodProof, gas: 300_000),
        ])
        #expect(outcomes[1].succeeded, "settle: \(outcomes[1].revertReason ?? "no reason")")
        #expect(!outcomes[2].succeeded && outcomes[2].revertReason == "outbox: bad proof")
        #expect(outcomes[3].succeeded, "\(outcomes[3].revertReason ?? "no reason")")
        let settled = fixture.view("settledHead()")
        #expect(Hash(bytes: settled[32..<64]) == l2.head.hash)
        #expect(U256(bigEndianBytes: fixture.view("withdrawals(bytes32)", [.bytes32(ids[1])])) == U256(1))  // VERIFIED
    }

    // MARK: Rejected

    /// Runs the scenario broken by `change` and returns the submission's revert reason.
    static func submissionRejection(_ change: (Fixture, inout Submission) -> Void) throws -> String? {
        let (_, outcomes, _, _) = try run(change)
        let submit = outcomes[outcomes.count - 2]
        #expect(!submit.succeeded)
        #expect(!outcomes.last!.succeeded, "the withdrawal must not execute when its block was refused")
        return submit.revertReason
    }

    @Test func aHandoffSignedByAnotherKeyIsRefused() throws {
        let reason = try Self.submissionRejection { fixture, submission in
            submission.signature = fixture.domain.sign(submission.handoff, key: DevAccounts.privateKeys[1])
        }
        #expect(reason == "handoff: wrong signer")
    }

    @Test func aHandoffForAnotherL1BlockIsRefused() throws {
        let reason = try Self.submissionRejection { fixture, submission in
            submission.handoff.l1TargetBlockNumber += 1
            submission.signature = fixture.domain.sign(submission.handoff, key: DevAccounts.privateKeys[Self.sequencerKey])
        }
        #expect(reason == "handoff: wrong L1 block")
    }

    @Test func aHandoffForAnotherL1ParentIsRefused() throws {
        let reason = try Self.submissionRejection { fixture, submission in
            submission.handoff.l1ParentHash = Keccak256.hash([0x42])
            submission.signature = fixture.domain.sign(submission.handoff, key: DevAccounts.privateKeys[Self.sequencerKey])
        }
        #expect(reason == "handoff: wrong L1 parent")
    }

    @Test func aDepositConsumedTwiceIsRefused() throws {
        let reason = try Self.submissionRejection { _, submission in
            submission.depositIds = submission.depositIds + submission.depositIds
        }
        #expect(reason == "deposit: already consumed")
    }

    @Test func aDepositNeverSentIsRefused() throws {
        let reason = try Self.submissionRejection { _, submission in submission.sendDeposit = false }
        #expect(reason == "deposit: never sent")
    }

    @Test func oneProofBelowAThresholdOfTwoIsRefused() throws {
        let reason = try Self.submissionRejection { _, submission in submission.proofs.removeLast() }
        #expect(reason == "proofs: below threshold")
    }

    @Test func anAttestationOfOtherPublicInputsDoesNotCount() throws {
        let reason = try Self.submissionRejection { fixture, submission in
            var lie = fixture.publicInputs(parent: fixture.l2.rangeParent, blocks: [submission.block],
                                           l1BlockNumber: submission.handoff.l1TargetBlockNumber,
                                           l1ParentHash: submission.handoff.l1ParentHash, submitterKey: Self.builderKey)
            lie.postStateRoot = Keccak256.hash([0x66])
            submission.proofs[0] = fixture.attestation(lie)
        }
        #expect(reason == "proofs: below threshold")
    }

    @Test func anAttestationByOneSignerOfTwoNeededDoesNotCount() throws {
        let reason = try Self.submissionRejection { fixture, submission in
            let inputs = fixture.publicInputs(parent: fixture.l2.rangeParent, blocks: [submission.block],
                                              l1BlockNumber: submission.handoff.l1TargetBlockNumber,
                                              l1ParentHash: submission.handoff.l1ParentHash, submitterKey: Self.builderKey)
            submission.proofs[0] = fixture.attestation(inputs, keys: [7])
        }
        #expect(reason == "proofs: below threshold")
    }

    @Test func anExecuteProofWithATamperedWitnessDoesNotCount() throws {
        let reason = try Self.submissionRejection { fixture, submission in
            var witness = fixture.l2.witness()
            witness.codes.removeAll()
            submission.proofs[1] = fixture.executeProof(parent: fixture.l2.rangeParent, witness: witness)
        }
        #expect(reason == "proofs: below threshold")
    }

    @Test func aCopiedSubmissionFromAnotherSenderIsRefused() throws {
        // The attestation binds the builder as submitter; sent by anyone else it no longer counts.
        let reason = try Self.submissionRejection { _, submission in submission.submitterKey = 4 }
        #expect(reason == "proofs: below threshold")
    }

    @Test func aClaimedOutboxThatIsNotTheBlocksIsRefused() throws {
        let reason = try Self.submissionRejection { _, submission in
            submission.withdrawalIds = [Keccak256.hash([0x01])]
        }
        #expect(reason == "proofs: below threshold")
    }

    @Test func aWithdrawalExecutesOnce() throws {
        let (fixture, outcomes, withdrawal, _) = try Self.run()
        let allSucceeded = outcomes.allSatisfy { $0.succeeded }
        #expect(allSucceeded)
        let again = try fixture.l1.mine([
            fixture.l1.transaction(key: 3, to: fixture.rollup, data: RollupCalls.executeFromL2(withdrawal), gas: 300_000),
        ])
        #expect(!again[0].succeeded && again[0].revertReason == "withdrawal: already executed")
    }

    @Test func aWithdrawalNoBlockProvedIsRefused() throws {
        let (fixture, _, withdrawal, _) = try Self.run()
        var forged = withdrawal
        forged.value = withdrawal.value &* U256(2)
        let outcome = try fixture.l1.mine([
            fixture.l1.transaction(key: 3, to: fixture.rollup, data: RollupCalls.executeFromL2(forged), gas: 300_000),
        ])[0]
        #expect(!outcome.succeeded && outcome.revertReason == "withdrawal: not verified")
    }

    @Test func aSecondBuilderOnTheSameSlotEndInTheSameBlockIsRefused() throws {
        // After one based block landed on the slot-end block, a competing block built on the slot-end block itself
        // no longer matches the contract's parent (the tip) and its proofs fail.
        let fixture = try Fixture()
        let (handoff, signature) = try fixture.handoff()
        let slotEnd = fixture.l2.head
        let first = try fixture.basedBlock(deposits: [])
        let inputs = fixture.publicInputs(parent: first.parent, blocks: [first.block],
                                          l1BlockNumber: handoff.l1TargetBlockNumber,
                                          l1ParentHash: handoff.l1ParentHash, submitterKey: Self.builderKey)
        let submission = Submission(handoff: handoff, signature: signature, block: first.block, depositIds: [],
                                    withdrawalIds: [first.withdrawal.id(l2ChainId: fixture.l2.l2ChainId)],
                                    proofs: [fixture.attestation(inputs),
                                             fixture.executeProof(parent: first.parent, witness: first.witness)])
        // The same block submitted twice: the second has the first as its contract-side parent.
        let outcomes = try fixture.l1.mine([
            fixture.l1.transaction(key: Self.builderKey, to: fixture.rollup, data: submission.calldata(), gas: 12_000_000),
            fixture.l1.transaction(key: Self.builderKey, to: fixture.rollup, data: submission.calldata(), gas: 12_000_000),
        ])
        #expect(outcomes[0].succeeded, "\(outcomes[0].revertReason ?? "")")
        #expect(!outcomes[1].succeeded && outcomes[1].revertReason == "proofs: below threshold")
        #expect(slotEnd.hash == first.parent.hash)
    }
}
