import EthRPC
import Foundation
import JSON
import JSONRPCClient
import Node
import Primitives
import RPCServer
import Rollup
import Synchronization

/// The builder's intake (`lockstep builder`, `Specs/builder-api.md`): cross-layer bundles from searchers, checked,
/// kept durably with their status, replaced and cancelled per searcher. The L1 head it needs to refuse late
/// bundles comes from a background poll of `--l1-url`, never from the request path.
public final class BuilderService: Sendable {
    public let l1ChainId: UInt64
    public let l2ChainId: UInt64
    public let book: BundleBook
    /// Where the API keeps and finds bundles: `book`, unless this is an intake replica (`BundleIntake`).
    public let intake: any BundleIntake
    public let builder: Address
    let l1: JSONRPCClient
    /// The joint simulation (`lockstep_callBundle`); nil: not offered.
    public let simulation: BundleSimulation?
    /// The submission goes to the L1 as a raw transaction (`--submit-mode raw`, for an L1 without
    /// `eth_sendBundle`): bundles with L1 legs are refused, since nothing could keep them atomic with it.
    public let rawSubmission: Bool
    /// Bundles per second a searcher may send (`lockstep_sendBundle`, replacements and cancellations included);
    /// anonymous bundles share one allowance of ten times this. Nil: no limit.
    public let rateLimiter: SearcherRateLimiter?
    private let head = Mutex<UInt64?>(nil)

    /// - Parameters:
    ///   - l1: the L1 endpoint; its head bounds the target blocks accepted.
    ///   - builder: the builder's address (its L1 account and the based blocks' coinbase).
    public init(l1: JSONRPCClient, l1ChainId: UInt64, l2ChainId: UInt64, book: BundleBook, builder: Address,
                simulation: BundleSimulation? = nil, rawSubmission: Bool = false, maxBundleRate: Double? = nil,
                intake: (any BundleIntake)? = nil) {
        self.intake = intake ?? book
        self.rawSubmission = rawSubmission
        self.rateLimiter = maxBundleRate.map { SearcherRateLimiter(perSecond: $0) }
        self.l1 = l1
        self.l1ChainId = l1ChainId
        self.l2ChainId = l2ChainId
        self.book = book
        self.builder = builder
        self.simulation = simulation
    }

    /// The L1 head last seen (nil before the first poll answered).
    public var l1Head: UInt64? { head.withLock { $0 } }

    /// Reads the L1 head once, and expires the bundles whose target block has passed.
    public func refreshHead() async throws {
        let client = l1
        let number = try await offChainThread { try client.call("eth_blockNumber").decodeUInt64Quantity() }
        head.withLock { $0 = number }
        try await intake.expire(l1Head: number)
    }

    /// Polls the L1 head every `interval` seconds until cancelled, logging each distinct failure once.
    public func followHead(interval: Double, log: @escaping @Sendable (String) -> Void) async {
        var lastError: String?
        await repeatOnClockGrid(every: interval) {
            do {
                try await refreshHead()
                if lastError != nil { log("the L1 answers again") }
                lastError = nil
            } catch {
                let message = "cannot read the L1 head: \(error)"
                if message != lastError { log(message) }
                lastError = message
            }
        }
    }

    /// The bundle object of a call's first parameter.
    static func object(_ call: RPCCall, _ name: String) throws(RPCError) -> [String: JSONValue] {
        try call.params.expectCount(1, 1)
        return try RPCParams.object(try call.params.required(0, name), name)
    }

