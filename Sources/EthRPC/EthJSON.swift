import Chain
import EVM
import JSON
import Primitives

/// Blocks, transactions, receipts and logs in the JSON shapes geth answers with (what web3.py and ethers parse).
public enum EthJSON {
    public static func hash(_ hash: Hash) -> JSONValue { .string(hash.hexString) }
    public static func address(_ address: Address) -> JSONValue { .string(address.hexString) }
    public static func bytes8(_ value: UInt64) -> JSONValue {
        var text = String(value, radix: 16)
        text = String(repeating: "0", count: max(0, 16 - text.count)) + text
        return .string("0x" + text)
    }

    public static func block(_ block: ChainBlock, fullTransactions: Bool) -> JSONValue {
        let header = block.header
        var object: [String: JSONValue] = [
            "number": .quantity(header.number), "hash": hash(block.hash), "parentHash": hash(header.parentHash),
            "nonce": bytes8(header.nonce), "sha3Uncles": hash(header.ommersHash),
            "logsBloom": .data(header.logsBloom.bytes), "transactionsRoot": hash(header.transactionsRoot),
            "stateRoot": hash(header.stateRoot), "receiptsRoot": hash(header.receiptsRoot),
            "miner": address(header.coinbase), "difficulty": .quantity(header.difficulty), "totalDifficulty": "0x0",
            "extraData": .data(header.extraData), "size": .quantity(UInt64(block.block.rlpEncoded.count)),
            "gasLimit": .quantity(header.gasLimit), "gasUsed": .quantity(header.gasUsed),
            "timestamp": .quantity(header.timestamp), "mixHash": hash(header.mixHash), "uncles": .array([]),
        ]
        if fullTransactions {
            object["transactions"] = .array(block.block.transactions.indices.map { transaction(in: block, index: $0) })
        } else {
            object["transactions"] = .array(block.block.transactions.map { hash($0.hash) })
        }
        if let baseFee = header.baseFeePerGas { object["baseFeePerGas"] = .quantity(baseFee) }
        if let root = header.withdrawalsRoot {
            object["withdrawalsRoot"] = hash(root)
            object["withdrawals"] = .array((block.block.withdrawals ?? []).map { withdrawal in
                .object(["index": .quantity(withdrawal.index), "validatorIndex": .quantity(withdrawal.validatorIndex),
                         "address": address(withdrawal.address), "amount": .quantity(withdrawal.amount)])
            })
        }
        if let blobGasUsed = header.blobGasUsed { object["blobGasUsed"] = .quantity(blobGasUsed) }
        if let excess = header.excessBlobGas { object["excessBlobGas"] = .quantity(excess) }
        if let root = header.parentBeaconBlockRoot { object["parentBeaconBlockRoot"] = hash(root) }
        if let requests = header.requestsHash { object["requestsHash"] = hash(requests) }
        return .object(object)
    }

    /// A transaction; with `block` and `index` when included, pending otherwise.
    public static func transaction(_ transaction: Transaction, sender: Address, block: ChainBlock?, index: Int?) -> JSONValue {
        var object: [String: JSONValue] = [
            "hash": hash(transaction.hash), "from": address(sender), "nonce": .quantity(transaction.nonce),
            "gas": .quantity(transaction.gasLimit), "value": .quantity(transaction.value),
            "input": .data(transaction.data), "to": transaction.to.map(address) ?? .null,
            "type": .quantity(UInt64(transaction.type.rawValue)),
            "v": .quantity(transaction.v), "r": .quantity(transaction.signature.r), "s": .quantity(transaction.signature.s),
            "blockHash": block.map { hash($0.hash) } ?? .null,
            "blockNumber": block.map { .quantity($0.number) } ?? .null,
            "transactionIndex": index.map { .quantity(UInt64($0)) } ?? .null,
        ]
        if let chainId = transaction.chainId { object["chainId"] = .quantity(chainId) }
        if transaction.type == .legacy || transaction.type == .accessList {
            object["gasPrice"] = .quantity(transaction.maxFeePerGas)
        } else {
            object["maxFeePerGas"] = .quantity(transaction.maxFeePerGas)
            object["maxPriorityFeePerGas"] = .quantity(transaction.maxPriorityFeePerGas)
            let baseFee = block?.header.baseFeePerGas
            object["gasPrice"] = .quantity(baseFee.map { transaction.effectiveGasPrice(baseFee: $0) } ?? transaction.maxFeePerGas)
        }
        if transaction.type != .legacy {
            object["yParity"] = .quantity(UInt64(transaction.signature.yParity))
            object["accessList"] = .array(transaction.accessList.map { entry in
                .object(["address": address(entry.address), "storageKeys": .array(entry.storageKeys.map(hash))])
            })
        }
        if transaction.type == .blob {
            object["maxFeePerBlobGas"] = .quantity(transaction.maxFeePerBlobGas)
            object["blobVersionedHashes"] = .array(transaction.blobVersionedHashes.map(hash))
        }
        if transaction.type == .setCode {
            object["authorizationList"] = .array(transaction.authorizationList.map { authorization in
                .object(["chainId": .quantity(authorization.chainId), "address": address(authorization.address),
                         "nonce": .quantity(authorization.nonce), "yParity": .quantity(UInt64(authorization.yParity)),
                         "r": .quantity(authorization.r), "s": .quantity(authorization.s)])
            })
        }
        return .object(object)
    }

    public static func transaction(in block: ChainBlock, index: Int) -> JSONValue {
        transaction(block.block.transactions[index], sender: block.outcomes[index].sender, block: block, index: index)
    }

    public static func log(_ entry: LogEntry, removed: Bool = false) -> JSONValue {
        .object([
            "address": address(entry.log.address), "topics": .array(entry.log.topics.map(hash)),
            "data": .data(entry.log.data), "blockNumber": .quantity(entry.blockNumber),
            "blockHash": hash(entry.blockHash), "transactionHash": hash(entry.transactionHash),
            "transactionIndex": .quantity(UInt64(entry.transactionIndex)), "logIndex": .quantity(UInt64(entry.logIndex)),
            "removed": .bool(removed),
        ])
    }

    public static func receipt(_ info: TransactionReceiptInfo, blobBaseFee: U256?) -> JSONValue {
        var object: [String: JSONValue] = [
            "transactionHash": hash(info.transactionHash), "transactionIndex": .quantity(UInt64(info.transactionIndex)),
            "blockHash": hash(info.blockHash), "blockNumber": .quantity(info.blockNumber), "from": address(info.from),
            "to": info.to.map(address) ?? .null, "cumulativeGasUsed": .quantity(info.receipt.cumulativeGasUsed),
            "gasUsed": .quantity(info.gasUsed), "effectiveGasPrice": .quantity(info.effectiveGasPrice),
            "contractAddress": info.contractAddress.map(address) ?? .null,
            "logs": .array(info.logs.map { log($0) }), "logsBloom": .data(info.receipt.logsBloom.bytes),
            "type": .quantity(UInt64(info.receipt.type.rawValue)), "status": .quantity(UInt64(info.receipt.succeeded ? 1 : 0)),
        ]
        if info.blobGasUsed > 0 {
            object["blobGasUsed"] = .quantity(info.blobGasUsed)
            if let blobBaseFee { object["blobGasPrice"] = .quantity(blobBaseFee) }
        }
        return .object(object)
    }
}
