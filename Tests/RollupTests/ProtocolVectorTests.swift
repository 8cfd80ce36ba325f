import Chain
import Foundation
import Primitives
import Testing
@testable import Rollup

/// Checks the Swift protocol types against `Specs/vectors/` (which `lockstep protocol vectors` writes and
/// `Tests/Interop/test_protocol_vectors.py` recomputes independently).
@Suite("Protocol vectors")
struct ProtocolVectorTests {
    static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: vectorsDirectory.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func vectors(_ name: String) throws -> [[String: Any]] {
        try load(name)["vectors"] as! [[String: Any]]
    }

    static func hash(_ value: Any?) throws -> Hash { try Hash(hex: value as! String) }
    static func address(_ value: Any?) throws -> Address { try Address(hex: value as! String) }
    static func bytes(_ value: Any?) throws -> [UInt8] { try Hex.decode(value as! String) }
    static func u256(_ value: Any?) throws -> U256 { try U256(hex: value as! String) }
    static func u64(_ value: Any?) throws -> UInt64 { try u256(value).uint64! }

    @Test func l2HeadersDecodeReencodeAndHash() throws {
        for vector in try Self.vectors("l2-headers.json") {
            let rlp = try Self.bytes(vector["rlp"])
            let header = try L2Header.decode(rlp: rlp)
            #expect(header.rlpEncoded == rlp)
            #expect(header.hash == (try Self.hash(vector["hash"])))
            let fields = vector["header"] as! [String: Any]
            #expect(header.kind.description == vector["name"] as! String)
            #expect(header.number == (try Self.u64(fields["number"])))
            #expect(header.l1AnchorHash == (try Self.hash(fields["l1AnchorHash"])))
            #expect(header.inboxHash == (try Self.hash(fields["inboxHash"])))
            #expect(header.outboxRoot == (try Self.hash(fields["outboxRoot"])))
            #expect(throws: Never.self) { try header.checkRollupFieldRules() }
        }
    }

    @Test func typedDataDigestsAndSignatures() throws {
        let document = try Self.load("eip712.json")
        let domainFields = document["domain"] as! [String: Any]
        let domain = RollupDomain(l1ChainId: UInt64(domainFields["chainId"] as! Int),
                                  rollup: try Self.address(domainFields["verifyingContract"]))
        #expect(domain.separator == (try Self.hash(document["domainSeparator"])))
        for vector in document["vectors"] as! [[String: Any]] {
            let fields = vector["message"] as! [String: Any]
            let message: any TypedStruct
            switch vector["primaryType"] as! String {
            case "SequencedBlock":
                message = SequencedBlockCertificate(l2ChainId: UInt64(fields["l2ChainId"] as! Int),
                                                    l2BlockNumber: UInt64(fields["l2BlockNumber"] as! Int),
                                                    l2BlockHash: try Self.hash(fields["l2BlockHash"]))
            case "Handoff":
                message = Handoff(l2ChainId: UInt64(fields["l2ChainId"] as! Int),
                                  l2BlockNumber: UInt64(fields["l2BlockNumber"] as! Int),
                                  l2BlockHash: try Self.hash(fields["l2BlockHash"]),
                                  l2StateRoot: try Self.hash(fields["l2StateRoot"]),
                                  l1TargetBlockNumber: UInt64(fields["l1TargetBlockNumber"] as! Int),
                                  l1ParentHash: try Self.hash(fields["l1ParentHash"]))
            default:
                message = Attestation(publicInputsHash: try Self.hash(fields["publicInputsHash"]))
            }
            #expect(message.structHash == (try Self.hash(vector["structHash"])))
            #expect(domain.digest(message) == (try Self.hash(vector["digest"])))
            for entry in vector["signatures"] as! [[String: Any]] {
                let key = DevAccounts.privateKeys[entry["account"] as! Int]
                let signature = try Self.bytes(entry["signature"])
                #expect(domain.sign(message, key: key) == signature)
                #expect(try domain.recoverSigner(message, signature: signature) == (try Self.address(entry["signer"])))
            }
        }
    }

    @Test func malformedSignaturesAreRefused() throws {
        let domain = RollupDomain(l1ChainId: 31337, rollup: DevAccounts.addresses[0])
        let message = Attestation(publicInputsHash: Keccak256.hash([1]))
        var signature = domain.sign(message, key: DevAccounts.privateKeys[7])
        #expect(throws: SignatureError.self) { try domain.recoverSigner(message, signature: Array(signature.prefix(64))) }
        signature[64] = 29
        #expect(throws: SignatureError.self) { try domain.recoverSigner(message, signature: signature) }
        // The high-s twin of a valid signature (EIP-2) is refused.
        var twin = domain.sign(message, key: DevAccounts.privateKeys[7])
        let s = U256(bigEndianBytes: twin[32..<64])!
        twin.replaceSubrange(32..<64, with: (Secp256k1.order &- s).bigEndianBytes)
        twin[64] = twin[64] == 27 ? 28 : 27
        #expect(throws: SignatureError.self) { try domain.recoverSigner(message, signature: twin) }
    }

