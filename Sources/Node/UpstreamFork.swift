import Chain
import EVM
import Foundation
import JSON
import JSONRPCClient
import Primitives
import State
import Store

/// An upstream chain a node continues (`lockstep l1 --fork-url`): the node's first block is the upstream's block
/// `blockNumber`, its state is the upstream's state at that block (read lazily over JSON-RPC and cached), and its
/// own blocks, from `blockNumber + 1`, carry real state roots computed from `eth_getProof` answers.
public struct UpstreamFork: Sendable {
    public let url: String
    public let blockNumber: UInt64
    /// The upstream block's header (its hash checked against the upstream's).
    public let header: BlockHeader
    /// The upstream's chain id.
    public let upstreamChainId: UInt64
    public let client: JSONRPCClient
    public let base: ForkBase

    /// Connects to `url` and pins block `blockNumber` (the upstream's latest when nil).
    /// - Parameters:
    ///   - cacheDirectory: where fetched state is kept on disk across restarts (nil: in memory only).
    ///   - adjustHeader: adds what a chain's own header format has beyond Ethereum's fields (an L2's rollup fields)
    ///     from the block's JSON, before the hash is checked.
    public static func connect(url: String, blockNumber: UInt64?, cacheDirectory: URL? = nil,
                               adjustHeader: ((JSONValue, inout BlockHeader) throws -> Void)? = nil) throws -> UpstreamFork {
        let client = JSONRPCClient(url: url, timeoutMilliseconds: 15_000)
        let upstreamChainId: UInt64
        let json: JSONValue
        do {
            upstreamChainId = try client.call("eth_chainId").decodeUInt64Quantity()
            let tag: JSONValue = blockNumber.map { .string(U256($0).hexString) } ?? .string("latest")
            json = try client.call("eth_getBlockByNumber", [tag, .bool(false)])
        } catch {
            throw NodeError("cannot reach the fork upstream \(url): \(error)")
        }
        guard json != .null else {
            throw NodeError("the fork upstream \(url) has no block \(blockNumber.map(String.init) ?? "latest")")
        }
        var header = try Self.header(from: json)
        try adjustHeader?(json, &header)
        let announced = try? Hash(hex: json["hash"]?.stringValue ?? "")
        guard header.hash == announced else {
            throw NodeError("the fork upstream's block \(header.number) hashes to \(header.hash) when rebuilt from its " +
                            "fields, but the upstream says \(announced.map { "\($0)" } ?? "nothing"): unsupported header format")
        }
        var diskCache: ForkedStateDiskCache? = nil
        if let cacheDirectory {
            diskCache = try ForkedStateDiskCache(directory: cacheDirectory, chainId: upstreamChainId,
                                                 blockNumber: header.number, endpoint: url)
        }
        let upstream = JSONRPCUpstream(client: client, blockNumber: header.number, deadlineMilliseconds: 15_000)
        let base = ForkBase(remote: ForkedState(provider: upstream, diskCache: diskCache), proofs: upstream,
                            blockNumber: header.number, stateRoot: header.stateRoot)
        return UpstreamFork(url: url, blockNumber: header.number, header: header, upstreamChainId: upstreamChainId,
                          client: client, base: base)
    }

    /// The fork a node whose log is `log` continues: a log that starts with a fork continues it (from its logged
    /// upstream unless `url` names another, and at its logged block, which `blockNumber` must not contradict);
    /// otherwise the fork `url` names, if any. Nil for a chain started from a genesis.
    public static func open(log: EventLog?, url: String?, blockNumber: UInt64?, cacheDirectory: URL?) throws -> UpstreamFork? {
        var url = url
        var blockNumber = blockNumber
        if let first = try log?.events().first, first.kind == "fork" {
            let recorded = try parseEvent(first.payload)
            if url == nil { url = recorded.url }
            if let blockNumber, blockNumber != recorded.blockNumber {
                throw NodeError("the data directory forked block \(recorded.blockNumber), not \(blockNumber)")
            }
            blockNumber = recorded.blockNumber
        }
        guard let url else { return nil }
        return try connect(url: url, blockNumber: blockNumber, cacheDirectory: cacheDirectory)
    }

