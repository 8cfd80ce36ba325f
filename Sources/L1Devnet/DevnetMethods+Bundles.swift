import Chain
import EVM
import JSON
import Primitives
import RPCServer

extension DevnetNode {
    /// `eth_sendBundle` and `eth_callBundle` with Flashbots semantics.
    func registerBundles(_ methods: inout RPCMethods) {
        methods.register("eth_sendBundle") { [self] call in
            // The signature is checked when sent; the devnet keys nothing on the searcher's identity.
            _ = try Self.flashbotsSigner(call)
            let object = try RPCParams.object(try call.params.required(0, "bundle"), "bundle")
            let bundle = try Self.bundle(object, requireBlock: true)
            let hash = bundle.bundleHash
            if bundle.transactions.isEmpty {
                // An empty bundle is a cancellation in Flashbots tooling; nothing is queued.
                return .object(["bundleHash": .string(hash.hexString)])
            }
            try await withChain { devnet in try devnet.submit(bundle: bundle) }
            return .object(["bundleHash": .string(hash.hexString)])
        }
        methods.register("eth_callBundle") { [self] call in
            _ = try Self.flashbotsSigner(call)
            let object = try RPCParams.object(try call.params.required(0, "bundle"), "bundle")
            let bundle = try Self.bundle(object, requireBlock: false)
            guard !bundle.transactions.isEmpty else { throw RPCError.invalidParams("txs: the bundle is empty") }
            let stateTag = try BlockTag.parse(object["stateBlockNumber"], "stateBlockNumber")
            let timestamp = try object["timestamp"].map { value throws(RPCError) in try RPCParams.uint64(value, "timestamp") }
            let coinbase = try object["coinbase"].map { value throws(RPCError) in try RPCParams.address(value, "coinbase") }
            return try await withChain { devnet in
                try devnet.requireHeadState(stateTag)
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
                        result["revert"] = .string(DevnetChain.revertMessage(entry.output))
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

    /// Checks `X-Flashbots-Signature: address:signature` when present: an EIP-191 signature of the hex keccak of
    /// the body. Returns the searcher's address (nil when the header is absent).
    static func flashbotsSigner(_ call: RPCCall) throws(RPCError) -> Address? {
        guard let header = call.headers["x-flashbots-signature"] else { return nil }
        let parts = header.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw RPCError(code: -32600, message: "X-Flashbots-Signature must be <address>:<signature>")
        }
        let claimed = try RPCParams.address(.string(parts[0]), "X-Flashbots-Signature address")
        // The Flashbots clients send the signature with or without 0x.
        let signatureText = parts[1].hasPrefix("0x") ? parts[1] : "0x" + parts[1]
        let signatureBytes = try RPCParams.data(.string(signatureText), "X-Flashbots-Signature signature")
        guard signatureBytes.count == 65 else {
            throw RPCError(code: -32600, message: "X-Flashbots-Signature: the signature must be 65 bytes")
        }
        let v = signatureBytes[64]
        let signature = Signature(r: U256(bigEndianBytes: signatureBytes[0..<32]) ?? .zero,
                                  s: U256(bigEndianBytes: signatureBytes[32..<64]) ?? .zero,
                                  yParity: v >= 27 ? v - 27 : v)
        // The signed text is the body's keccak in hex, with 0x (the relay's convention); the Python client on
        // hexbytes 2 signs it without the prefix, so both are accepted.
        let hexHash = Keccak256.hash(call.body).hexString
        let signers = [hexHash, String(hexHash.dropFirst(2))].compactMap { text -> Address? in
            let message = Array(text.utf8)
            let digest = Keccak256.hash(Array("\u{19}Ethereum Signed Message:\n\(message.count)".utf8) + message)
            return try? Secp256k1.recoverAddress(hash: digest, signature: signature)
        }
        guard signers.contains(claimed) else {
            throw RPCError(code: -32600, message: "X-Flashbots-Signature does not match the request body and address")
        }
        return claimed
    }

    /// A bundle from `eth_sendBundle`/`eth_callBundle` parameters; block numbers may be hex or decimal.
    static func bundle(_ object: [String: JSONValue], requireBlock: Bool) throws(RPCError) -> DevnetBundle {
        let raws = try RPCParams.array(object["txs"] ?? .null, "txs")
        guard raws.count <= 100 else { throw .invalidParams("txs: at most 100 transactions per bundle") }
        var transactions: [Transaction] = []
        var senders: [Address] = []
        for (index, raw) in raws.enumerated() {
            // Accepted with or without 0x: the Python Flashbots client on hexbytes 2 drops the prefix.
            var value = raw
            if case .string(let text) = raw, !text.hasPrefix("0x") { value = .string("0x" + text) }
            let bytes = try RPCParams.data(value, "txs[\(index)]")
            do {
                let transaction = try Transaction.decode(bytes)
                senders.append(try transaction.recoverSender())
                // A blob transaction sent with its sidecar gets the pool's KZG checks.
                if transaction.sidecar != nil { try DevnetChain.verifySidecar(of: transaction) }
                transactions.append(transaction)
            } catch {
                throw .invalidParams("txs[\(index)]: \(error)")
            }
        }
        let blockNumber: UInt64
        if let value = object["blockNumber"], value != .null {
            blockNumber = try RPCParams.uint64(value, "blockNumber")
        } else if requireBlock {
            throw .invalidParams("blockNumber is required")
        } else {
            blockNumber = 0
        }
        let reverting = try (object["revertingTxHashes"]?.arrayValue ?? []).map { value throws(RPCError) in
            try RPCParams.hash(value, "revertingTxHashes")
        }
        func optional(_ key: String) throws(RPCError) -> UInt64? {
            guard let value = object[key], value != .null else { return nil }
            return try RPCParams.uint64(value, key)
        }
        return DevnetBundle(transactions: transactions, senders: senders, blockNumber: blockNumber,
                            minTimestamp: try optional("minTimestamp"), maxTimestamp: try optional("maxTimestamp"),
                            revertingTxHashes: Set(reverting))
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
            return .quantity(UInt64(try await withChain { $0.increaseTime(Int64(seconds)) }))
        }
        methods.register("evm_setNextBlockTimestamp") { [self] call in
            let timestamp = try RPCParams.uint64(try call.params.required(0, "timestamp"), "timestamp")
            try await withChain { devnet in
                guard timestamp > devnet.head.header.timestamp else {
                    throw NodeError("timestamp \(timestamp) is not after the head's \(devnet.head.header.timestamp)")
                }
                devnet.nextTimestamp = timestamp
            }
            return .null
        }
        for prefix in ["anvil", "hardhat"] {
            methods.register("\(prefix)_setBalance") { [self] call in
                let address = try call.params.address(0)
                let balance = try call.params.quantity(1, "balance")
                try await withChain { try $0.edit(address, balance: balance) }
                return true
            }
            methods.register("\(prefix)_setNonce") { [self] call in
                let address = try call.params.address(0)
                let nonce = try RPCParams.uint64(try call.params.required(1, "nonce"), "nonce")
                try await withChain { try $0.edit(address, nonce: nonce) }
                return true
            }
            methods.register("\(prefix)_setCode") { [self] call in
                let address = try call.params.address(0)
                let code = try call.params.data(1, "code")
                guard code.count <= 0x6000 * 4 else { throw RPCError.invalidParams("code: too large") }
                try await withChain { try $0.edit(address, code: code) }
                return true
            }
            methods.register("\(prefix)_setStorageAt") { [self] call in
                let address = try call.params.address(0)
                let slot = try call.params.quantity(1, "slot")
                let value = try call.params.quantity(2, "value")
                try await withChain { try $0.edit(address, storage: [slot: value]) }
                return true
            }
        }
        methods.register("anvil_setCoinbase") { [self] call in
            let address = try call.params.address(0)
            try await withChain { $0.coinbase = address }
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
