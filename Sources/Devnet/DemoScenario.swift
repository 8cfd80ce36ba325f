import Chain
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import Rollup

/// `lockstep demo`: one searcher's cross-layer bundle against a running harness, shown as a timeline of both chains.
///
/// In one L1 block `N`: a deposit of 1 ETH on L1 → a swap of 1 ETH for DEMO on the L2 AMM → a withdrawal of the DEMO
/// to L1 through the bridge → on L1, the withdrawal's execution (the vault releases the DEMO) and a post-assertion that
/// the searcher's L1 DEMO balance grew by what was withdrawn. The bundle goes to the builder, which runs it jointly on
/// both chains, proves the based block and sends the L1 bundle; the L2 adopts the based block.
/// The failing scenario asks the post-assertion for more than the withdrawal brings: the builder rejects the bundle
/// and nothing lands on either layer.
public final class DemoScenario {
    public enum Kind: String, Sendable, CaseIterable {
        case swap
        case failingAssertion = "failing-assertion"
    }

    /// The harness's endpoints and addresses, from `lockstep_devnetInfo`.
    public struct Endpoints: Sendable {
        public var l1: JSONRPCClient
        public var l2: JSONRPCClient
        public var builder: JSONRPCClient
        public var builderAddress: Address
        public var l1ChainId: UInt64
        public var l2ChainId: UInt64
        public var rollup: Address
        public var l1Token: Address
        public var l2Token: Address
        public var l2Pool: Address
        public var assertions: Address
        /// The harness's slot length, when it says.
        public var slotTime: Double?

        /// Reads `lockstep_devnetInfo` from the L2 endpoint `url`.
        public static func discover(l2Url url: String) async throws -> Endpoints {
            let l2 = JSONRPCClient(url: url, timeoutMilliseconds: 10_000)
            let info: JSONValue
            do {
                info = try await offChainThread { try l2.call("lockstep_devnetInfo") }
            } catch {
                throw DemoError("cannot read lockstep_devnetInfo from \(url) (is `lockstep devnet` running there?): \(error)")
            }
            func text(_ path: String...) throws -> String {
                var value: JSONValue? = info
                for key in path { value = value?[key] }
                guard let string = value?.stringValue else { throw DemoError("lockstep_devnetInfo lacks \(path.joined(separator: "."))") }
                return string
            }
            func number(_ path: String...) throws -> UInt64 {
                var value: JSONValue? = info
                for key in path { value = value?[key] }
                guard let number = value?.numberValue, let parsed = UInt64(number.text) else {
                    throw DemoError("lockstep_devnetInfo lacks \(path.joined(separator: "."))")
                }
                return parsed
            }
            guard let builder = info["builders"]?[0], let builderUrl = builder["url"]?.stringValue,
                  let builderAddress = builder["address"]?.stringValue else {
                throw DemoError("lockstep_devnetInfo names no builder")
            }
            return Endpoints(
                l1: JSONRPCClient(url: try text("l1", "url"), timeoutMilliseconds: 10_000), l2: l2,
                builder: JSONRPCClient(url: builderUrl, timeoutMilliseconds: 30_000),
                builderAddress: try Address(hex: builderAddress),
                l1ChainId: try number("l1", "chainId"), l2ChainId: try number("l2", "chainId"),
                rollup: try Address(hex: try text("contracts", "l1", "rollup")),
                l1Token: try Address(hex: try text("contracts", "l1", "token")),
                l2Token: try Address(hex: try text("contracts", "l2", "token")),
                l2Pool: try Address(hex: try text("contracts", "l2", "amm")),
                assertions: try Address(hex: try text("contracts", "l1", "assertions")),
                slotTime: info["timing"]?["slotTime"]?.numberValue.flatMap { Double($0.text) })
        }
    }

    let endpoints: Endpoints
    let searcher: PrivateKey
    let print: @Sendable (String) -> Void
    static let ether = U256(1_000_000_000_000_000_000)
    static let gwei = U256(1_000_000_000)

    public init(endpoints: Endpoints, searcher: PrivateKey, print: @escaping @Sendable (String) -> Void) {
        self.endpoints = endpoints
        self.searcher = searcher
        self.print = print
    }

