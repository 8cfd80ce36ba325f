import ArgumentParser
import Chain
import Foundation
import JSON
import Primitives
import Rollup

/// `lockstep protocol`: tools for Lockstep protocol v1 (`Specs/protocol.md`).
struct ProtocolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocol",
        abstract: "Lockstep protocol v1 tools: test vectors and the EXECUTE precompile.",
        subcommands: [ProtocolVectorsCommand.self, ProtocolExecuteCommand.self, ProtocolScenarioCommand.self])
}

/// `lockstep protocol vectors`: writes `Specs/vectors/*.json`.
struct ProtocolVectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Write the protocol's test vectors (Specs/vectors/*.json) from the Swift implementation.",
        discussion: "Every input is fixed and every signature deterministic (RFC 6979), so the files are reproducible.")

    @Option(name: .long, help: "The folder to write to.")
    var out: String = "Specs/vectors"

    func run() throws {
        try FileManager.default.createDirectory(atPath: self.out, withIntermediateDirectories: true)
        for (name, json) in ProtocolVectors.all() {
            let path = (self.out as NSString).appendingPathComponent(name)
            try (json.rendered() + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            print("wrote \(path)")
        }
    }
}

/// `lockstep protocol execute`: the EXECUTE precompile on the command line.
struct ProtocolExecuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute",
        abstract: "Run the EXECUTE precompile: ABI input as hex on stdin, the 11-word output as hex on stdout.",
        discussion: """
            Input: abi(uint256 l2ChainId, bytes32 parentStateRoot, bytes blockData, bytes executeProof) as in
            Specs/protocol.md §8.3. Prints the output and the gas on success; prints why and exits 1 on failure.
            """)

    @Option(name: .long, help: "Gas given to the precompile (default: unlimited).")
    var gas: UInt64 = .max

    func run() throws {
        let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let input: [UInt8]
        do {
            input = try Hex.decode(text, requirePrefix: false)
        } catch {
            throw ValidationError("stdin is not hex: \(error)")
        }
        switch ExecutePrecompile.execute(input: input, gasLimit: self.gas) {
        case .success(let (output, gas)):
            print(Hex.encode(output))
            FileHandle.standardError.write(Data("gas \(gas)\n".utf8))
        case .failure(let error):
            FileHandle.standardError.write(Data("EXECUTE failed: \(error.message)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// The vectors of `Specs/protocol.md` §12, computed by the `Rollup` module from fixed inputs.
enum ProtocolVectors {
    static let l2ChainId = RollupProtocol.devnetL2ChainId
    static let domain = RollupDomain(l1ChainId: RollupProtocol.devnetL1ChainId,
                                     rollup: try! Address(hex: "0x5FbDB2315678afecb367f032d93F642f64180aa3"))

    static func all() -> [(String, JSONOutput)] {
        [("l2-headers.json", headers()), ("eip712.json", typedData()), ("messages.json", messages()),
         ("inbox.json", inbox()), ("outbox.json", outbox()), ("public-inputs.json", publicInputs()),
         ("bundles.json", bundles()),
         ("execute.json", execute())]
    }

    static func hash(_ text: String) -> Hash { Keccak256.hash(Array(text.utf8)) }
    static func hex(_ bytes: [UInt8]) -> JSONOutput { .string(Hex.encode(bytes)) }
    static func hex(_ hash: Hash) -> JSONOutput { .string(hash.hexString) }
    static func hex(_ address: Address) -> JSONOutput { .string(address.checksummed) }
    static func quantity(_ value: UInt64) -> JSONOutput { .string(U256(value).hexString) }
    static func quantity(_ value: U256) -> JSONOutput { .string(value.hexString) }

    // MARK: headers

    static func sampleHeaders() -> [(String, L2Header)] {
        var sequenced = L2Header.template(parentHash: hash("parent"), number: 41, timestamp: 1_765_000_000,
                                          gasLimit: 30_000_000, baseFeePerGas: U256(1_000_000_007),
                                          coinbase: DevAccounts.addresses[9], kind: .sequenced,
                                          l1AnchorNumber: 120, l1AnchorHash: hash("l1 block 120"))
        sequenced.base.stateRoot = hash("state 41")
        sequenced.base.transactionsRoot = hash("transactions 41")
        sequenced.base.receiptsRoot = hash("receipts 41")
        sequenced.base.gasUsed = 21_000
        var slotEnd = sequenced
        slotEnd.base.parentHash = sequenced.hash
        slotEnd.base.number = 42
        slotEnd.base.timestamp += 1
        slotEnd.base.stateRoot = hash("state 42")
        slotEnd.base.gasUsed = 0
        slotEnd.base.transactionsRoot = BlockHeader.emptyTrieRoot
        slotEnd.base.receiptsRoot = BlockHeader.emptyTrieRoot
        slotEnd.kind = .slotEnd
        slotEnd.l1AnchorNumber = 121
        slotEnd.l1AnchorHash = hash("l1 block 121")
        slotEnd.base.extraData = Array("lockstep".utf8)
        var based = slotEnd
        based.base.parentHash = slotEnd.hash
        based.base.number = 43
        based.base.coinbase = DevAccounts.addresses[8]
        based.base.stateRoot = hash("state 43")
        based.base.gasUsed = 150_123
        based.base.transactionsRoot = hash("transactions 43")
        based.base.receiptsRoot = hash("receipts 43")
        based.kind = .based
        based.inboxHash = InboxHash.of([hash("deposit a")])
        based.outboxRoot = Outbox.root([hash("withdrawal a"), hash("withdrawal b")])
        based.base.extraData = []
        return [("sequenced", sequenced), ("slotEnd", slotEnd), ("based", based)]
    }

    static func headerJSON(_ header: L2Header) -> JSONOutput {
        let base = header.base
        return .object([
            ("parentHash", hex(base.parentHash)), ("ommersHash", hex(base.ommersHash)),
            ("coinbase", hex(base.coinbase)), ("stateRoot", hex(base.stateRoot)),
            ("transactionsRoot", hex(base.transactionsRoot)), ("receiptsRoot", hex(base.receiptsRoot)),
            ("logsBloom", hex(base.logsBloom.bytes)), ("difficulty", quantity(base.difficulty)),
            ("number", quantity(base.number)), ("gasLimit", quantity(base.gasLimit)),
            ("gasUsed", quantity(base.gasUsed)), ("timestamp", quantity(base.timestamp)),
            ("extraData", hex(base.extraData)), ("mixHash", hex(base.mixHash)), ("nonce", quantity(base.nonce)),
            ("baseFeePerGas", quantity(base.baseFeePerGas ?? .zero)),
            ("withdrawalsRoot", hex(base.withdrawalsRoot ?? .zero)),
            ("blobGasUsed", quantity(base.blobGasUsed ?? 0)), ("excessBlobGas", quantity(base.excessBlobGas ?? 0)),
            ("parentBeaconBlockRoot", hex(base.parentBeaconBlockRoot ?? .zero)),
            ("requestsHash", hex(base.requestsHash ?? .zero)),
            ("kind", .number(String(header.kind.rawValue))), ("l1AnchorNumber", quantity(header.l1AnchorNumber)),
            ("l1AnchorHash", hex(header.l1AnchorHash)), ("inboxHash", hex(header.inboxHash)),
            ("outboxRoot", hex(header.outboxRoot)),
        ])
    }

    static func headers() -> JSONOutput {
        .object([
            ("description", .string("L2 headers of each kind (Specs/protocol.md §3.1): the 26 fields, the RLP and the block hash.")),
            ("vectors", .array(sampleHeaders().map { name, header in
                .object([("name", .string(name)), ("header", headerJSON(header)), ("rlp", hex(header.rlpEncoded)),
                         ("hash", hex(header.hash))])
            })),
        ])
    }

    // MARK: EIP-712

    static func typedData() -> JSONOutput {
        let headers = sampleHeaders()
        let slotEnd = headers[1].1
        let certificate = SequencedBlockCertificate(l2ChainId: l2ChainId, l2BlockNumber: headers[0].1.number,
                                                    l2BlockHash: headers[0].1.hash)
        let handoff = Handoff(l2ChainId: l2ChainId, l2BlockNumber: slotEnd.number, l2BlockHash: slotEnd.hash,
                              l2StateRoot: slotEnd.stateRoot, l1TargetBlockNumber: 122,
                              l1ParentHash: hash("l1 block 121"))
        let attestation = Attestation(publicInputsHash: samplePublicInputs()[0].1.hash)
        var vectors: [JSONOutput] = []
        func vector(_ type: String, _ message: some TypedStruct, _ fields: [(String, JSONOutput)], keys: [Int]) {
            vectors.append(.object([
                ("primaryType", .string(type)), ("message", .object(fields)),
                ("structHash", hex(message.structHash)), ("digest", hex(domain.digest(message))),
                ("signatures", .array(keys.map { index in
                    .object([("account", .number(String(index))), ("signer", hex(DevAccounts.addresses[index])),
                             ("signature", hex(domain.sign(message, key: DevAccounts.privateKeys[index])))])
                })),
            ]))
        }
        vector("SequencedBlock", certificate, [
            ("l2ChainId", .number(String(certificate.l2ChainId))),
            ("l2BlockNumber", .number(String(certificate.l2BlockNumber))),
            ("l2BlockHash", hex(certificate.l2BlockHash)),
        ], keys: [9])
        vector("Handoff", handoff, [
            ("l2ChainId", .number(String(handoff.l2ChainId))), ("l2BlockNumber", .number(String(handoff.l2BlockNumber))),
            ("l2BlockHash", hex(handoff.l2BlockHash)), ("l2StateRoot", hex(handoff.l2StateRoot)),
            ("l1TargetBlockNumber", .number(String(handoff.l1TargetBlockNumber))),
            ("l1ParentHash", hex(handoff.l1ParentHash)),
        ], keys: [9])
        vector("Attestation", attestation, [("publicInputsHash", hex(attestation.publicInputsHash))], keys: [7, 6, 5])
        return .object([
            ("description", .string("EIP-712 typed data of Specs/protocol.md §3.3: domain separator, struct hashes, digests, and signatures (r ‖ s ‖ v, v in {27, 28}) by development keys.")),
            ("domain", .object([("name", .string("Lockstep")), ("version", .string("1")),
                                ("chainId", .number(String(domain.l1ChainId))),
                                ("verifyingContract", hex(domain.rollup))])),
            ("domainSeparator", hex(domain.separator)),
            ("types", .object([("SequencedBlock", .string(SequencedBlockCertificate.typeString)),
                               ("Handoff", .string(Handoff.typeString)),
                               ("Attestation", .string(Attestation.typeString))])),
            ("vectors", .array(vectors)),
        ])
    }

    // MARK: messages

    static func sampleDeposits() -> [DepositMessage] {
        let accounts = DevAccounts.addresses
        let vault = try! Address(hex: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512")
        return [
            DepositMessage(origin: accounts[0], originNonce: .zero, sender: accounts[0], to: accounts[0],
                    value: U256(1_000_000_000_000_000_000), data: []),
            DepositMessage(origin: accounts[1], originNonce: U256(7), sender: vault,
                    to: try! Address(hex: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"), value: .zero,
                    data: Array(Keccak256.digest(Array("mint(address,uint256)".utf8)).prefix(4))
                        + Hash(leftPadding: accounts[1].bytes).bytes + U256(500).bigEndianBytes),
            DepositMessage(origin: accounts[2], originNonce: U256(1), sender: accounts[2], to: accounts[3],
                    value: U256(12345), data: [0xde, 0xad, 0xbe, 0xef]),
        ]
    }

    static func sampleWithdrawals() -> [WithdrawalMessage] {
        let accounts = DevAccounts.addresses
        let depositId = sampleDeposits()[1].id(l2ChainId: l2ChainId)
        return [
            WithdrawalMessage(originKey: Hash(leftPadding: accounts[0].bytes), originNonce: .zero, sender: accounts[0],
                       to: accounts[0], value: U256(500_000_000_000_000_000), data: []),
            WithdrawalMessage(originKey: Hash(leftPadding: accounts[1].bytes), originNonce: U256(3),
                       sender: try! Address(hex: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"),
                       to: try! Address(hex: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"), value: .zero,
                       data: [0x01, 0x02, 0x03]),
            WithdrawalMessage(originKey: depositId, originNonce: .zero, sender: accounts[3], to: accounts[2],
                       value: U256(1), data: []),
        ]
    }

    static func depositJSON(_ deposit: DepositMessage) -> JSONOutput {
        var encoder = RLPEncoder()
        deposit.encode(into: &encoder)
        let fields: [(String, JSONOutput)] = [
            ("origin", hex(deposit.origin)), ("originNonce", quantity(deposit.originNonce)),
            ("sender", hex(deposit.sender)), ("to", hex(deposit.to)), ("value", quantity(deposit.value)),
            ("data", hex(deposit.data)), ("id", hex(deposit.id(l2ChainId: l2ChainId))),
            ("rlp", hex(encoder.bytes)), ("relayCalldata", hex(deposit.relayCalldata)),
        ]
        return .object(fields)
    }

    static func withdrawalJSON(_ withdrawal: WithdrawalMessage) -> JSONOutput {
        let fields: [(String, JSONOutput)] = [
            ("originKey", hex(withdrawal.originKey)), ("originNonce", quantity(withdrawal.originNonce)),
            ("sender", hex(withdrawal.sender)), ("to", hex(withdrawal.to)), ("value", quantity(withdrawal.value)),
            ("data", hex(withdrawal.data)), ("id", hex(withdrawal.id(l2ChainId: l2ChainId))),
        ]
        return .object(fields)
    }

    static func messages() -> JSONOutput {
        let fields: [(String, JSONOutput)] = [
            ("description", .string("Deposit and withdrawal ids (Specs/protocol.md §5.1, §5.3), for L2 chain id \(l2ChainId).")),
            ("l2ChainId", .number(String(l2ChainId))),
            ("depositTag", hex(RollupProtocol.depositTag)), ("withdrawalTag", hex(RollupProtocol.withdrawalTag)),
            ("deposits", .array(sampleDeposits().map(depositJSON))),
            ("withdrawals", .array(sampleWithdrawals().map(withdrawalJSON))),
        ]
        return .object(fields)
    }

    static func inbox() -> JSONOutput {
        let ids = sampleDeposits().map { $0.id(l2ChainId: l2ChainId) }
        return .object([
            ("description", .string("Rolling inbox hashes (Specs/protocol.md §5.2) of the first n deposit ids of messages.json.")),
            ("vectors", .array((0...ids.count).map { count in
                .object([("ids", .array(ids.prefix(count).map(hex))), ("inboxHash", hex(InboxHash.of(Array(ids.prefix(count)))))])
            })),
        ])
    }

    static func outbox() -> JSONOutput {
        .object([
            ("description", .string("Outbox Merkle roots and inclusion proofs (Specs/protocol.md §5.4); leaf i is keccak(\"withdrawal i\").")),
            ("vectors", .array((0...5).map { count in
                let leaves = (0..<count).map { hash("withdrawal \($0)") }
                return .object([
                    ("leaves", .array(leaves.map(hex))), ("root", hex(Outbox.root(leaves))),
                    ("proofs", .array(leaves.indices.map { .array(Outbox.proof(leaves, index: $0).map(hex)) })),
                ])
            })),
        ])
    }

    static func samplePublicInputs() -> [(String, PublicInputs)] {
        let headers = sampleHeaders()
        let slotEnd = headers[1].1
        let based = headers[2].1
        let blockData = BlockData.encode([L2Block(header: based)])
        return [
            ("based", PublicInputs(mode: .based, l2ChainId: l2ChainId, parentBlockNumber: slotEnd.number,
                                   parentBlockHash: slotEnd.hash, parentStateRoot: slotEnd.stateRoot,
                                   blockNumber: based.number, blockHash: based.hash, postStateRoot: based.stateRoot,
                                   inboxHash: based.inboxHash, outboxRoot: based.outboxRoot, l1BlockNumber: 122,
                                   l1ParentHash: hash("l1 block 121"), submitter: DevAccounts.addresses[8],
                                   blockDataHash: Keccak256.hash(blockData))),
            ("settlement", PublicInputs(mode: .settlement, l2ChainId: l2ChainId, parentBlockNumber: 40,
                                        parentBlockHash: hash("parent"), parentStateRoot: hash("state 40"),
                                        blockNumber: slotEnd.number, blockHash: slotEnd.hash,
                                        postStateRoot: slotEnd.stateRoot, inboxHash: .zero, outboxRoot: .zero,
                                        l1BlockNumber: 122, l1ParentHash: hash("l1 block 121"),
                                        submitter: DevAccounts.addresses[9], blockDataHash: hash("block data"))),
        ]
    }

    static func publicInputs() -> JSONOutput {
        .object([
            ("description", .string("Public inputs hashes (Specs/protocol.md §6): keccak of 14 ABI words.")),
            ("basedTag", hex(RollupProtocol.basedTag)), ("settlementTag", hex(RollupProtocol.settlementTag)),
            ("vectors", .array(samplePublicInputs().map { name, inputs in
                .object([
                    ("name", .string(name)),
                    ("inputs", .object([
                        ("tag", hex(inputs.mode.tag)), ("l2ChainId", quantity(inputs.l2ChainId)),
                        ("parentBlockNumber", quantity(inputs.parentBlockNumber)),
                        ("parentBlockHash", hex(inputs.parentBlockHash)),
                        ("parentStateRoot", hex(inputs.parentStateRoot)), ("blockNumber", quantity(inputs.blockNumber)),
                        ("blockHash", hex(inputs.blockHash)), ("postStateRoot", hex(inputs.postStateRoot)),
                        ("inboxHash", hex(inputs.inboxHash)), ("outboxRoot", hex(inputs.outboxRoot)),
                        ("l1BlockNumber", quantity(inputs.l1BlockNumber)), ("l1ParentHash", hex(inputs.l1ParentHash)),
                        ("submitter", hex(inputs.submitter)), ("blockDataHash", hex(inputs.blockDataHash)),
                    ])),
                    ("encoded", hex(inputs.encoded)), ("hash", hex(inputs.hash)),
                ])
            })),
        ])
    }

    // MARK: bundles

    static func transfer(chainId: UInt64, key: Int, nonce: UInt64, to: Int, value: UInt64) -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: U256(1_000_000_000),
                    maxFeePerGas: U256(30_000_000_000), gasLimit: 21_000, to: DevAccounts.addresses[to],
                    value: U256(value), data: []).signed(with: DevAccounts.privateKeys[key])
    }

    static func bundles() -> JSONOutput {
        let l1 = RollupProtocol.devnetL1ChainId
        let samples: [(String, [Transaction], [Transaction], [Transaction])] = [
            ("l2 only", [], [transfer(chainId: l2ChainId, key: 0, nonce: 0, to: 1, value: 1)], []),
            ("all three legs",
             [transfer(chainId: l1, key: 1, nonce: 4, to: 2, value: 10)],
             [transfer(chainId: l2ChainId, key: 1, nonce: 0, to: 3, value: 20),
              transfer(chainId: l2ChainId, key: 2, nonce: 9, to: 3, value: 30)],
             [transfer(chainId: l1, key: 1, nonce: 5, to: 8, value: 40)]),
            ("same transaction in another leg",
             [], [], [transfer(chainId: l1, key: 1, nonce: 4, to: 2, value: 10)]),
        ]
        return .object([
            ("description", .string("Cross-layer bundle hashes (Specs/protocol.md §9.2) of signed raw transactions.")),
            ("vectors", .array(samples.map { name, before, l2, after in
                func leg(_ transactions: [Transaction]) -> JSONOutput {
                    .array(transactions.map { .object([("raw", hex($0.encoded)), ("hash", hex($0.hash))]) })
                }
                return .object([
                    ("name", .string(name)), ("l1Before", leg(before)), ("l2", leg(l2)), ("l1After", leg(after)),
                    ("bundleHash", hex(CrossLayerBundleHash.of(l1Before: before.map(\.hash), l2: l2.map(\.hash),
                                                               l1After: after.map(\.hash)))),
                ])
            })),
        ])
    }

    // MARK: EXECUTE

    /// A real EXECUTE call: a slot-end block, then a based block consuming a deposit and emitting a withdrawal,
    /// with the precompile's input and output and the public inputs an `ExecuteVerifier` must accept.
    static func execute() -> JSONOutput {
        let chain = InMemoryL2Chain(l1AnchorNumber: 9, l1AnchorHash: hash("l1 block 9"))
        let anchorHash = hash("l1 block 10")
        let slotEnd = try! chain.produce(kind: .slotEnd, l1AnchorNumber: 10, l1AnchorHash: anchorHash)
        chain.startRange()
        let deposit = DepositMessage(origin: DevAccounts.addresses[1], originNonce: .zero,
                                     sender: DevAccounts.addresses[1], to: DevAccounts.addresses[5],
                                     value: U256(1_000_000_000_000_000_000), data: [])
        let call = ABIValue.call("sendToL1(address,bytes)", [.address(DevAccounts.addresses[2]), .bytes([])])
        let based = try! chain.produce(
            kind: .based, deposits: [deposit],
            transactions: [chain.transaction(key: 1, nonce: 0, to: RollupProtocol.messengerAddress,
                                             value: U256(500_000_000_000_000_000), data: call)],
            coinbase: DevAccounts.addresses[8], l1AnchorNumber: 10, l1AnchorHash: anchorHash)
        let executeCall = ExecuteCall(l2ChainId: chain.l2ChainId, parent: slotEnd.header, blocks: [based],
                                      witness: chain.witness())
        let input = executeCall.encoded
        guard case .success(let (output, gas)) = ExecutePrecompile.execute(input: input) else {
            fatalError("the EXECUTE vector does not execute")
        }
        let blockData = BlockData.encode([based])
        let inputs = PublicInputs(
            mode: .based, l2ChainId: chain.l2ChainId, parentBlockNumber: slotEnd.number, parentBlockHash: slotEnd.hash,
            parentStateRoot: slotEnd.header.stateRoot, blockNumber: based.number, blockHash: based.hash,
            postStateRoot: based.header.stateRoot, inboxHash: based.header.inboxHash,
            outboxRoot: based.header.outboxRoot, l1BlockNumber: 11, l1ParentHash: anchorHash,
            submitter: DevAccounts.addresses[8], blockDataHash: Keccak256.hash(blockData))
        return .object([
            ("description", .string("A real EXECUTE precompile call (Specs/protocol.md §8.3): a based block on a slot-end block, consuming one deposit and emitting one withdrawal; its input, output and gas, and the based public inputs an ExecuteVerifier accepts with blockData and proof.")),
            ("l2ChainId", .number(String(chain.l2ChainId))),
            ("parentHeader", hex(slotEnd.header.rlpEncoded)), ("blockData", hex(blockData)),
            ("proof", hex(ExecuteCall.executeProof(parent: slotEnd.header, witness: executeCall.witness))),
            ("input", hex(input)), ("output", hex(output)), ("gas", .number(String(gas))),
            ("publicInputs", .object([
                ("tag", hex(inputs.mode.tag)), ("l2ChainId", quantity(inputs.l2ChainId)),
                ("parentBlockNumber", quantity(inputs.parentBlockNumber)), ("parentBlockHash", hex(inputs.parentBlockHash)),
                ("parentStateRoot", hex(inputs.parentStateRoot)), ("blockNumber", quantity(inputs.blockNumber)),
                ("blockHash", hex(inputs.blockHash)), ("postStateRoot", hex(inputs.postStateRoot)),
                ("inboxHash", hex(inputs.inboxHash)), ("outboxRoot", hex(inputs.outboxRoot)),
                ("l1BlockNumber", quantity(inputs.l1BlockNumber)), ("l1ParentHash", hex(inputs.l1ParentHash)),
                ("submitter", hex(inputs.submitter)), ("blockDataHash", hex(inputs.blockDataHash)),
            ])),
            ("publicInputsHash", hex(inputs.hash)),
        ])
    }
}
