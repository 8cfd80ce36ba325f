import Chain
import Dispatch
import EVM
import Foundation
import JSON
import JSONRPCClient
import Primitives
import RPCServer
import Rollup
import Synchronization

/// What an attestation prover is asked to sign (`Specs/protocol.md` §8.2): consecutive L2 blocks, the execute proof
/// (`rlp([parentHeader, witness])`, the same bytes the `EXECUTE` precompile takes), and the L1 fields of the public
/// inputs.
public struct AttestationRequest: Sendable {
    public var mode: PublicInputs.Mode
    public var blockData: [UInt8]
    public var executeProof: [UInt8]
    public var l1BlockNumber: UInt64
    public var l1ParentHash: Hash
    public var submitter: Address
    /// The public inputs hash the caller expects; the prover refuses when its own differs.
    public var publicInputsHash: Hash?

    public init(mode: PublicInputs.Mode, blockData: [UInt8], executeProof: [UInt8], l1BlockNumber: UInt64,
                l1ParentHash: Hash, submitter: Address, publicInputsHash: Hash? = nil) {
        self.mode = mode
        self.blockData = blockData
        self.executeProof = executeProof
        self.l1BlockNumber = l1BlockNumber
        self.l1ParentHash = l1ParentHash
        self.submitter = submitter
        self.publicInputsHash = publicInputsHash
    }

    /// `prover_prove`'s parameter object.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "mode": .string(mode == .based ? "based" : "settlement"), "blockData": .data(blockData),
            "executeProof": .data(executeProof), "l1BlockNumber": .quantity(l1BlockNumber),
            "l1ParentHash": .string(l1ParentHash.hexString), "submitter": .string(submitter.hexString),
        ]
        if let publicInputsHash { object["publicInputsHash"] = .string(publicInputsHash.hexString) }
        return .object(object)
    }

    /// Reads `prover_prove`'s parameter object.
    public init(json object: [String: JSONValue]) throws(RPCError) {
        switch object["mode"]?.stringValue {
        case "based": mode = .based
        case "settlement": mode = .settlement
        default: throw .invalidParams("mode must be \"based\" or \"settlement\"")
        }
        blockData = try RPCParams.data(object["blockData"] ?? .null, "blockData")
        executeProof = try RPCParams.data(object["executeProof"] ?? .null, "executeProof")
        l1BlockNumber = try RPCParams.uint64(object["l1BlockNumber"] ?? .null, "l1BlockNumber")
        l1ParentHash = try RPCParams.hash(object["l1ParentHash"] ?? .null, "l1ParentHash")
        submitter = try RPCParams.address(object["submitter"] ?? .null, "submitter")
        publicInputsHash = try object["publicInputsHash"].map { value throws(RPCError) in try RPCParams.hash(value, "publicInputsHash") }
    }
}

/// An attestation prover (system 0, §8.2): re-executes the blocks statelessly from the witness alone, checks every
/// header root and the kind and anchor rules of the mode, and only then signs the EIP-712 `Attestation` of the
/// public inputs it computed itself.
public struct AttestationProver: Sendable {
    public let key: PrivateKey
    public let domain: RollupDomain
    public let l2ChainId: UInt64
    /// Attestations signed and refused so far.
    let counts = Counts()

    final class Counts: Sendable {
        let signed = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
    }

    /// What the prover signs: an `Attestation` (proof system 0), or, as the external-proof slot's test stand-in,
    /// an `ExternalProof` (proof system 2, served as `zk_prove`; not a zero-knowledge proof, and it says so).
    public enum Kind: Sendable {
        case attestation
        case externalTest
    }
    public let kind: Kind

    public init(key: PrivateKey, domain: RollupDomain, l2ChainId: UInt64, kind: Kind = .attestation) {
        self.key = key
        self.domain = domain
        self.l2ChainId = l2ChainId
        self.kind = kind
    }