    /// `lockstep_sendBundle`, `lockstep_cancelBundle` and `lockstep_getBundleStatus`.
    public func methods() -> RPCMethods {
        var methods = RPCMethods()
        methods.register("lockstep_sendBundle") { [self] call in
            let searcher = try Flashbots.signer(call)
            try rateLimiter?.admit(searcher)
            let object = try Self.object(call, "bundle")
            let bundle = try CrossLayerBundle.parse(object, l1ChainId: l1ChainId, l2ChainId: l2ChainId, limits: intake.limits)
            if rawSubmission && !(bundle.l1Before.isEmpty && bundle.l1After.isEmpty) {
                throw RPCError.server("this builder sends its submissions as raw transactions (--submit-mode raw: its L1 " +
                                      "has no eth_sendBundle), so nothing would keep l1Before and l1After atomic with " +
                                      "the based block: send bundles with l2 transactions only")
            }
            guard let head = l1Head else {
                throw RPCError.server("the builder has not reached its L1 yet: it cannot check the target block; try again")
            }
            guard bundle.blockNumber > head else {
                throw RPCError.server("blockNumber \(bundle.blockNumber) is not after the L1 head \(head): the bundle would be late")
            }
            let (hash, replaced) = try await intake.add(bundle, params: .object(object), searcher: searcher)
            var answer: [String: JSONValue] = ["bundleHash": hash.map { .string($0.hexString) } ?? .null]
            if let replaced { answer[bundle.isEmpty ? "cancelled" : "replaced"] = .string(replaced.hexString) }
            return .object(answer)
        }
        if let simulation {
            methods.register("lockstep_callBundle") { [self] call in
                _ = try Flashbots.signer(call)
                let object = try Self.object(call, "bundle")
                let bundle = try CrossLayerBundle.parse(object, l1ChainId: l1ChainId, l2ChainId: l2ChainId, limits: book.limits)
                guard !bundle.isEmpty else { throw RPCError.invalidParams("an empty bundle: nothing to simulate") }
                return try await simulation.simulate(bundle).json(bundleHash: bundle.hash, blockNumber: bundle.blockNumber)
            }
        }
        methods.register("lockstep_cancelBundle") { [self] call in
            guard let searcher = try Flashbots.signer(call) else {
                throw RPCError.server("lockstep_cancelBundle needs an X-Flashbots-Signature: bundles are cancelled by their searcher")
            }
            let object = try Self.object(call, "cancellation")
            guard case .string(let uuid)? = object["replacementUuid"] else {
                throw RPCError.invalidParams("replacementUuid (a UUID string) is required")
            }
            return .object(["cancelled": .string(try await intake.cancel(uuid: uuid, searcher: searcher).hexString)])
        }
        methods.register("lockstep_getBundleStatus") { [self] call in
            let searcher = try Flashbots.signer(call)
            try call.params.expectCount(1, 1)
            let argument = try call.params.required(0, "bundleHash")
            let hash = try RPCParams.hash(argument.objectValue?["bundleHash"] ?? argument, "bundleHash")
            guard let (status, owner) = try await intake.status(hash) else { return .null }
            if let owner, owner != searcher {
                throw RPCError.server("bundle \(hash) belongs to another searcher: sign the request as \(owner.hexString)")
            }
            return status
        }
        return methods
    }
}

/// A token bucket per searcher (`--max-bundle-rate`): each may send `perSecond` bundles a second, in bursts of up to
/// one second's worth; the anonymous share one bucket of ten times that. Refusals are JSON-RPC -32005 (EIP-1474
/// "limit exceeded") saying when to retry. Buckets idle for a minute are forgotten, so the table stays small.
public final class SearcherRateLimiter: Sendable {
    public let perSecond: Double
    private let buckets = Mutex<[Address?: (tokens: Double, at: Double)]>([:])

    public init(perSecond: Double) { self.perSecond = perSecond }

    public func admit(_ searcher: Address?, now: Double = Date().timeIntervalSince1970) throws(RPCError) {
        let rate = searcher == nil ? perSecond * 10 : perSecond
        let wait: Double? = buckets.withLock { table in
            if table.count > 10_000 { table = table.filter { now - $0.value.at < 60 } }
            var bucket = table[searcher] ?? (tokens: rate, at: now)
            bucket.tokens = min(rate, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            defer { table[searcher] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / rate }
            bucket.tokens -= 1
            return nil
        }
        if let wait {
            let who = searcher.map { "searcher \($0.checksummed)" } ?? "anonymous searchers (together)"
            throw RPCError(code: -32005, message: "limit exceeded: \(who) may send \(Self.format(rate)) bundles a " +
                           "second; retry in \(Int((wait * 1_000).rounded(.up))) ms")
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
