import Chain
import EVM
import JSON
import Node
import Primitives
import RPCServer

/// The `eth_*` parameters and answers that take more than a line: call arguments, log filters, fee history.
public enum EthParams {
    /// `eth_call`-style transaction arguments.
    public static func callArguments(_ value: JSONValue) throws(RPCError) -> CallArguments {
        let object = try RPCParams.object(value, "transaction")
        var arguments = CallArguments()
        if let from = object["from"], from != .null { arguments.from = try RPCParams.address(from, "from") }
        if let to = object["to"], to != .null { arguments.to = try RPCParams.address(to, "to") }
        if let gas = object["gas"], gas != .null { arguments.gas = try RPCParams.uint64(gas, "gas") }
        if let price = object["gasPrice"], price != .null { arguments.gasPrice = try RPCParams.quantity(price, "gasPrice") }
        if let cap = object["maxFeePerGas"], cap != .null { arguments.maxFeePerGas = try RPCParams.quantity(cap, "maxFeePerGas") }
        if let tip = object["maxPriorityFeePerGas"], tip != .null {
            arguments.maxPriorityFeePerGas = try RPCParams.quantity(tip, "maxPriorityFeePerGas")
        }
        if let value = object["value"], value != .null { arguments.value = try RPCParams.quantity(value, "value") }
        if let data = object["input"] ?? object["data"], data != .null { arguments.data = try RPCParams.data(data, "input") }
        if let list = object["accessList"], list != .null {
            arguments.accessList = try RPCParams.array(list, "accessList").map { entry throws(RPCError) in
                let fields = try RPCParams.object(entry, "accessList entry")
                return AccessListEntry(
                    address: try RPCParams.address(fields["address"] ?? .null, "accessList.address"),
                    storageKeys: try RPCParams.array(fields["storageKeys"] ?? .array([]), "accessList.storageKeys")
                        .map { key throws(RPCError) in try RPCParams.hash(key, "accessList.storageKeys") })
            }
        }
        if arguments.gas.map({ $0 > 1 << 40 }) == true { throw .invalidParams("gas: above 2^40") }
        return arguments
    }

    /// An `eth_getLogs` filter object.
    public static func logFilter(_ object: [String: JSONValue], chain node: NodeChain) throws -> LogFilter {
        var filter = LogFilter()
        if let hash = object["blockHash"], hash != .null {
            guard let block = node.chain.block(hash: try RPCParams.hash(hash, "blockHash")) else {
                throw NodeError("unknown block")
            }
            filter.fromBlock = block.number
            filter.toBlock = block.number
        } else {
            func number(_ key: String, _ fallback: UInt64) throws -> UInt64 {
                guard let value = object[key], value != .null else { return fallback }
                switch try BlockTag.parse(value, key) {
                case .latest, .pending: return node.head.number
                case .earliest: return 0
                case .number(let number): return number
                case .hash(let hash): return node.chain.block(hash: hash)?.number ?? fallback
                }
            }
            filter.fromBlock = try number("fromBlock", node.head.number)
            filter.toBlock = try number("toBlock", node.head.number)
        }
        switch object["address"] ?? .null {
        case .null: break
        case .array(let list): filter.addresses = try list.map { try RPCParams.address($0, "address") }
        case let single: filter.addresses = [try RPCParams.address(single, "address")]
        }
        if let topics = object["topics"], topics != .null {
            filter.topics = try RPCParams.array(topics, "topics").map { entry -> [Hash]? in
                switch entry {
                case .null: return nil
                case .array(let alternatives): return try alternatives.map { try RPCParams.hash($0, "topics") }
                default: return [try RPCParams.hash(entry, "topics")]
                }
            }
        }
        return filter
    }

    /// `eth_feeHistory`: base fees (one more than the blocks, for the next block), gas-used ratios and, per
    /// block, the requested percentiles of the tips paid, weighted by gas as geth does.
    public static func feeHistory(_ node: NodeChain, count: UInt64, newest: BlockTag, percentiles: [Double]) throws -> JSONValue {
        guard let last = node.block(newest) else { throw NodeError("header not found") }
        // A forked chain's history starts at its fork block.
        let blockCount = min(count, last.number + 1 - node.chain.firstNumber)
        let first = last.number + 1 - blockCount
        var baseFees: [JSONValue] = []
        var ratios: [JSONValue] = []
        var rewards: [JSONValue] = []
        var blobFees: [JSONValue] = []
        var blobRatios: [JSONValue] = []
        for number in first..<(first + blockCount) {
            guard let block = node.chain.block(number: number) else { continue }
            let header = block.header
            let baseFee = header.baseFeePerGas ?? .zero
            baseFees.append(.quantity(baseFee))
            ratios.append(.number(JSONNumber(Double(header.gasUsed) / Double(max(header.gasLimit, 1))) ?? JSONNumber(0)))
            let fork = node.config.fork(at: header.timestamp)
            let parameters = node.config.blobParameters(for: fork)
            blobFees.append(.quantity(parameters?.blobBaseFee(excessBlobGas: header.excessBlobGas ?? 0) ?? .zero))
            blobRatios.append(.number(JSONNumber(Double(header.blobGasUsed ?? 0)
                / Double(max(parameters?.maxBlobGasPerBlock ?? 1, 1))) ?? JSONNumber(0)))
            if !percentiles.isEmpty {
                let tips = block.block.transactions.indices.map { index -> (tip: U256, gas: UInt64) in
                    let transaction = block.block.transactions[index]
                    return (transaction.effectiveGasPrice(baseFee: baseFee) &- baseFee, block.outcomes[index].gasUsed)
                }.sorted { $0.tip < $1.tip }
                let totalGas = tips.reduce(UInt64(0)) { $0 + $1.gas }
                var reward: [JSONValue] = []
                for percentile in percentiles {
                    guard !tips.isEmpty else { reward.append(.quantity(UInt64(0))); continue }
                    let threshold = Double(totalGas) * percentile / 100
                    var cumulative: UInt64 = 0
                    var chosen = tips[tips.count - 1].tip
                    for entry in tips {
                        cumulative += entry.gas
                        if Double(cumulative) >= threshold { chosen = entry.tip; break }
                    }
                    reward.append(.quantity(chosen))
                }
                rewards.append(.array(reward))
            }
        }
        if last.number == node.head.number {
            baseFees.append(.quantity(node.nextBaseFee))
            let header = node.nextHeader()
            let parameters = node.config.blobParameters(for: node.config.fork(at: header.timestamp))
            blobFees.append(.quantity(parameters?.blobBaseFee(excessBlobGas: header.excessBlobGas ?? 0) ?? .zero))
        } else if let next = node.chain.block(number: last.number + 1) {
            baseFees.append(.quantity(next.header.baseFeePerGas ?? .zero))
            blobFees.append(blobFees.last ?? .quantity(UInt64(0)))
        }
        var object: [String: JSONValue] = [
            "oldestBlock": .quantity(first), "baseFeePerGas": .array(baseFees), "gasUsedRatio": .array(ratios),
            "baseFeePerBlobGas": .array(blobFees), "blobGasUsedRatio": .array(blobRatios),
        ]
        if !percentiles.isEmpty { object["reward"] = .array(rewards) }
        return .object(object)
    }
}
