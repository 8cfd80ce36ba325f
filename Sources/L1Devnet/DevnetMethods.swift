import Chain
import EthRPC
import EVM
import JSON
import Node
import Primitives
import RPCServer

extension DevnetNode {
    /// Every method the devnet answers: the `eth_*` API, Flashbots bundles, and the test methods (`evm_*`,
    /// `anvil_*`, `hardhat_*`: they rewrite state and time) unless `testMethods` is false.
    public func methods(testMethods: Bool = true) -> RPCMethods {
        var methods = RPCMethods()
        EthAPI.register(self, into: &methods)
        registerBundles(&methods)
        if testMethods { registerTestMethods(&methods) }
        return methods
    }

    /// `eth_sendBundle` and `eth_callBundle` with Flashbots semantics.
    func registerBundles(_ methods: inout RPCMethods) {
        methods.register("eth_sendBundle") { [self] call in
            // The signature is checked when sent; the devnet keys nothing on the searcher's identity.
            _ = try Flashbots.signer(call)
            let object = try RPCParams.object(try call.params.required(0, "bundle"), "bundle")
            let bundle = try Flashbots.bundle(object, requireBlock: true)
            let hash = bundle.bundleHash
            if bundle.transactions.isEmpty {
                // An empty bundle is a cancellation in Flashbots tooling; nothing is queued.
                return .object(["bundleHash": .string(hash.hexString)])
            }
            try await withChain { devnet in try devnet.submit(bundle: bundle) }
            return .object(["bundleHash": .string(hash.hexString)])
        }
        methods.register("eth_callBundle") { [self] call in
            _ = try Flashbots.signer(call)
            let object = try RPCParams.object(try call.params.required(0, "bundle"), "bundle")
            let bundle = try Flashbots.bundle(object, requireBlock: false)
            guard !bundle.transactions.isEmpty else { throw RPCError.invalidParams("txs: the bundle is empty") }
            let stateTag = try BlockTag.parse(object["stateBlockNumber"], "stateBlockNumber")
            let timestamp = try object["timestamp"].map { value throws(RPCError) in try RPCParams.uint64(value, "timestamp") }
            let coinbase = try object["coinbase"].map { value throws(RPCError) in try RPCParams.address(value, "coinbase") }
            return try await withChain { devnet in
                try devnet.node.requireHead(stateTag, for: "bundles are simulated")
                let simulation = try devnet.simulate(bundle: bundle, timestamp: timestamp, coinbase: coinbase)
                let baseFee = simulation.header.baseFeePerGas ?? .zero
                var results: [JSONValue] = []
                var totalGas: UInt64 = 0
                var gasFees = U256.zero
                for (index, entry) in simulation.outcomes.enumerated() {
                    let transaction = bundle.transactions[index]
                    let price = transaction.effectiveGasPrice(baseFee: baseFee)
                    let fees = U256(entry.outcome.gasUsed) &* price
                    let tipFees = U256(entry.outcome.gasUsed) &* (price &- baseFee)
                    totalGas += entry.outcome.gasUsed
                    gasFees = gasFees &+ fees
                    var result: [String: JSONValue] = [
                        "txHash": .string(entry.outcome.hash.hexString), "fromAddress": .string(entry.outcome.sender.hexString),
                        "toAddress": transaction.to.map { .string($0.hexString) } ?? .null,
                        "gasUsed": .number(entry.outcome.gasUsed), "gasPrice": .string(price.decimalString),
                        "gasFees": .string(fees.decimalString), "coinbaseDiff": .string(tipFees.decimalString),
                        "ethSentToCoinbase": "0", "value": .data(entry.output),
                    ]
                    if !entry.receipt.succeeded {
                        result["error"] = "execution reverted"
                        result["revert"] = .string(CallReverted.message(entry.output))
                    }
                    results.append(.object(result))
                }
                // After EIP-1559 the coinbase earns only the tips; whatever it gained beyond them was sent to it.
                let coinbaseDiff = simulation.coinbaseDiff
                let tips = gasFees &- U256(totalGas) &* baseFee
                let sent = coinbaseDiff > tips ? coinbaseDiff &- tips : U256.zero
                return .object([
                    "bundleHash": .string(bundle.bundleHash.hexString), "results": .array(results),
                    "coinbaseDiff": .string(coinbaseDiff.decimalString), "ethSentToCoinbase": .string(sent.decimalString),
                    "gasFees": .string(gasFees.decimalString), "totalGasUsed": .number(totalGas),
                    "bundleGasPrice": .string((totalGas > 0 ? coinbaseDiff / U256(totalGas) : .zero).decimalString),
                    "stateBlockNumber": .number(devnet.head.number),
                ])
            }
        }
    }

