import Builder
import Chain
import Dispatch
import Foundation
import JSON
import L1Devnet
import Primitives
import RPCServer
import Rollup
import Synchronization

/// The libFuzzer targets (`lockstep-fuzz`, `Deploy/fuzz.sh`): every decoder that takes bytes from outside the
/// process. Each target runs one input and checks what must hold for any input; an error thrown by the code under
/// test is an answer, not a finding. A broken invariant stops the process (`fatalError`), which libFuzzer records
/// as a crash; the same entry points replay the seed corpus and the regressions in `make test` (FuzzCorpusTests).
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `RLPItem.decode`: strict RLP; what decodes re-encodes to the same bytes.
    case rlp
    /// `Transaction.decode` (every type, blob sidecars included), then the hash and sender recovery.
    case transaction
    /// `L2Header.decode`, `L2Block.decode` and the block data list of protocol §5: canonical, round-trips.
    case l2header
    /// The L1 `EXECUTE` precompile on any input: decoding, the witness, stateless re-execution.
    case execute
    /// A cross-layer bundle object (`lockstep_sendBundle`'s parameter) as JSON text.
    case bundle
    /// A JSON-RPC request body to the devnet L1's whole API, in process. An optional first line
    /// `X-Flashbots-Signature: …` is passed as that header.
    case jsonrpc

    public var summary: String {
        switch self {
        case .rlp: "strict RLP items (decode, then re-encode to the same bytes)"
        case .transaction: "signed transactions of every type, the hash and sender recovery"
        case .l2header: "L2 headers, L2 blocks and block data (protocol §5)"
        case .execute: "the EXECUTE precompile's input: decoding, the witness, stateless re-execution"
        case .bundle: "cross-layer bundle objects (lockstep_sendBundle's parameter)"
        case .jsonrpc: "JSON-RPC request bodies to the devnet L1's API, with an optional X-Flashbots-Signature"
        }
    }

    /// Runs one input.
    public func run(_ input: [UInt8]) {
        switch self {
        case .rlp: Self.rlp(input)
        case .transaction: Self.transaction(input)
        case .l2header: Self.l2header(input)
        case .execute: Self.execute(input)
        case .bundle: Self.bundle(input)
        case .jsonrpc: Self.jsonrpc(input)
        }
    }

    static func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant broken: \(message())") }
    }

    static func rlp(_ input: [UInt8]) {
        guard let item = try? RLPItem.decode(input) else { return }
        invariant(item.encoded == input, "RLP \(input.hexString) decodes but re-encodes as \(item.encoded.hexString)")
    }

    static func transaction(_ input: [UInt8]) {
        guard let transaction = try? Transaction.decode(input) else { return }
        invariant(transaction.networkEncoded == input,
                  "transaction \(input.hexString) decodes but re-encodes as \(transaction.networkEncoded.hexString)")
        let again = try? Transaction.decode(transaction.encoded)
        invariant(again?.hash == transaction.hash, "the canonical encoding of \(input.hexString) does not decode to the same hash")
        if let sender = try? transaction.recoverSender() {
            invariant((try? transaction.recoverSender()) == sender, "sender recovery is not deterministic")
        }
        _ = try? transaction.validate(chainId: 1, fork: .prague)
    }

    static func l2header(_ input: [UInt8]) {
        if let header = try? L2Header.decode(rlp: input) {
            invariant(header.rlpEncoded == input, "L2 header \(input.hexString) does not round-trip")
        }
        if let block = try? L2Block.decode(rlp: input) {
            invariant(block.rlpEncoded == input, "L2 block \(input.hexString) does not round-trip")
        }
        if let blocks = try? BlockData.decode(input) {
            invariant(BlockData.encode(blocks) == input, "block data \(input.hexString) does not round-trip")
        }
    }

    static func execute(_ input: [UInt8]) {
        switch ExecutePrecompile.execute(input: input, gasLimit: 30_000_000) {
        case .success(let (output, gas)):
            invariant(output.count == 11 * 32, "EXECUTE answered \(output.count) bytes, not 11 words")
            invariant(gas <= 30_000_000, "EXECUTE charged \(gas) gas above its limit")
        case .failure:
            break
        }
    }

    static func bundle(_ input: [UInt8]) {
        guard case .object(let object)? = try? JSONValue(parsing: input) else { return }
        guard let bundle = try? CrossLayerBundle.parse(object, l1ChainId: RollupProtocol.devnetL1ChainId,
                                                       l2ChainId: RollupProtocol.devnetL2ChainId) else { return }
        invariant(bundle.transactionCount <= BundleLimits().maxTransactions, "a bundle above the transaction limit was accepted")
        for transaction in bundle.l1Before + bundle.l1After {
            invariant(transaction.chainId == RollupProtocol.devnetL1ChainId, "an L1 leg on another chain was accepted")
        }
        for transaction in bundle.l2 {
            invariant(transaction.chainId == RollupProtocol.devnetL2ChainId, "an L2 leg on another chain was accepted")
            invariant(bundle.senders[transaction.hash] != nil, "a transaction's sender was not recovered")
        }
    }

    // MARK: JSON-RPC

    /// One devnet L1 for the whole run, built on first use.
    static let devnet: RPCDispatcher = {
        let genesis = Genesis.devnetL1(timestamp: 1_700_000_000)
        do {
            let node = try DevnetNode(automine: false) { try DevnetChain(genesis: genesis, log: nil) }
            return RPCDispatcher(methods: node.methods(), limits: RPCLimits(maxRequestBytes: 1 << 20, maxBatchSize: 100))
        } catch {
            fatalError("the fuzzing devnet does not start: \(error)")
        }
    }()

    final class Answer: @unchecked Sendable {
        var bytes: [UInt8]?
    }

    static func jsonrpc(_ input: [UInt8]) {
        var body = input
        var headers: [String: String] = [:]
        let prefix = Array("X-Flashbots-Signature: ".utf8)
        if input.starts(with: prefix) {
            let end = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.endIndex
            headers["x-flashbots-signature"] = String(decoding: input[prefix.count..<end], as: UTF8.self)
            body = end < input.endIndex ? Array(input[(end + 1)...]) : []
        }
        let dispatcher = devnet
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        let request = body
        let requestHeaders = headers
        Task {
            answer.bytes = await dispatcher.respond(to: request, headers: requestHeaders)
            done.signal()
        }
        done.wait()
        guard let bytes = answer.bytes else { return }  // only notifications
        guard let response = try? JSONValue(parsing: bytes) else {
            invariant(false, "the server answered text that is not JSON: \(String(decoding: bytes, as: UTF8.self))")
            return
        }
        func check(_ one: JSONValue) {
            invariant(one["jsonrpc"] == .string("2.0"), "a response without jsonrpc 2.0: \(one)")
            invariant((one["result"] == nil) != (one["error"] == nil), "a response needs exactly one of result and error: \(one)")
            if let error = one["error"] {
                invariant(error["code"]?.numberValue != nil && error["message"]?.stringValue != nil,
                          "an error object without code and message: \(error)")
            }
        }
        switch response {
        case .array(let items): items.forEach(check)
        default: check(response)
        }
    }
}

extension FuzzTarget {
    /// Whether `input` is a transaction (the corpus test checks the seeds reach past decoding).
    public static func decodesTransaction(_ input: [UInt8]) -> Bool { (try? Transaction.decode(input)) != nil }

    /// Whether `input` is an EXECUTE call that succeeds.
    public static func executes(_ input: [UInt8]) -> Bool {
        if case .success = ExecutePrecompile.execute(input: input, gasLimit: 30_000_000) { return true }
        return false
    }
}
