import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import RPCServer
import Prover
import Rollup

/// Settles the sequencer's blocks on L1 (`Specs/protocol.md` §7.4), one range in flight at a time: reads the Rollup's
/// settled head, proves the next range (`SequencerChain.nextSettlement`, `RangeProver`), checks the `settle` call
/// with `eth_estimateGas` (a revert is reported with its reason, and nothing is sent), sends it from the sequencer's
/// L1 account, and waits for its receipt. Its L1 block's `Settled` event publishes the blocks' data (§10).
/// Not thread-safe (hence unchecked): one task steps it.
public final class Settler: @unchecked Sendable {
    let node: L2Node
    let l1: JSONRPCClient
    let submit: JSONRPCClient
    let rollup: Address
    let key: PrivateKey
    let prover: RangeProver
    /// The settlement sent and not yet mined.
    private var inFlight: (hash: Hash, first: UInt64, last: UInt64, sent: Date)?
    /// How long a sent settlement may stay unmined before it is sent again.
    public var resendAfter: TimeInterval = 60

    /// - Parameters:
    ///   - l1: the L1 endpoint read from; `submit` the one transactions go to (often the same).
    ///   - attesters: the attestation provers' keys (§8.2).
    public init(node: L2Node, l1: JSONRPCClient, submit: JSONRPCClient, rollup: Address, attesters: [PrivateKey],
                execute: Bool = true, provers: ProverClients? = nil, externalProver: ExternalProverClient? = nil) {
        self.node = node
        self.l1 = l1
        self.submit = submit
        self.rollup = rollup
        key = node.identity.key
        prover = RangeProver(l2ChainId: node.chainId, domain: node.identity.domain, attesters: attesters, execute: execute,
                             provers: provers, externalProver: externalProver)
    }

    func call(_ client: JSONRPCClient, _ method: String, _ params: [JSONValue], idempotent: Bool = true) async throws -> JSONValue {
        try await offChainThread { try client.call(method, params, idempotent: idempotent) }
    }

    /// The Rollup's settled head (§7): number and hash.
    public func settledHead() async throws -> (number: UInt64, hash: Hash) {
        let answer = try await call(l1, "eth_call", [.object(["to": .string(rollup.hexString),
                                                               "data": .data(ABIValue.call("settledHead()", []))]), "latest"])
        guard let bytes = answer.dataValue, bytes.count == 96, let number = U256(bigEndianBytes: bytes[0..<32])?.uint64 else {
            throw NodeError("the Rollup at \(rollup) answered settledHead() with \(answer): is it deployed there?")
        }
        return (number, Hash(bytes: bytes[32..<64])!)
    }

    /// One round: checks the settlement in flight, or sends the next one. Returns a line to log when something
    /// happened.
    public func step() async throws -> String? {
        if let flight = inFlight {
            let receipt = try await call(l1, "eth_getTransactionReceipt", [.string(flight.hash.hexString)])
            if receipt.isNull {
                guard Date().timeIntervalSince(flight.sent) > resendAfter else { return nil }
                inFlight = nil
                return "settlement of L2 blocks \(flight.first)…\(flight.last) (\(flight.hash)) not mined after " +
                    "\(Int(resendAfter)) s: proving it again"
            }
            inFlight = nil
            let block = (try? receipt["blockNumber"]?.decodeUInt64Quantity()) ?? 0
            guard receipt["status"]?.stringValue == "0x1" else {
                return "settlement of L2 blocks \(flight.first)…\(flight.last) reverted in L1 block \(block) (\(flight.hash))"
            }
            let gas = (try? receipt["gasUsed"]?.decodeUInt64Quantity()) ?? 0
            return "settled L2 blocks \(flight.first)…\(flight.last) in L1 block \(block) (\(gas) gas)"
        }
        let settled = try await settledHead()
        let l1Head = try await call(l1, "eth_blockNumber", []).decodeUInt64Quantity()
        guard let range = try await node.withSequencer({ try $0.nextSettlement(after: settled, l1Head: l1Head) }) else {
            return nil
        }
        let (prover, submitter) = (self.prover, key.address)
        let (inputs, outcome, proofs) = try await offChainThread { try prover.prove(range, submitter: submitter) }
        let data = RollupCalls.settle(blockNumber: inputs.blockNumber, blockHash: inputs.blockHash,
                                      postStateRoot: inputs.postStateRoot, l1BlockNumber: inputs.l1BlockNumber,
                                      depositIds: outcome.depositIds, outboxRoot: inputs.outboxRoot,
                                      blockData: range.blockData, proofs: proofs)
        let first = range.blocks[0].number
        let request: JSONValue = .object(["from": .string(submitter.hexString), "to": .string(rollup.hexString),
                                          "data": .data(data)])
        let estimate: UInt64
        do {
            estimate = try await call(l1, "eth_estimateGas", [request]).decodeUInt64Quantity()
        } catch {
            throw NodeError("settling L2 blocks \(first)…\(inputs.blockNumber) would fail: \(error)")
        }
        let nonce = try await call(l1, "eth_getTransactionCount", [.string(submitter.hexString), "pending"]).decodeUInt64Quantity()
        let latest = try await call(l1, "eth_getBlockByNumber", ["latest", false])
        let baseFee = try latest["baseFeePerGas"]?.decodeQuantity() ?? U256(1_000_000_000)
        let tip = U256(1_000_000_000)
        let transaction = Transaction(type: .dynamicFee, chainId: node.identity.domain.l1ChainId, nonce: nonce,
                                      maxPriorityFeePerGas: tip, maxFeePerGas: baseFee &* U256(2) &+ tip,
                                      gasLimit: estimate + estimate / 5, to: rollup, value: .zero, data: data)
            .signed(with: key)
        _ = try await call(submit, "eth_sendRawTransaction", [.data(transaction.networkEncoded)], idempotent: false)
        inFlight = (transaction.hash, first, inputs.blockNumber, Date())
        return nil
    }
}

extension L2Node {
    /// Settles on L1 every `interval` seconds through `settler`, logging what lands and each distinct failure once,
    /// until cancelled.
    public func runSettlement(_ settler: Settler, interval: Double, log: @escaping @Sendable (String) -> Void) async {
        var lastError: String?
        await repeatOnClockGrid(every: interval) {
            do {
                let started = DispatchTime.now().uptimeNanoseconds
                if let line = try await settler.step() {
                    // A step that did something (a settlement proven and sent, or one confirmed); idle ones are not timed.
                    StageMetrics.shared.observe("l2:settlement", seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
                    log(line)
                }
                lastError = nil
            } catch {
                let message = "cannot settle: \(error)"
                if message != lastError { log(message) }
                lastError = message
            }
        }
    }
}
