import Chain
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import Rollup

extension Harness {
    /// Deploys the harness's L1 contracts on an external L1 (`lockstep devnet --l1-url`) with `key`, whose account
    /// must be `contracts.deployer` at nonce `contracts.firstNonce`: every step of `l1Steps()` is signed with
    /// consecutive nonces and sent at once, then their receipts are awaited (the L1 mines them at its own pace).
    /// - Throws: `DemoError` naming the step that failed or the receipt that did not come within `timeout` seconds.
    public func deploy(on l1: JSONRPCClient, key: PrivateKey, timeout: Double,
                       log: @escaping @Sendable (String) -> Void) async throws {
        guard key.address == contracts.deployer else {
            throw DemoError("the deployer key is \(key.address), not \(contracts.deployer)")
        }
        @Sendable func call(_ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
            try await offChainThread { try l1.call(method, params, idempotent: false) }
        }
        let nonce = try await call("eth_getTransactionCount", [.string(key.address.hexString), "pending"]).decodeUInt64Quantity()
        guard nonce == contracts.firstNonce else {
            throw DemoError("the deployer's nonce is \(nonce), not \(contracts.firstNonce): another transaction of \(key.address) got in")
        }
        let head = try await call("eth_getBlockByNumber", ["latest", false])
        let baseFee = try head["baseFeePerGas"]?.decodeQuantity() ?? U256(1_000_000_000)
        let tip = U256(1_000_000_000)
        var sent: [(what: String, hash: Hash)] = []
        for (index, step) in self.l1Steps().enumerated() {
            let (to, data, value, gas): (Address?, [UInt8], U256, UInt64)
            switch step.kind {
            case .deploy(let bytecode, let arguments, _):
                to = nil
                data = try Hex.decode(bytecode) + arguments
                value = .zero
                gas = 12_000_000
            case .call(let target, let calldata, let amount):
                (to, data, value, gas) = (target, calldata, amount, 300_000)
            }
            let transaction = Transaction(type: .dynamicFee, chainId: self.l1ChainId, nonce: nonce + UInt64(index),
                                          maxPriorityFeePerGas: tip, maxFeePerGas: baseFee &* U256(4) &+ tip,
                                          gasLimit: gas, to: to, value: value, data: data).signed(with: key)
            do {
                _ = try await call("eth_sendRawTransaction", [.data(transaction.networkEncoded)])
            } catch {
                throw DemoError("\(step.what): the L1 refused the transaction: \(error)")
            }
            sent.append((step.what, transaction.hash))
        }
        log("deploying the harness contracts on the L1: \(sent.count) transactions from \(key.address)")
        let deadline = Date().addingTimeInterval(timeout)
        for (what, hash) in sent {
            while true {
                let receipt = try await call("eth_getTransactionReceipt", [.string(hash.hexString)])
                if !receipt.isNull {
                    guard receipt["status"]?.stringValue == "0x1" else {
                        throw DemoError("\(what) failed on the L1 (transaction \(hash), receipt \(receipt.serializedString()))")
                    }
                    break
                }
                guard Date() < deadline else {
                    throw DemoError("\(what): no receipt within \(Int(timeout)) s (transaction \(hash)); is the L1 mining?")
                }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
        }
        log("deployed: Rollup \(contracts.rollup) (\(contracts.executeVerifier == nil ? "attestation only" : "attestation and EXECUTE"))")
    }

    /// Whether the L1 at `l1` has the EXECUTE precompile: a call with an empty input fails there, while an empty
    /// account answers it with success and no output.
    public static func hasExecutePrecompile(_ l1: JSONRPCClient) async -> Bool {
        let answer = try? await offChainThread {
            try l1.call("eth_call", [.object(["to": .string(RollupProtocol.executePrecompileAddress.hexString), "data": "0x"]), "latest"])
        }
        guard let answer else { return true }
        return answer.stringValue != "0x"
    }
}