    /// The public inputs and the signature, or a refusal that says why.
    /// - Throws: `L2BlockError` when the data, the witness or the execution does not hold up.
    public func prove(_ request: AttestationRequest) throws(L2BlockError) -> (inputs: PublicInputs, signature: [UInt8]) {
        guard request.blockData.count <= RollupProtocol.maxBlockData else {
            throw L2BlockError("blockData is \(request.blockData.count) bytes, above MAX_BLOCK_DATA")
        }
        let blocks = try BlockData.decode(request.blockData)
        let (parent, witness) = try ExecuteCall.decodeProof(request.executeProof)
        let outcome = try L2StatelessExecutor.execute(l2ChainId: l2ChainId, parent: parent, blocks: blocks, witness: witness)
        guard outcome.satisfies(request.mode, l1BlockNumber: request.l1BlockNumber, l1ParentHash: request.l1ParentHash) else {
            throw L2BlockError("the blocks' kinds or last anchor do not fit a \(request.mode == .based ? "based" : "settlement") " +
                               "submission for L1 block \(request.l1BlockNumber) with parent \(request.l1ParentHash)")
        }
        let inputs = PublicInputs(
            mode: request.mode, l2ChainId: l2ChainId, parentBlockNumber: outcome.parentBlockNumber,
            parentBlockHash: outcome.parentBlockHash, parentStateRoot: outcome.parentStateRoot,
            blockNumber: outcome.blockNumber, blockHash: outcome.blockHash, postStateRoot: outcome.postStateRoot,
            inboxHash: outcome.inboxHash, outboxRoot: outcome.outboxRoot, l1BlockNumber: request.l1BlockNumber,
            l1ParentHash: request.l1ParentHash, submitter: request.submitter, blockDataHash: Keccak256.hash(request.blockData))
        if let claimed = request.publicInputsHash, claimed != inputs.hash {
            throw L2BlockError("the claimed public inputs hash \(claimed) is not the blocks' (\(inputs.hash))")
        }
        switch kind {
        case .attestation: return (inputs, domain.sign(Attestation(publicInputsHash: inputs.hash), key: key))
        case .externalTest: return (inputs, domain.sign(ExternalProof(publicInputsHash: inputs.hash), key: key))
        }
    }

    /// `prover_prove` and `prover_info`.
    public func methods() -> RPCMethods {
        var methods = RPCMethods()
        let prover = self
        // The external prover API (Specs/prover-api.md) has its own method, so an attestation is never mistaken
        // for an external proof or the other way round.
        methods.register(kind == .attestation ? "prover_prove" : "zk_prove") { call in
            try call.params.expectCount(1, 1)
            let request = try AttestationRequest(json: try RPCParams.object(try call.params.required(0, "request"), "request"))
            // Stateless re-execution is CPU work: off the server's cooperative threads.
            let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(PublicInputs, [UInt8]), Error>) in
                DispatchQueue.global().async {
                    do {
                        let result = try prover.prove(request)
                        prover.counts.signed.wrappingAdd(1, ordering: .relaxed)
                        continuation.resume(returning: result)
                    } catch {
                        prover.counts.refused.wrappingAdd(1, ordering: .relaxed)
                        continuation.resume(throwing: RPCError.server("refused: \((error as? L2BlockError)?.message ?? "\(error)")"))
                    }
                }
            }
            if prover.kind == .externalTest {
                return .object([
                    "publicInputsHash": .string(result.0.hash.hexString), "system": .quantity(UInt64(RollupCalls.Proof.externalSystem)),
                    "proof": .data(result.1), "prover": .string(prover.key.address.hexString),
                    "notAProof": "a signature by a test key after a stateless re-execution, standing in for a zero-knowledge proof",
                ])
            }
            return .object([
                "publicInputsHash": .string(result.0.hash.hexString), "signature": .data(result.1),
                "prover": .string(prover.key.address.hexString), "blockNumber": .quantity(result.0.blockNumber),
                "blockHash": .string(result.0.blockHash.hexString), "postStateRoot": .string(result.0.postStateRoot.hexString),
            ])
        }
        methods.register("prover_info") { _ in
            .object(["prover": .string(prover.key.address.hexString), "l2ChainId": .quantity(prover.l2ChainId),
                     "kind": prover.kind == .attestation ? "attestation" : "external-test (signs, does not prove)",
                     "signed": .quantity(UInt64(prover.counts.signed.load(ordering: .relaxed))),
                     "refused": .quantity(UInt64(prover.counts.refused.load(ordering: .relaxed))),
                     "domain": .object(["name": "Lockstep", "version": "1", "chainId": .quantity(prover.domain.l1ChainId),
                                        "verifyingContract": .string(prover.domain.rollup.hexString)])])
        }
        return methods
    }
}

