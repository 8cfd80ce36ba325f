import Chain
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import Rollup

/// `lockstep devnet --traffic`: a searcher in the background, so that a fresh devnet shows every block kind and
/// path without anyone sending anything. Every `everySlots` slots it sends the first builder a small cross-layer
/// bundle through its public API (a deposit of 0.01 ETH on L1, and on the L2 a payment of 0.001 ETH to the builder),
/// from its own funded key, and logs what became of it.
public struct Traffic: Sendable {
    public let l1: JSONRPCClient
    public let l2: JSONRPCClient
    public let builder: JSONRPCClient
    public let builderAddress: Address
    public let rollup: Address
    public let l1ChainId: UInt64
    public let l2ChainId: UInt64
    public let everySlots: Int

    public init(l1: JSONRPCClient, l2: JSONRPCClient, builder: JSONRPCClient, builderAddress: Address, rollup: Address,
                l1ChainId: UInt64, l2ChainId: UInt64, everySlots: Int) {
        self.l1 = l1
        self.l2 = l2
        self.builder = builder
        self.builderAddress = builderAddress
        self.rollup = rollup
        self.l1ChainId = l1ChainId
        self.l2ChainId = l2ChainId
        self.everySlots = everySlots
    }

    /// Sends a bundle every `everySlots` L1 blocks until cancelled; `log` gets a line per bundle and per outcome.
    public func run(log: @escaping @Sendable (String) -> Void) async {
        let key = Harness.trafficKey
        var lastHead: UInt64 = 0
        var waiting: [(hash: String, target: UInt64)] = []
        var lastError: String?
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: 100_000_000)
            do {
                let head = try await call(l1, "eth_blockNumber").decodeUInt64Quantity()
                // What became of the bundles sent before.
                var still: [(hash: String, target: UInt64)] = []
                for entry in waiting {
                    let status = try await call(builder, "lockstep_getBundleStatus", [.string(entry.hash)])
                    switch status["status"]?.stringValue {
                    case "landed"?: log("bundle for L1 block \(entry.target) landed: a based block on the L2")
                    case "notLanded"?, "rejected"?:
                        log("bundle for L1 block \(entry.target) \(status["status"]?.stringValue ?? ""): \(status["reason"]?.stringValue ?? "")")
                    default: still.append(entry)
                    }
                }
                waiting = still
                // A new block, early in its slot: send for the next one.
                guard head > lastHead else { continue }
                lastHead = head
                guard head % UInt64(everySlots) == 0, waiting.isEmpty else { continue }
                let l1Nonce = try await call(l1, "eth_getTransactionCount", [.string(key.address.hexString), "pending"]).decodeUInt64Quantity()
                let l2Nonce = try await call(l2, "eth_getTransactionCount", [.string(key.address.hexString), "latest"]).decodeUInt64Quantity()
                let gwei = U256(1_000_000_000)
                let deposit = Transaction(type: .dynamicFee, chainId: l1ChainId, nonce: l1Nonce, maxPriorityFeePerGas: gwei,
                                          maxFeePerGas: U256(100) &* gwei, gasLimit: 300_000, to: rollup,
                                          value: U256(10_000_000_000_000_000),
                                          data: RollupCalls.sendToL2(to: key.address, data: [])).signed(with: key)
                let payment = Transaction(type: .dynamicFee, chainId: l2ChainId, nonce: l2Nonce, maxPriorityFeePerGas: gwei,
                                          maxFeePerGas: U256(100) &* gwei, gasLimit: 21_000, to: builderAddress,
                                          value: U256(1_000_000_000_000_000), data: []).signed(with: key)
                let answer = try await call(builder, "lockstep_sendBundle", [.object([
                    "l1Before": .array([.data(deposit.networkEncoded)]), "l2": .array([.data(payment.networkEncoded)]),
                    "blockNumber": .quantity(head + 1),
                ])])
                if let hash = answer["bundleHash"]?.stringValue {
                    waiting.append((hash, head + 1))
                    log("sent a bundle for L1 block \(head + 1): deposit 0.01 ETH, pay the builder 0.001 ETH on the L2")
                }
                lastError = nil
            } catch {
                let message = "traffic: \(error)"
                if message != lastError { log(message) }
                lastError = message
            }
        }
    }

    func call(_ client: JSONRPCClient, _ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        try await offChainThread { try client.call(method, params, idempotent: false) }
    }
}