    // MARK: JSON-RPC

    func call(_ client: JSONRPCClient, _ method: String, _ params: [JSONValue] = []) async throws -> JSONValue {
        try await offChainThread { try client.call(method, params, idempotent: false) }
    }

    func ethCall(_ client: JSONRPCClient, _ to: Address, _ data: [UInt8]) async throws -> U256 {
        let result = try await call(client, "eth_call", [.object(["to": .string(to.hexString), "data": .data(data)]), "latest"])
        guard let text = result.stringValue else { throw DemoError("eth_call answered \(result)") }
        return try U256(hex: String(text.prefix(66)))
    }

    struct Balances: Equatable {
        var l1Ether: U256, l1Tokens: U256, l2Ether: U256, l2Tokens: U256
        var l1Nonce: UInt64, l2Nonce: UInt64
    }

    func balances() async throws -> Balances {
        let me = self.searcher.address
        let balanceOf = ABIValue.call("balanceOf(address)", [.address(me)])
        return Balances(
            l1Ether: try await call(endpoints.l1, "eth_getBalance", [.string(me.hexString), "latest"]).decodeQuantity(),
            l1Tokens: try await ethCall(endpoints.l1, endpoints.l1Token, balanceOf),
            l2Ether: try await call(endpoints.l2, "eth_getBalance", [.string(me.hexString), "latest"]).decodeQuantity(),
            l2Tokens: try await ethCall(endpoints.l2, endpoints.l2Token, balanceOf),
            l1Nonce: try await call(endpoints.l1, "eth_getTransactionCount", [.string(me.hexString), "pending"]).decodeUInt64Quantity(),
            l2Nonce: try await call(endpoints.l2, "eth_getTransactionCount", [.string(me.hexString), "pending"]).decodeUInt64Quantity())
    }