/// Asks attestation provers over HTTP (`--prover-url`), all at once, each within a deadline; collects the valid
/// signatures (checked here against the expected public inputs hash) and reports the failures. Blocks the calling
/// thread: call it off the cooperative threads.
public struct ProverClients: Sendable {
    public let clients: [JSONRPCClient]
    public let deadlineMilliseconds: Int

    public init(urls: [String], deadlineMilliseconds: Int = 2_000) {
        clients = urls.map { JSONRPCClient(url: $0, timeoutMilliseconds: deadlineMilliseconds) }
        self.deadlineMilliseconds = deadlineMilliseconds
    }

    /// The attestation proof from the provers that signed `expected` (signatures ordered by signer, as the
    /// verifier takes them), with a line per prover that did not.
    public func attest(_ request: AttestationRequest, expected: Hash, domain: RollupDomain) -> (proof: [UInt8], signers: Int, failures: [String]) {
        let results = Mutex<[(Address, [UInt8])]>([])
        let failures = Mutex<[String]>([])
        var request = request
        request.publicInputsHash = expected
        let parameters = request.json
        DispatchQueue.concurrentPerform(iterations: clients.count) { index in
            let client = clients[index]
            do {
                let answer = try client.call("prover_prove", [parameters], deadlineMilliseconds: deadlineMilliseconds)
                let signature = try answer["signature"]?.decodeData() ?? []
                let signer = try domain.recoverSigner(Attestation(publicInputsHash: expected), signature: signature)
                // A signature over anything else recovers to some other address: that prover lied or erred.
                if let claimed = answer["prover"]?.stringValue.flatMap({ try? Address(hex: $0) }), claimed != signer {
                    failures.withLock {
                        $0.append("prover \(client.url) (\(claimed)) signed other public inputs than \(expected): its attestation is left out")
                    }
                    return
                }
                results.withLock { $0.append((signer, signature)) }
            } catch {
                failures.withLock { $0.append("prover \(client.url): \(error)") }
            }
        }
        let signed = results.withLock { $0 }.sorted { $0.0 < $1.0 }
        return (signed.flatMap(\.1), signed.count, failures.withLock { $0 })
    }
}

/// Asks an external prover over HTTP (`zk_prove`, Specs/prover-api.md) for proof system 2 within a deadline,
/// and checks the answer is for the expected public inputs. Blocks the calling thread.
public struct ExternalProverClient: Sendable {
    public let client: JSONRPCClient
    public let deadlineMilliseconds: Int

    public init(url: String, deadlineMilliseconds: Int = 2_000) {
        client = JSONRPCClient(url: url, timeoutMilliseconds: deadlineMilliseconds)
        self.deadlineMilliseconds = deadlineMilliseconds
    }

    /// The proof for `request`, whose public inputs hash must be `expected`.
    /// - Throws: the prover's refusal, a transport error, or a proof for other public inputs.
    public func prove(_ request: AttestationRequest, expected: Hash) throws -> [UInt8] {
        var request = request
        request.publicInputsHash = expected
        let answer = try client.call("zk_prove", [request.json], deadlineMilliseconds: deadlineMilliseconds)
        guard answer["publicInputsHash"]?.stringValue.flatMap({ try? Hash(hex: $0) }) == expected,
              let proof = try answer["proof"]?.decodeData(), !proof.isEmpty else {
            throw L2BlockError("external prover \(client.url) answered a proof for other public inputs, or none")
        }
        return proof
    }
}
