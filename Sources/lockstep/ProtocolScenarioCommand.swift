import ArgumentParser
import Chain
import Foundation
import JSON
import JSONRPCClient
import Primitives
import Rollup
import State

/// `lockstep protocol scenario`: the protocol end to end against a real L1 endpoint. It deploys the contracts with
/// signed transactions, has a sequencer (in memory) hand off a slot-end block, builds a based block that consumes a
/// deposit and emits a withdrawal, proves it with attestations and the EXECUTE precompile (2-of-3 policy), and
/// sends `[deposit, submitBased, executeFromL2]` as one `eth_sendBundle` for the next L1 block.
struct ProtocolScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Run a based block with a same-slot withdrawal against an L1 (lockstep l1 --execute-precompile).",
        discussion: """
            Uses the development keys (deployer 0, searcher 1, payee 2, executor 3, builder 8, sequencer 9,
            attestation provers 7, 6, 5), so only point it at a development chain. With --mine it mines each block
            with evm_mine instead of waiting for the L1's slots. Prints one JSON object: the contract addresses,
            the L1 block that carried the bundle, the L2 blocks and the withdrawal; exits 1 when anything did not
            land as expected.
            """)

    @Option(name: .long, help: "The L1's JSON-RPC endpoint.")
    var l1Url = "http://127.0.0.1:8545"

    @Flag(name: .long, help: "Mine blocks with evm_mine instead of waiting for the L1's slots.")
    var mine = false

    @Option(name: .long, help: "Seconds to wait for a block before giving up.")
    var timeout: Double = 60

    func run() throws {
        let scenario = ProtocolScenario(client: JSONRPCClient(url: self.l1Url), mine: self.mine, timeout: self.timeout)
        do {
            let report = try scenario.run()
            print(report.rendered())
        } catch let failure as ScenarioFailure {
            FileHandle.standardError.write(Data("scenario failed: \(failure.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct ScenarioFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The steps of `lockstep protocol scenario`.
struct ProtocolScenario {
    let client: JSONRPCClient
    let mine: Bool
    let timeout: Double
    static let ether = U256(1_000_000_000_000_000_000)

    func rpc(_ method: String, _ params: [JSONValue] = []) throws -> JSONValue {
        do {
            return try self.client.call(method, params, idempotent: !method.hasPrefix("eth_send") && method != "evm_mine")
        } catch {
            throw ScenarioFailure("\(method): \(error)")
        }
    }

    func head() throws -> (number: UInt64, hash: Hash, timestamp: UInt64) {
        let block = try self.rpc("eth_getBlockByNumber", [.string("latest"), .bool(false)])
        guard let number = block["number"]?.uint64QuantityValue, let hashText = block["hash"]?.stringValue,
              let hash = try? Hash(hex: hashText), let timestamp = block["timestamp"]?.uint64QuantityValue else {
            throw ScenarioFailure("eth_getBlockByNumber: no usable latest block")
        }
        return (number, hash, timestamp)
    }

    /// Waits until the L1 has block `number` (mining it when asked to).
    func waitForBlock(_ number: UInt64) throws {
        if self.mine {
            while try self.head().number < number { _ = try self.rpc("evm_mine") }
            return
        }
        let deadline = Date().addingTimeInterval(self.timeout)
        while try self.head().number < number {
            guard Date() < deadline else { throw ScenarioFailure("block \(number) did not appear within \(self.timeout) s") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func nonce(_ address: Address) throws -> UInt64 {
        guard let nonce = try self.rpc("eth_getTransactionCount", [.string(address.hexString), .string("pending")])
            .uint64QuantityValue else { throw ScenarioFailure("eth_getTransactionCount: not a quantity") }
        return nonce
    }

    func sign(chainId: UInt64, key: Int, nonce: UInt64, to: Address?, value: U256 = .zero, data: [UInt8],
              gas: UInt64) -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(200_000_000_000), gasLimit: gas, to: to, value: value, data: data)
            .signed(with: DevAccounts.privateKeys[key])
    }

    func receipt(_ hash: Hash) throws -> JSONValue {
        let deadline = Date().addingTimeInterval(self.timeout)
        while true {
            let receipt = try self.rpc("eth_getTransactionReceipt", [.string(hash.hexString)])
            if !receipt.isNull { return receipt }
            guard Date() < deadline else { throw ScenarioFailure("no receipt for \(hash) within \(self.timeout) s") }
            if self.mine { _ = try self.rpc("evm_mine") } else { Thread.sleep(forTimeInterval: 0.1) }
        }
    }

    func call(_ to: Address, _ data: [UInt8]) throws -> [UInt8] {
        let result = try self.rpc("eth_call", [.object(["to": .string(to.hexString), "data": .data(data)]),
                                               .string("latest")])
        guard let bytes = result.dataValue else { throw ScenarioFailure("eth_call: not data") }
        return bytes
    }

    func run() throws -> JSONOutput {
        guard let l1ChainId = try self.rpc("eth_chainId").uint64QuantityValue else {
            throw ScenarioFailure("eth_chainId: not a quantity")
        }
        let deployer = DevAccounts.addresses[0]
        // The L2 genesis is anchored at the L1 head the contracts are deployed against.
        let anchor = try self.head()
        let l2 = InMemoryL2Chain(l1AnchorNumber: anchor.number, l1AnchorHash: anchor.hash)
        var deployerNonce = try self.nonce(deployer)
        let rollup = Address.contractAddress(sender: deployer, nonce: deployerNonce + 2)
        let deployments: [(String, [UInt8])] = [
            (ContractArtifacts.attestationVerifierBytecode,
             ABIValue.encode([.address(rollup), .array([7, 6, 5].map { ABIValue.address(DevAccounts.addresses[$0]) }),
                              .uint(UInt64(2))])),
            (ContractArtifacts.executeVerifierBytecode, ABIValue.encode([.uint(l2.l2ChainId)])),
        ]
        var addresses: [Address] = []
        var hashes: [Hash] = []
        for (bytecode, arguments) in deployments {
            addresses.append(Address.contractAddress(sender: deployer, nonce: deployerNonce))
            let transaction = self.sign(chainId: l1ChainId, key: 0, nonce: deployerNonce, to: nil,
                                        data: try Hex.decode(bytecode) + arguments, gas: 8_000_000)
            hashes.append(try self.send(transaction))
            deployerNonce += 1
        }
        let constructor = RollupCalls.constructorArguments(
            sequencer: DevAccounts.addresses[9], l2ChainId: l2.l2ChainId, genesisHash: l2.head.hash,
            genesisStateRoot: l2.head.stateRoot, verifiers: [addresses[0], addresses[1], .zero], threshold: 2)
        hashes.append(try self.send(self.sign(chainId: l1ChainId, key: 0, nonce: deployerNonce, to: nil,
                                              data: try Hex.decode(ContractArtifacts.rollupBytecode) + constructor,
                                              gas: 10_000_000)))
        for hash in hashes {
            let receipt = try self.receipt(hash)
            guard receipt["status"]?.stringValue == "0x1" else { throw ScenarioFailure("deployment \(hash) failed") }
        }
        let domain = RollupDomain(l1ChainId: l1ChainId, rollup: rollup)

        // The sequencer: an ordinary block, then the slot-end block for the next L1 block and its handoff.
        let parent = try self.head()
        try l2.produce(l1AnchorNumber: parent.number, l1AnchorHash: parent.hash)
        let slotEnd = try l2.produce(kind: .slotEnd, l1AnchorNumber: parent.number, l1AnchorHash: parent.hash)
        let target = parent.number + 1
        let handoff = Handoff(l2ChainId: l2.l2ChainId, l2BlockNumber: slotEnd.number, l2BlockHash: slotEnd.hash,
                              l2StateRoot: slotEnd.header.stateRoot, l1TargetBlockNumber: target,
                              l1ParentHash: parent.hash)
        let handoffSignature = domain.sign(handoff, key: DevAccounts.privateKeys[9])

        // The searcher's bundle: a deposit of 1 ETH on L1, a withdrawal of 0.5 ETH on the L2, its execution on L1.
        let searcher = DevAccounts.addresses[1]
        let payee = DevAccounts.addresses[2]
        let depositNonce = U256(bigEndianBytes: try self.call(rollup, ABIValue.call("depositNonce(address)", [.address(searcher)]))) ?? .zero
        let deposit = DepositMessage(origin: searcher, originNonce: depositNonce, sender: searcher,
                                     to: DevAccounts.addresses[5], value: Self.ether, data: [])
        let half = U256(500_000_000_000_000_000)
        let withdrawal = WithdrawalMessage(originKey: Hash(leftPadding: searcher.bytes), originNonce: .zero,
                                           sender: searcher, to: payee, value: half, data: [])
        l2.startRange()
        let based = try l2.produce(
            kind: .based, deposits: [deposit],
            transactions: [l2.transaction(key: 1, nonce: 0, to: RollupProtocol.messengerAddress, value: half,
                                          data: ABIValue.call("sendToL1(address,bytes)", [.address(payee), .bytes([])]))],
            coinbase: DevAccounts.addresses[8], l1AnchorNumber: parent.number, l1AnchorHash: parent.hash)
        let blockData = BlockData.encode([based])
        let inputs = PublicInputs(
            mode: .based, l2ChainId: l2.l2ChainId, parentBlockNumber: slotEnd.number, parentBlockHash: slotEnd.hash,
            parentStateRoot: slotEnd.header.stateRoot, blockNumber: based.number, blockHash: based.hash,
            postStateRoot: based.header.stateRoot, inboxHash: based.header.inboxHash,
            outboxRoot: based.header.outboxRoot, l1BlockNumber: target, l1ParentHash: parent.hash,
            submitter: DevAccounts.addresses[8], blockDataHash: Keccak256.hash(blockData))
        // The provers: an attestation by two of three keys after re-executing the block statelessly, and the
        // EXECUTE proof (the witness), which L1 re-executes itself.
        let witness = l2.witness()
        let range: L2RangeExecution
        do {
            range = try L2StatelessExecutor.execute(l2ChainId: l2.l2ChainId, parent: slotEnd.header, blocks: [based],
                                                    witness: witness)
        } catch {
            throw ScenarioFailure("the attestation prover's re-execution failed: \(error.message)")
        }
        guard range.matches(inputs, blockData: blockData) else {
            throw ScenarioFailure("the re-execution does not match the public inputs")
        }
        let proofs = [
            RollupCalls.Proof(system: RollupCalls.Proof.attestationSystem,
                              data: RollupCalls.attestationProof(publicInputsHash: inputs.hash, domain: domain,
                                                                 keys: [7, 6].map { DevAccounts.privateKeys[$0] })),
            RollupCalls.Proof(system: RollupCalls.Proof.executeSystem,
                              data: ExecuteCall.executeProof(parent: slotEnd.header, witness: witness)),
        ]
        let submit = RollupCalls.submitBased(
            handoff: handoff, sequencerSignature: handoffSignature, blockHash: based.hash,
            postStateRoot: based.header.stateRoot, depositIds: [deposit.id(l2ChainId: l2.l2ChainId)],
            withdrawalIds: [withdrawal.id(l2ChainId: l2.l2ChainId)], blockData: blockData, proofs: proofs)
        let payeeBefore = try self.balance(payee)
        let bundle = [
            self.sign(chainId: l1ChainId, key: 1, nonce: try self.nonce(searcher), to: rollup, value: Self.ether,
                      data: RollupCalls.sendToL2(to: deposit.to, data: []), gas: 300_000),
            self.sign(chainId: l1ChainId, key: 8, nonce: try self.nonce(DevAccounts.addresses[8]), to: rollup,
                      data: submit, gas: 12_000_000),
            self.sign(chainId: l1ChainId, key: 3, nonce: try self.nonce(DevAccounts.addresses[3]), to: rollup,
                      data: RollupCalls.executeFromL2(withdrawal), gas: 300_000),
        ]
        // Simulate first, as a builder does: a bundle that would revert is not worth sending.
        let simulation = try self.rpc("eth_callBundle", [.object([
            "txs": .array(bundle.map { .data($0.encoded) }), "blockNumber": .quantity(target),
            "stateBlockNumber": .string("latest"),
        ])])
        for (index, result) in (simulation["results"]?.arrayValue ?? []).enumerated() {
            if let error = result["error"]?.stringValue ?? result["revert"]?.stringValue {
                throw ScenarioFailure("the bundle's transaction \(index) fails in simulation: \(error) \(result["revert"]?.stringValue ?? "")")
            }
        }
        _ = try self.rpc("eth_sendBundle", [.object([
            "txs": .array(bundle.map { .data($0.encoded) }), "blockNumber": .quantity(target),
        ])])
        try self.waitForBlock(target)

        // What landed: all three transactions, in order, in block N, each successful.
        let block = try self.rpc("eth_getBlockByNumber", [.quantity(target), .bool(false)])
        let included = (block["transactions"]?.arrayValue ?? []).compactMap(\.stringValue)
        let expected = bundle.map(\.hash.hexString)
        guard included.prefix(3).elementsEqual(expected) else {
            throw ScenarioFailure("L1 block \(target) does not start with the bundle: has \(included), expected \(expected)")
        }
        var gasUsed: [String] = []
        for transaction in bundle {
            let receipt = try self.receipt(transaction.hash)
            guard receipt["status"]?.stringValue == "0x1" else {
                throw ScenarioFailure("transaction \(transaction.hash) reverted in block \(target)")
            }
            gasUsed.append(String(receipt["gasUsed"]?.uint64QuantityValue ?? 0))
        }
        let head = try self.call(rollup, ABIValue.call("head()", []))
        guard head.count == 96, Hash(bytes: head[32..<64]) == based.hash else {
            throw ScenarioFailure("the Rollup contract's head is not the based block")
        }
        let status = try self.call(rollup, ABIValue.call("withdrawals(bytes32)", [.bytes32(withdrawal.id(l2ChainId: l2.l2ChainId))]))
        guard U256(bigEndianBytes: status) == U256(2) else { throw ScenarioFailure("the withdrawal is not executed") }
        let payeeAfter = try self.balance(payee)
        guard payeeAfter == payeeBefore &+ half else {
            throw ScenarioFailure("the payee received \(payeeAfter &- payeeBefore) wei, expected \(half)")
        }
        func hex(_ hash: Hash) -> JSONOutput { .string(hash.hexString) }
        return .object([
            ("l1ChainId", .number(String(l1ChainId))), ("l2ChainId", .number(String(l2.l2ChainId))),
            ("rollup", .string(rollup.checksummed)), ("attestationVerifier", .string(addresses[0].checksummed)),
            ("executeVerifier", .string(addresses[1].checksummed)),
            ("l1Block", .number(String(target))),
            ("bundle", .array(bundle.map { hex($0.hash) })), ("gasUsed", .array(gasUsed.map { .number($0) })),
            ("slotEndBlock", .object([("number", .number(String(slotEnd.number))), ("hash", hex(slotEnd.hash))])),
            ("basedBlock", .object([("number", .number(String(based.number))), ("hash", hex(based.hash)),
                                    ("stateRoot", hex(based.header.stateRoot))])),
            ("depositId", hex(deposit.id(l2ChainId: l2.l2ChainId))),
            ("withdrawalId", hex(withdrawal.id(l2ChainId: l2.l2ChainId))),
            ("payee", .string(payee.checksummed)), ("payeeReceived", .string(half.description)),
        ])
    }

    func send(_ transaction: Transaction) throws -> Hash {
        _ = try self.rpc("eth_sendRawTransaction", [.data(transaction.encoded)])
        return transaction.hash
    }

    func balance(_ address: Address) throws -> U256 {
        guard let balance = try self.rpc("eth_getBalance", [.string(address.hexString), .string("latest")]).quantityValue else {
            throw ScenarioFailure("eth_getBalance: not a quantity")
        }
        return balance
    }
}