    @Test func messageIdsRlpAndRelayCalldata() throws {
        let document = try Self.load("messages.json")
        let l2ChainId = UInt64(document["l2ChainId"] as! Int)
        for fields in document["deposits"] as! [[String: Any]] {
            let deposit = DepositMessage(origin: try Self.address(fields["origin"]),
                                         originNonce: try Self.u256(fields["originNonce"]),
                                         sender: try Self.address(fields["sender"]), to: try Self.address(fields["to"]),
                                         value: try Self.u256(fields["value"]), data: try Self.bytes(fields["data"]))
            #expect(deposit.id(l2ChainId: l2ChainId) == (try Self.hash(fields["id"])))
            #expect(deposit.relayCalldata == (try Self.bytes(fields["relayCalldata"])))
            var reader = RLPReader(try Self.bytes(fields["rlp"]))
            #expect(try DepositMessage.decode(from: &reader) == deposit)
        }
        for fields in document["withdrawals"] as! [[String: Any]] {
            let withdrawal = WithdrawalMessage(originKey: try Self.hash(fields["originKey"]),
                                               originNonce: try Self.u256(fields["originNonce"]),
                                               sender: try Self.address(fields["sender"]),
                                               to: try Self.address(fields["to"]), value: try Self.u256(fields["value"]),
                                               data: try Self.bytes(fields["data"]))
            #expect(withdrawal.id(l2ChainId: l2ChainId) == (try Self.hash(fields["id"])))
        }
    }

    @Test func inboxAndOutbox() throws {
        for vector in try Self.vectors("inbox.json") {
            let ids = try (vector["ids"] as! [String]).map { try Hash(hex: $0) }
            #expect(InboxHash.of(ids) == (try Self.hash(vector["inboxHash"])))
        }
        for vector in try Self.vectors("outbox.json") {
            let leaves = try (vector["leaves"] as! [String]).map { try Hash(hex: $0) }
            let root = try Self.hash(vector["root"])
            #expect(Outbox.root(leaves) == root)
            for (index, proof) in (vector["proofs"] as! [[String]]).enumerated() {
                let siblings = try proof.map { try Hash(hex: $0) }
                #expect(Outbox.proof(leaves, index: index) == siblings)
                #expect(Outbox.verify(leaf: leaves[index], index: UInt64(index), proof: siblings, root: root))
            }
        }
    }

    @Test func publicInputsHashes() throws {
        for vector in try Self.vectors("public-inputs.json") {
            let fields = vector["inputs"] as! [String: Any]
            let inputs = PublicInputs(
                mode: vector["name"] as! String == "based" ? .based : .settlement,
                l2ChainId: try Self.u64(fields["l2ChainId"]), parentBlockNumber: try Self.u64(fields["parentBlockNumber"]),
                parentBlockHash: try Self.hash(fields["parentBlockHash"]),
                parentStateRoot: try Self.hash(fields["parentStateRoot"]), blockNumber: try Self.u64(fields["blockNumber"]),
                blockHash: try Self.hash(fields["blockHash"]), postStateRoot: try Self.hash(fields["postStateRoot"]),
                inboxHash: try Self.hash(fields["inboxHash"]), outboxRoot: try Self.hash(fields["outboxRoot"]),
                l1BlockNumber: try Self.u64(fields["l1BlockNumber"]), l1ParentHash: try Self.hash(fields["l1ParentHash"]),
                submitter: try Self.address(fields["submitter"]), blockDataHash: try Self.hash(fields["blockDataHash"]))
            #expect(inputs.mode.tag == (try Self.hash(fields["tag"])))
            #expect(inputs.encoded == (try Self.bytes(vector["encoded"])))
            #expect(inputs.hash == (try Self.hash(vector["hash"])))
        }
    }

    @Test func bundleHashes() throws {
        for vector in try Self.vectors("bundles.json") {
            func leg(_ name: String) throws -> [Hash] {
                try (vector[name] as! [[String: Any]]).map { entry in
                    let transaction = try Transaction.decode(try Self.bytes(entry["raw"]))
                    #expect(transaction.hash == (try Self.hash(entry["hash"])))
                    return transaction.hash
                }
            }
            let hash = CrossLayerBundleHash.of(l1Before: try leg("l1Before"), l2: try leg("l2"), l1After: try leg("l1After"))
            #expect(hash == (try Self.hash(vector["bundleHash"])))
        }
    }

    @Test func executeVectorRunsToItsOutput() throws {
        let document = try Self.load("execute.json")
        let input = try Self.bytes(document["input"])
        guard case .success(let (output, gas)) = ExecutePrecompile.execute(input: input) else {
            Issue.record("the EXECUTE vector fails")
            return
        }
        #expect(output == (try Self.bytes(document["output"])))
        #expect(gas == UInt64(document["gas"] as! Int))
        let call = try ExecuteCall.decode(input)
        #expect(call.blockData == (try Self.bytes(document["blockData"])))
        #expect(ExecuteCall.executeProof(parent: call.parent, witness: call.witness) == (try Self.bytes(document["proof"])))
        #expect(call.parent.rlpEncoded == (try Self.bytes(document["parentHeader"])))
    }
}