    /// Waits for a handoff whose target block is the next L1 block, so the whole slot's time is left.
    func freshHandoff(timeout: Double) async throws -> (target: UInt64, slotEnd: UInt64) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let handoff = try await call(endpoints.l2, "lockstep_getHandoff")
            if let target = try? handoff["l1TargetBlockNumber"]?.decodeUInt64Quantity(),
               let slotEnd = try? handoff["l2BlockNumber"]?.decodeUInt64Quantity(),
               try await call(endpoints.l1, "eth_blockNumber").decodeUInt64Quantity() + 1 == target {
                return (target, slotEnd)
            }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw DemoError("no handoff for the next L1 block within \(Int(timeout)) s: is the sequencer following the L1?")
    }

    func sign(chainId: UInt64, nonce: UInt64, to: Address, value: U256 = .zero, data: [UInt8] = [], gas: UInt64)
        -> Transaction {
        Transaction(type: .dynamicFee, chainId: chainId, nonce: nonce, maxPriorityFeePerGas: Self.gwei,
                    maxFeePerGas: U256(100) &* Self.gwei, gasLimit: gas, to: to, value: value, data: data)
            .signed(with: self.searcher)
    }

    // MARK: The scenario

    /// Runs `kind` and prints its timeline.
    /// - Returns: whether everything that should have happened did (and, for the failing scenario, that nothing landed).
    public func run(_ kind: Kind, slotTime: Double, attempt: Int = 1) async throws -> Bool {
        let me = self.searcher.address
        let e = self.endpoints
        if attempt == 1 { self.print(kind == .swap
                   ? "Scenario: deposit → L2 swap → withdrawal → L1 post-assertion, one cross-layer bundle in one L1 block"
                   : "Scenario: the same bundle with a post-assertion that cannot hold; nothing may land on either layer") }
        self.print("  searcher \(me), builder \(e.builderAddress)\(attempt > 1 ? " (attempt \(attempt))" : "")")
        let before = try await balances()
        self.print("  before   " + Self.describe(before))

        let (target, slotEnd) = try await freshHandoff(timeout: slotTime * 3)
        let handoffAt = Date()
        self.print("  handoff  L2 slot-end block \(slotEnd), for L1 block \(target)")

        // The swap's output at the L2 head; the withdrawal takes 99% of it, so a small price move cannot break it.
        let swapIn = Self.ether
        let quoted = try await ethCall(e.l2, e.l2Pool, ABIValue.call("getEthToTokenOut(uint256)", [.uint(swapIn)]))
        let withdrawn = quoted / U256(100) &* U256(99)
        let wanted = kind == .swap ? before.l1Tokens &+ withdrawn : before.l1Tokens &+ withdrawn &+ withdrawn
        let originKey = Hash(leftPadding: me.bytes)
        let originNonce = try await ethCall(e.l2, RollupProtocol.messengerAddress,
                                            ABIValue.call("withdrawalNonce(bytes32)", [.bytes32(originKey)]))
        let release = ABIValue.call("release(address,uint256)", [.address(me), .uint(withdrawn)])
        let vault = try await ethCall(e.l2, e.l2Token, ABIValue.call("l1Vault()", []))
        let withdrawal = WithdrawalMessage(originKey: originKey, originNonce: originNonce, sender: e.l2Token,
                                           to: Address(word: vault), value: .zero, data: release)
        let deposit = sign(chainId: e.l1ChainId, nonce: before.l1Nonce, to: e.rollup, value: swapIn,
                           data: RollupCalls.sendToL2(to: me, data: []), gas: 300_000)
        let swap = sign(chainId: e.l2ChainId, nonce: before.l2Nonce, to: e.l2Pool, value: swapIn,
                        data: ABIValue.call("swapEthForToken(uint256,address)", [.uint(withdrawn), .address(me)]), gas: 300_000)
        let withdraw = sign(chainId: e.l2ChainId, nonce: before.l2Nonce + 1, to: e.l2Token,
                            data: ABIValue.call("withdraw(address,uint256)", [.address(me), .uint(withdrawn)]), gas: 300_000)
        let tip = sign(chainId: e.l2ChainId, nonce: before.l2Nonce + 2, to: e.builderAddress,
                       value: Self.ether / U256(100), gas: 21_000)
        let execute = sign(chainId: e.l1ChainId, nonce: before.l1Nonce + 1, to: e.rollup,
                           data: RollupCalls.executeFromL2(withdrawal), gas: 500_000)
        let assertion = sign(chainId: e.l1ChainId, nonce: before.l1Nonce + 2, to: e.assertions,
                             data: ABIValue.call("tokenBalanceAtLeast(address,address,uint256)",
                                                 [.address(e.l1Token), .address(me), .uint(wanted)]), gas: 100_000)
        let legs: [(String, String, Transaction)] = [
            ("L1 before", "deposit \(Self.amount(swapIn)) ETH to the L2 (Rollup.sendToL2)", deposit),
            ("L2", "swap \(Self.amount(swapIn)) ETH for at least \(Self.amount(withdrawn)) DEMO (AMM.swapEthForToken)", swap),
            ("L2", "withdraw \(Self.amount(withdrawn)) DEMO to L1 (BridgedToken.withdraw)", withdraw),
            ("L2", "pay the builder 0.01 ETH", tip),
            ("L1 after", "execute the withdrawal (Rollup.executeFromL2 → vault.release)", execute),
            ("L1 after", "assert L1 DEMO ≥ \(Self.amount(wanted)) (Assertions.tokenBalanceAtLeast)", assertion),
        ]
        let bundle: JSONValue = .object([
            "l1Before": .array([.data(deposit.networkEncoded)]),
            "l2": .array([swap, withdraw, tip].map { .data($0.networkEncoded) }),
            "l1After": .array([.data(execute.networkEncoded), .data(assertion.networkEncoded)]),
            "blockNumber": .quantity(target),
        ])
        let sent = try await call(e.builder, "lockstep_sendBundle", [bundle])
        guard let bundleHash = sent["bundleHash"]?.stringValue else { throw DemoError("lockstep_sendBundle answered \(sent)") }
        self.print("  bundle   \(bundleHash) sent to the builder \(Self.milliseconds(since: handoffAt)) after the handoff:")
        for (layer, what, transaction) in legs {
            self.print("             \(layer.padding(toLength: 9, withPad: " ", startingAt: 0)) \(what)")
            self.print("                       \(transaction.hash)")
        }

        // Follow the bundle to a final status.
        var seen: [String] = []
        var final: JSONValue = .null
        let deadline = Date().addingTimeInterval(slotTime * 4)
        while Date() < deadline {
            let status = try await call(e.builder, "lockstep_getBundleStatus", [.string(bundleHash)])
            if let name = status["status"]?.stringValue, seen.last != name {
                seen.append(name)
                self.print("  status   \(name) at +\(Self.milliseconds(since: handoffAt))" +
                           (status["reason"]?.stringValue.map { ": \($0)" } ?? ""))
            }
            final = status
            if ["landed", "notLanded", "rejected", "cancelled", "replaced"].contains(seen.last ?? "") { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        // A slot the builder could not use (the handoff came too late to prove, say) lands nothing: try the next one.
        if kind == .swap, seen.last == "notLanded", attempt < 3 {
            self.print("  retry    the bundle missed L1 block \(target); sending it for a later slot")
            try await self.waitForL1(block: target, timeout: slotTime * 3)
            return try await self.run(kind, slotTime: slotTime, attempt: attempt + 1)
        }
        // The target block exists by now for a bundle that was sent; wait for it in any case, then for the L2.
        try await self.waitForL1(block: target, timeout: slotTime * 3)
        let l1Block = try await call(e.l1, "eth_getBlockByNumber", [.quantity(target), true])
        self.printL1Block(l1Block, ours: Set(legs.map(\.2.hash)))
        var ok = true
        func expect(_ condition: Bool, _ failure: String) {
            if !condition {
                ok = false
                self.print("  FAILED   \(failure)")
            }
        }

        switch kind {
        case .swap:
            expect(seen.last == "landed", "the bundle did not land (status \(seen.last ?? "none")\(final["reason"]?.stringValue.map { ": \($0)" } ?? ""))")
            for (_, what, transaction) in legs where transaction.chainId == e.l1ChainId {
                let receipt = try await call(e.l1, "eth_getTransactionReceipt", [.string(transaction.hash.hexString)])
                expect(receipt["status"]?.stringValue == "0x1" && (try? receipt["blockNumber"]?.decodeUInt64Quantity()) == target,
                       "L1: \(what) is not in block \(target) with success")
            }
            // The L2 adopts the based block once it sees block N.
            let swapReceipt = try await self.waitForReceipt(e.l2, swap.hash, timeout: slotTime * 2)
            if let swapReceipt, let number = try? swapReceipt["blockNumber"]?.decodeUInt64Quantity() {
                let block = try await call(e.l2, "eth_getBlockByNumber", [.quantity(number), false])
                let parent = try await call(e.l2, "eth_getBlockByNumber", [.quantity(number - 1), false])
                self.print("  L2       block \(number - 1) \(parent["kind"]?.stringValue ?? "?") (the handoff), " +
                           "block \(number) \(block["kind"]?.stringValue ?? "?"): " +
                           "\(block["transactions"]?.arrayValue?.count ?? 0) transactions, inbox \(block["inboxHash"]?.stringValue?.prefix(10) ?? "?")…")
                expect(block["kind"]?.stringValue == "based", "L2: the swap is in a \(block["kind"]?.stringValue ?? "?") block, not a based one")
                expect(number - 1 == slotEnd, "L2: the based block does not follow the handoff's slot-end block \(slotEnd)")
                for (_, what, transaction) in legs where transaction.chainId == e.l2ChainId {
                    let receipt = try await call(e.l2, "eth_getTransactionReceipt", [.string(transaction.hash.hexString)])
                    expect(receipt["status"]?.stringValue == "0x1" && (try? receipt["blockNumber"]?.decodeUInt64Quantity()) == number,
                           "L2: \(what) is not in block \(number) with success")
                }
            } else {
                expect(false, "L2: the swap never appeared on the L2")
            }
            let after = try await balances()
            self.print("  after    " + Self.describe(after, against: before))
            expect(after.l1Tokens == before.l1Tokens &+ withdrawn, "L1: the DEMO balance did not grow by the withdrawal")
            expect(after.l2Tokens > before.l2Tokens, "L2: the swap's DEMO (less the withdrawal) did not arrive")
            self.print(ok ? "  result   landed atomically on both layers in L1 block \(target)" : "  result   FAILED")
        case .failingAssertion:
            expect(seen.last == "rejected" || seen.last == "notLanded",
                   "the bundle should have been rejected (status \(seen.last ?? "none"))")
            // Give the L2 time to adopt whatever block N accepted, then check nothing of ours moved.
            try await Task.sleep(nanoseconds: UInt64(slotTime * 0.5e9))
            let after = try await balances()
            self.print("  after    " + Self.describe(after, against: before))
            for (layer, what, transaction) in legs {
                let client = transaction.chainId == e.l1ChainId ? e.l1 : e.l2
                let receipt = try await call(client, "eth_getTransactionReceipt", [.string(transaction.hash.hexString)])
                expect(receipt.isNull, "\(layer): \(what) landed although the assertion failed")
            }
            expect(after.l1Nonce == before.l1Nonce && after.l2Nonce == before.l2Nonce,
                   "a transaction of the searcher landed (nonces moved)")
            expect(after.l1Tokens == before.l1Tokens && after.l2Tokens == before.l2Tokens, "DEMO balances moved")
            self.print(ok ? "  result   nothing landed on either layer: the bundle is all or nothing" : "  result   FAILED")
        }
        return ok
    }

    func waitForL1(block: UInt64, timeout: Double) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try await call(endpoints.l1, "eth_blockNumber").decodeUInt64Quantity() < block {
            guard Date() < deadline else { throw DemoError("L1 block \(block) did not come within \(Int(timeout)) s") }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
    }

    func waitForReceipt(_ client: JSONRPCClient, _ hash: Hash, timeout: Double) async throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let receipt = try await call(client, "eth_getTransactionReceipt", [.string(hash.hexString)])
            if !receipt.isNull { return receipt }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return nil
    }

    func printL1Block(_ block: JSONValue, ours: Set<Hash>) {
        let transactions = block["transactions"]?.arrayValue ?? []
        self.print("  L1       block \(block["number"].flatMap { try? $0.decodeUInt64Quantity() } ?? 0) " +
                   "(\(block["hash"]?.stringValue?.prefix(10) ?? "?")…): \(transactions.count) transactions")
        for (index, transaction) in transactions.enumerated() {
            let hash = transaction["hash"]?.stringValue ?? ""
            let to = transaction["to"]?.stringValue ?? "(create)"
            var label = "to \(to)"
            if let parsed = try? Hash(hex: hash), ours.contains(parsed) {
                label = "the searcher's, to \(to)"
            } else if (try? Address(hex: transaction["from"]?.stringValue ?? "")) == self.endpoints.builderAddress,
                      (try? Address(hex: to)) == self.endpoints.rollup {
                label = "the builder's submitBased (the based block and its proofs)"
            } else if (try? Address(hex: to)) == self.endpoints.rollup {
                label = "to the Rollup (settlement or another submission)"
            }
            self.print("             \(index)  \(hash.prefix(12))…  \(label)")
        }
    }

    static func describe(_ b: Balances, against before: Balances? = nil) -> String {
        func show(_ value: U256, _ old: U256?) -> String {
            guard let old, old != value else { return amount(value) }
            return value > old ? "\(amount(value)) (+\(amount(value &- old)))" : "\(amount(value)) (−\(amount(old &- value)))"
        }
        return "L1 \(show(b.l1Ether, before?.l1Ether)) ETH, \(show(b.l1Tokens, before?.l1Tokens)) DEMO; " +
            "L2 \(show(b.l2Ether, before?.l2Ether)) ETH, \(show(b.l2Tokens, before?.l2Tokens)) DEMO"
    }

    /// An 18-decimal amount with four decimals.
    static func amount(_ value: U256) -> String {
        let (whole, fraction) = value.quotientAndRemainder(dividingBy: ether)
        let decimals = (fraction / U256(100_000_000_000_000)).uint64 ?? 0
        return "\(whole.description).\(String(format: "%04llu", decimals))"
    }

    static func milliseconds(since start: Date) -> String {
        "\(Int(Date().timeIntervalSince(start) * 1000)) ms"
    }
}

/// A demo step that could not run (the harness is unreachable or answered something unexpected).
public struct DemoError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