    /// `evm_*`, `anvil_*` and `hardhat_*` test methods.
    func registerTestMethods(_ methods: inout RPCMethods) {
        let mineOne: RPCHandler = { [self] call in
            let timestamp = try call.params[0].map { value throws(RPCError) in try RPCParams.uint64(value, "timestamp") }
            try await mine(timestamp: timestamp)
            return "0x0"
        }
        methods.register("evm_mine", mineOne)
        let mineMany: RPCHandler = { [self] call in
            let count = try call.params[0].map { value throws(RPCError) in try RPCParams.uint64(value, "blocks") } ?? 1
            guard count <= 10_000 else { throw RPCError.invalidParams("blocks: at most 10,000 at once") }
            for _ in 0..<count { try await mine() }
            return .null
        }
        methods.register("anvil_mine", mineMany)
        methods.register("hardhat_mine", mineMany)
        methods.register("evm_snapshot") { [self] _ in try await withChain { .quantity($0.snapshot()) } }
        methods.register("evm_revert") { [self] call in
            let id = try RPCParams.uint64(try call.params.required(0, "snapshot id"), "snapshot id")
            return .bool(try await withChain { try $0.revert(to: id) })
        }
        methods.register("evm_increaseTime") { [self] call in
            let seconds = try RPCParams.uint64(try call.params.required(0, "seconds"), "seconds")
            guard seconds < 1 << 40 else { throw RPCError.invalidParams("seconds: too large") }
            return .quantity(UInt64(try await withChain { $0.node.increaseTime(Int64(seconds)) }))
        }
        methods.register("evm_setNextBlockTimestamp") { [self] call in
            let timestamp = try RPCParams.uint64(try call.params.required(0, "timestamp"), "timestamp")
            try await withChain { devnet in
                guard timestamp > devnet.node.head.header.timestamp else {
                    throw NodeError("timestamp \(timestamp) is not after the head's \(devnet.node.head.header.timestamp)")
                }
                devnet.node.nextTimestamp = timestamp
            }
            return .null
        }
        for prefix in ["anvil", "hardhat"] {
            methods.register("\(prefix)_setBalance") { [self] call in
                let address = try call.params.address(0)
                let balance = try call.params.quantity(1, "balance")
                try await withChain { try $0.node.edit(address, balance: balance) }
                return true
            }
            methods.register("\(prefix)_setNonce") { [self] call in
                let address = try call.params.address(0)
                let nonce = try RPCParams.uint64(try call.params.required(1, "nonce"), "nonce")
                try await withChain { try $0.node.edit(address, nonce: nonce) }
                return true
            }
            methods.register("\(prefix)_setCode") { [self] call in
                let address = try call.params.address(0)
                let code = try call.params.data(1, "code")
                guard code.count <= 0x6000 * 4 else { throw RPCError.invalidParams("code: too large") }
                try await withChain { try $0.node.edit(address, code: code) }
                return true
            }
            methods.register("\(prefix)_setStorageAt") { [self] call in
                let address = try call.params.address(0)
                let slot = try call.params.quantity(1, "slot")
                let value = try call.params.quantity(2, "value")
                try await withChain { try $0.node.edit(address, storage: [slot: value]) }
                return true
            }
        }
        methods.register("anvil_setCoinbase") { [self] call in
            let address = try call.params.address(0)
            try await withChain { $0.node.coinbase = address }
            return true
        }
        methods.register("lockstep_forkStatus") { [self] _ in
            // What a forked devnet continues and what it has fetched so far; null for a chain started here.
            guard let fork else { return .null }
            let base = fork.base
            return .object([
                "url": .string(fork.url), "blockNumber": .quantity(fork.blockNumber),
                "blockHash": .string(fork.header.hash.hexString),
                "remoteReads": .quantity(UInt64(base.remote.remoteReads)),
                "proofRequests": .quantity(UInt64(base.proofRequests)),
                "siblingSearches": .quantity(UInt64(base.siblingSearches)),
            ])
        }
    }
}