    /// A header from its `eth_getBlockByNumber` form.
    static func header(from json: JSONValue) throws -> BlockHeader {
        func field(_ name: String) throws -> JSONValue {
            guard let value = json[name], value != .null else { throw NodeError("fork block: no \(name) in the upstream's answer") }
            return value
        }
        func hash(_ name: String) throws -> Hash { try Hash(hex: try field(name).stringValue ?? "") }
        func optionalHash(_ name: String) throws -> Hash? {
            guard let value = json[name], value != .null else { return nil }
            return try Hash(hex: value.stringValue ?? "")
        }
        func optionalQuantity(_ name: String) throws -> UInt64? {
            guard let value = json[name], value != .null else { return nil }
            return try value.decodeUInt64Quantity()
        }
        do {
            guard let bloom = Bloom(bytes: try field("logsBloom").decodeData()) else { throw NodeError("fork block: bad logsBloom") }
            let nonceBytes = try field("nonce").decodeData()
            var nonce: UInt64 = 0
            for byte in nonceBytes { nonce = nonce << 8 | UInt64(byte) }
            return BlockHeader(
                parentHash: try hash("parentHash"), ommersHash: try hash("sha3Uncles"),
                coinbase: try Address(hex: try field("miner").stringValue ?? ""), stateRoot: try hash("stateRoot"),
                transactionsRoot: try hash("transactionsRoot"), receiptsRoot: try hash("receiptsRoot"), logsBloom: bloom,
                difficulty: try field("difficulty").decodeQuantity(), number: try field("number").decodeUInt64Quantity(),
                gasLimit: try field("gasLimit").decodeUInt64Quantity(), gasUsed: try field("gasUsed").decodeUInt64Quantity(),
                timestamp: try field("timestamp").decodeUInt64Quantity(), extraData: try field("extraData").decodeData(),
                mixHash: try hash("mixHash"), nonce: nonce,
                baseFeePerGas: try json["baseFeePerGas"].flatMap { $0 == .null ? nil : try $0.decodeQuantity() },
                withdrawalsRoot: try optionalHash("withdrawalsRoot"), blobGasUsed: try optionalQuantity("blobGasUsed"),
                excessBlobGas: try optionalQuantity("excessBlobGas"),
                parentBeaconBlockRoot: try optionalHash("parentBeaconBlockRoot"), requestsHash: try optionalHash("requestsHash"))
        } catch let error as NodeError {
            throw error
        } catch {
            throw NodeError("fork block: malformed header field in the upstream's answer: \(error)")
        }
    }

    /// The event that starts a forked node's log.
    var eventPayload: [UInt8] {
        Array(JSONValue.object([
            "url": .string(url), "blockNumber": .quantity(blockNumber), "hash": .string(header.hash.hexString),
        ]).serializedString().utf8)
    }

    /// The upstream and block a logged fork event names.
    public static func parseEvent(_ payload: [UInt8]) throws -> (url: String, blockNumber: UInt64, hash: Hash) {
        let json = try JSONValue(parsing: payload)
        guard let url = json["url"]?.stringValue else { throw NodeError("the data directory's fork event has no url") }
        return (url, try json["blockNumber"]?.decodeUInt64Quantity() ?? 0, try Hash(hex: json["hash"]?.stringValue ?? ""))
    }

    /// Calls the upstream (for what the node answers from the chain it forked: earlier blocks, their
    /// transactions, state before the fork). Blocks the calling thread: keep it off the chain thread.
    public func forward(_ method: String, _ params: [JSONValue]) throws -> JSONValue {
        do {
            return try client.call(method, params)
        } catch {
            throw NodeError("fork upstream: \(error)")
        }
    }
}
