#!/usr/bin/env python3
"""Writes the OpenRPC 1.2.6 documents of Lockstep's four JSON-RPC APIs: Specs/openrpc/{l1,l2,builder,prover}.json.

The documents are the normative description of each method's parameters and answers; the prose pages beside them
(Specs/*-api.md) say what the methods mean. Both change in the same commit as the code. This script is how the
documents are written (one definition of the shared Ethereum shapes for the L1 and the L2); run it after editing,
`python3 Specs/openrpc/generate.py`, and commit its output. Tests/Interop/test_openrpc.py checks that the committed
documents are this script's output, that every server documents exactly the methods it serves (`rpc_methods`), and
that every answer the interop suites received validates against these schemas.
"""
import copy
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
VERSION = "1.0.0"


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema):
    return {"oneOf": [schema, {"type": "null"}]}


def obj(required, optional=None, extra=False):
    """An object with `required` and `optional` properties ({name: schema}); no others unless `extra`."""
    properties = dict(required)
    properties.update(optional or {})
    schema = {"type": "object", "properties": properties, "required": sorted(required)}
    if not extra:
        schema["additionalProperties"] = False
    return schema


def array(items, **limits):
    return {"type": "array", "items": items, **limits}


QUANTITY = {"title": "quantity", "type": "string", "pattern": "^0x(0|[1-9a-f][0-9a-f]*)$",
            "description": "An unsigned integer, hex without leading zeros. Requests may also give a decimal string or a JSON integer."}
SCHEMAS = {
    "Quantity": QUANTITY,
    "Data": {"title": "data", "type": "string", "pattern": "^0x([0-9a-fA-F]{2})*$", "description": "Bytes, hex with 0x."},
    "Bytes8": {"title": "8 bytes", "type": "string", "pattern": "^0x[0-9a-fA-F]{16}$"},
    "Bytes32": {"title": "32 bytes", "type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"},
    "Bytes65": {"title": "65 bytes (a signature r ‖ s ‖ v)", "type": "string", "pattern": "^0x[0-9a-fA-F]{130}$"},
    "Address": {"title": "address", "type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"},
    "BlockTag": {
        "title": "block",
        "description": "latest, pending, safe and finalized (all the head), earliest, a number, a block hash, or an EIP-1898 object.",
        "oneOf": [
            {"type": "string", "enum": ["latest", "pending", "safe", "finalized", "earliest"]},
            {"type": "string", "pattern": "^(0x[0-9a-fA-F]{1,64}|[0-9]+)$"},
            {"type": "integer", "minimum": 0},
            obj({"blockHash": ref("Bytes32")}, {"requireCanonical": {"type": "boolean"}}),
            obj({"blockNumber": {"oneOf": [ref("Quantity"), {"type": "integer", "minimum": 0}]}}),
        ],
    },
    "IntegerInput": {"title": "integer", "description": "A hex quantity, a decimal string or a JSON integer.",
                     "oneOf": [{"type": "string", "pattern": "^(0x[0-9a-fA-F]+|[0-9]+)$"}, {"type": "integer", "minimum": 0}]},
    "AccessList": array(obj({"address": ref("Address"), "storageKeys": array(ref("Bytes32"))})),
    "Authorization": obj({"chainId": ref("Quantity"), "address": ref("Address"), "nonce": ref("Quantity"),
                          "yParity": ref("Quantity"), "r": ref("Quantity"), "s": ref("Quantity")}),
    "CallRequest": obj({}, {
        "from": ref("Address"), "to": nullable(ref("Address")), "gas": ref("IntegerInput"), "gasPrice": ref("IntegerInput"),
        "maxFeePerGas": ref("IntegerInput"), "maxPriorityFeePerGas": ref("IntegerInput"), "value": ref("IntegerInput"),
        "data": ref("Data"), "input": ref("Data"), "nonce": ref("IntegerInput"), "chainId": ref("IntegerInput"),
        "type": ref("IntegerInput"), "accessList": ref("AccessList"), "maxFeePerBlobGas": ref("IntegerInput"),
        "blobVersionedHashes": array(ref("Bytes32")), "authorizationList": array(ref("Authorization")),
    }, extra=True),
    "Transaction": obj({
        "hash": ref("Bytes32"), "from": ref("Address"), "nonce": ref("Quantity"), "gas": ref("Quantity"),
        "value": ref("Quantity"), "input": ref("Data"), "to": nullable(ref("Address")), "type": ref("Quantity"),
        "v": ref("Quantity"), "r": ref("Quantity"), "s": ref("Quantity"), "gasPrice": ref("Quantity"),
        "blockHash": nullable(ref("Bytes32")), "blockNumber": nullable(ref("Quantity")),
        "transactionIndex": nullable(ref("Quantity")),
    }, {
        "chainId": ref("Quantity"), "maxFeePerGas": ref("Quantity"), "maxPriorityFeePerGas": ref("Quantity"),
        "yParity": ref("Quantity"), "accessList": ref("AccessList"), "maxFeePerBlobGas": ref("Quantity"),
        "blobVersionedHashes": array(ref("Bytes32")), "authorizationList": array(ref("Authorization")),
    }),
    "Withdrawal": obj({"index": ref("Quantity"), "validatorIndex": ref("Quantity"), "address": ref("Address"),
                       "amount": ref("Quantity")}),
    "Log": obj({
        "address": ref("Address"), "topics": array(ref("Bytes32"), maxItems=4), "data": ref("Data"),
        "blockNumber": ref("Quantity"), "blockHash": ref("Bytes32"), "transactionHash": ref("Bytes32"),
        "transactionIndex": ref("Quantity"), "logIndex": ref("Quantity"), "removed": {"type": "boolean"},
    }),
    "Receipt": obj({
        "transactionHash": ref("Bytes32"), "transactionIndex": ref("Quantity"), "blockHash": ref("Bytes32"),
        "blockNumber": ref("Quantity"), "from": ref("Address"), "to": nullable(ref("Address")),
        "cumulativeGasUsed": ref("Quantity"), "gasUsed": ref("Quantity"), "effectiveGasPrice": ref("Quantity"),
        "contractAddress": nullable(ref("Address")), "logs": array(ref("Log")), "logsBloom": ref("Data"),
        "type": ref("Quantity"), "status": {"type": "string", "enum": ["0x0", "0x1"]},
    }, {"blobGasUsed": ref("Quantity"), "blobGasPrice": ref("Quantity")}),
    "Proof": obj({
        "address": ref("Address"), "balance": ref("Quantity"), "nonce": ref("Quantity"), "codeHash": ref("Bytes32"),
        "storageHash": ref("Bytes32"), "accountProof": array(ref("Data")),
        "storageProof": array(obj({"key": ref("Bytes32"), "value": ref("Quantity"), "proof": array(ref("Data"))})),
    }),
    "SharedProofs": obj({
        "nodes": array(ref("Data")),
        "proofs": array(obj({
            "address": ref("Address"), "balance": ref("Quantity"), "nonce": ref("Quantity"), "codeHash": ref("Bytes32"),
            "storageHash": ref("Bytes32"), "accountProof": array({"type": "integer", "minimum": 0}),
            "storageProof": array(obj({"key": ref("Bytes32"), "value": ref("Quantity"),
                                       "proof": array({"type": "integer", "minimum": 0})})),
        })),
    }),
    "StateDiff": obj({
        "fromBlockHash": ref("Bytes32"), "toBlockHash": ref("Bytes32"),
        "accounts": array(obj({
            "address": ref("Address"), "exists": {"type": "boolean"}, "accountChanged": {"type": "boolean"},
            "storageCleared": {"type": "boolean"},
            "storage": {"type": "object", "propertyNames": {"pattern": "^0x[0-9a-f]{64}$"},
                        "additionalProperties": ref("Quantity")},
        }, {"balance": ref("Quantity"), "nonce": ref("Quantity"), "codeHash": ref("Bytes32")})),
    }),
    "FeeHistory": obj({"oldestBlock": ref("Quantity"), "baseFeePerGas": array(ref("Quantity")),
                       "gasUsedRatio": array({"type": "number", "minimum": 0})},
                      {"reward": array(array(ref("Quantity"))), "baseFeePerBlobGas": array(ref("Quantity")),
                       "blobGasUsedRatio": array({"type": "number", "minimum": 0})}),
    "Filter": obj({}, {"fromBlock": ref("BlockTag"), "toBlock": ref("BlockTag"), "blockHash": ref("Bytes32"),
                       "address": {"oneOf": [ref("Address"), array(ref("Address"))]},
                       "topics": array({"oneOf": [{"type": "null"}, ref("Bytes32"), array(ref("Bytes32"))]})}),
    "Syncing": {"oneOf": [{"type": "boolean", "const": False}, {"type": "object"}]},
}

BLOCK_REQUIRED = {
    "number": ref("Quantity"), "hash": ref("Bytes32"), "parentHash": ref("Bytes32"), "nonce": ref("Bytes8"),
    "sha3Uncles": ref("Bytes32"), "logsBloom": ref("Data"), "transactionsRoot": ref("Bytes32"),
    "stateRoot": ref("Bytes32"), "receiptsRoot": ref("Bytes32"), "miner": ref("Address"),
    "difficulty": ref("Quantity"), "totalDifficulty": ref("Quantity"), "extraData": ref("Data"),
    "size": ref("Quantity"), "gasLimit": ref("Quantity"), "gasUsed": ref("Quantity"), "timestamp": ref("Quantity"),
    "mixHash": ref("Bytes32"), "uncles": array(ref("Bytes32"), maxItems=0),
    "transactions": {"anyOf": [array(ref("Bytes32")), array(ref("Transaction"))]},
}
BLOCK_OPTIONAL = {
    "baseFeePerGas": ref("Quantity"), "withdrawalsRoot": ref("Bytes32"), "withdrawals": array(ref("Withdrawal")),
    "blobGasUsed": ref("Quantity"), "excessBlobGas": ref("Quantity"), "parentBeaconBlockRoot": ref("Bytes32"),
    "requestsHash": ref("Bytes32"),
}
L2_BLOCK_FIELDS = {
    "kind": {"type": "string", "enum": ["sequenced", "slotEnd", "based"]}, "l1AnchorNumber": ref("Quantity"),
    "l1AnchorHash": ref("Bytes32"), "inboxHash": ref("Bytes32"), "outboxRoot": ref("Bytes32"),
}


def param(name, schema, required=True, description=None):
    entry = {"name": name, "required": required, "schema": schema}
    if description:
        entry["description"] = description
    return entry


def method(name, summary, params, result_name, result, errors=None):
    entry = {"name": name, "summary": summary, "paramStructure": "by-position", "params": params,
             "result": {"name": result_name, "schema": result}}
    if errors:
        entry["errors"] = [{"code": code, "message": message} for code, message in errors]
    return entry


TRUE = {"type": "boolean", "const": True}
BLOCK = param("block", ref("BlockTag"), required=False, description="Default latest.")
ADDRESS = param("address", ref("Address"))
INVALID = (-32602, "invalid params: a parameter of the wrong type or form, named")
SERVER = (-32000, "the request cannot be served (the reason)")


def eth_methods(chain):
    """The eth_*, net_* and web3_* methods both chains serve (Sources/EthRPC)."""
    block = ref("Block")
    return [
        method("web3_clientVersion", "The server's name and version (lockstep/VERSION).", [], "version", {"type": "string"}),
        method("web3_sha3", "Keccak-256 of the data.", [param("data", ref("Data"))], "hash", ref("Bytes32"), [INVALID]),
        method("net_version", "The chain id, decimal.", [], "chainId", {"type": "string", "pattern": "^[0-9]+$"}),
        method("net_listening", "Always true.", [], "listening", {"type": "boolean"}),
        method("net_peerCount", "Always 0x0: there is no peer-to-peer network.", [], "peers", ref("Quantity")),
        method("eth_chainId", f"The chain id (the {chain}'s).", [], "chainId", ref("Quantity")),
        method("eth_syncing", "Always false.", [], "syncing", ref("Syncing")),
        method("eth_mining", "Always true.", [], "mining", {"type": "boolean"}),
        method("eth_hashrate", "Always 0x0.", [], "hashrate", ref("Quantity")),
        method("eth_accounts", "The development accounts the node signs for (empty unless in dev mode).", [],
               "accounts", array(ref("Address"))),
        method("eth_coinbase", "The fee recipient of the blocks the node makes.", [], "coinbase", ref("Address")),
        method("eth_blockNumber", "The head's number.", [], "number", ref("Quantity")),
        method("eth_gasPrice", "The next block's base fee plus 1 gwei.", [], "gasPrice", ref("Quantity")),
        method("eth_maxPriorityFeePerGas", "1 gwei.", [], "tip", ref("Quantity")),
        method("eth_blobBaseFee", "The next block's blob base fee.", [], "blobBaseFee", ref("Quantity")),
        method("eth_feeHistory", "Base fees, gas used ratios and gas-weighted tip percentiles of recent blocks.",
               [param("blockCount", ref("IntegerInput")), param("newestBlock", ref("BlockTag")),
                param("rewardPercentiles", array({"type": "number", "minimum": 0, "maximum": 100}), required=False)],
               "history", ref("FeeHistory"), [INVALID, SERVER]),
        method("eth_getBalance", "An account's balance.", [ADDRESS, BLOCK], "balance", ref("Quantity"), [INVALID, SERVER]),
        method("eth_getTransactionCount", "An account's nonce; at pending it counts pooled transactions.",
               [ADDRESS, BLOCK], "nonce", ref("Quantity"), [INVALID, SERVER]),
        method("eth_getCode", "An account's code.", [ADDRESS, BLOCK], "code", ref("Data"), [INVALID, SERVER]),
        method("eth_getStorageAt", "A storage slot's value as 32 bytes.",
               [ADDRESS, param("slot", ref("IntegerInput")), BLOCK], "value", ref("Bytes32"), [INVALID, SERVER]),
        method("eth_getProof", "EIP-1186: the account and storage proofs against the block's state root.",
               [ADDRESS, param("storageKeys", array(ref("IntegerInput"))), BLOCK], "proof", ref("Proof"),
               [INVALID, SERVER]),
        method("lockstep_getProofs",
               "eth_getProof for up to 1,000 accounts (10,000 storage keys) at one block in one call: every trie node "
               "once in nodes, each proof a list of indices into it.",
               [param("requests", array(obj({"address": ref("Address")},
                                            {"storageKeys": array(ref("IntegerInput"))}), maxItems=1000)), BLOCK],
               "proofs", ref("SharedProofs"), [INVALID, SERVER]),
        method("lockstep_getStateDiff",
               "What changed in the state from a block to a later one that descends from it (within the last 256 "
               "blocks, executed since the node started, with no anvil_set* edit in between): each touched account "
               "with its fields after the later block and the slots written.",
               [param("fromBlockHash", ref("Bytes32")), param("toBlockHash", ref("Bytes32"))],
               "diff", ref("StateDiff"), [INVALID, SERVER]),
        method("eth_call", "Runs a call on the block's state without keeping anything.",
               [param("transaction", ref("CallRequest")), BLOCK,
                param("stateOverrides", {"type": "object"}, required=False)],
               "output", ref("Data"), [INVALID, SERVER, (3, "execution reverted[: reason]; data = the revert bytes")]),
        method("eth_estimateGas", "The smallest gas limit with which the call succeeds (binary search).",
               [param("transaction", ref("CallRequest")), BLOCK], "gas", ref("Quantity"),
               [INVALID, SERVER, (3, "execution reverted[: reason]; data = the revert bytes")]),
        method("eth_sendRawTransaction", "Adds a signed transaction (network form) to the pool.",
               [param("transaction", ref("Data"))], "hash", ref("Bytes32"), [INVALID, SERVER]),
        method("eth_sendTransaction", "Signs with a development account (dev mode only) and adds to the pool.",
               [param("transaction", ref("CallRequest"))], "hash", ref("Bytes32"), [INVALID, SERVER]),
        method("eth_getTransactionByHash", "A transaction, pooled ones with null block fields; null if unknown.",
               [param("hash", ref("Bytes32"))], "transaction", nullable(ref("Transaction")), [INVALID]),
        method("eth_getTransactionByBlockNumberAndIndex", "A block's transaction by index; null if none.",
               [param("block", ref("BlockTag")), param("index", ref("IntegerInput"))], "transaction",
               nullable(ref("Transaction")), [INVALID]),
        method("eth_getTransactionByBlockHashAndIndex", "A block's transaction by index; null if none.",
               [param("blockHash", ref("Bytes32")), param("index", ref("IntegerInput"))], "transaction",
               nullable(ref("Transaction")), [INVALID]),
        method("eth_getTransactionReceipt", "A mined transaction's receipt; null if unknown or pending.",
               [param("hash", ref("Bytes32"))], "receipt", nullable(ref("Receipt")), [INVALID]),
        method("eth_getBlockByNumber", "A block; with true, its transactions in full. Null if unknown.",
               [param("block", ref("BlockTag")), param("fullTransactions", {"type": "boolean"}, required=False)],
               "block", nullable(block), [INVALID]),
        method("eth_getBlockByHash", "A block by hash; with true, its transactions in full. Null if unknown.",
               [param("blockHash", ref("Bytes32")), param("fullTransactions", {"type": "boolean"}, required=False)],
               "block", nullable(block), [INVALID]),
        method("eth_getBlockTransactionCountByNumber", "How many transactions a block holds; null if unknown.",
               [param("block", ref("BlockTag"))], "count", nullable(ref("Quantity")), [INVALID]),
        method("eth_getBlockTransactionCountByHash", "How many transactions a block holds; null if unknown.",
               [param("blockHash", ref("Bytes32"))], "count", nullable(ref("Quantity")), [INVALID]),
        method("eth_getUncleCountByBlockNumber", "Always 0x0.", [param("block", ref("BlockTag"))], "count",
               ref("Quantity")),
        method("eth_getUncleCountByBlockHash", "Always 0x0.", [param("blockHash", ref("Bytes32"))], "count",
               ref("Quantity")),
        method("eth_getLogs", "The logs matching a filter, over at most 10,000 blocks.",
               [param("filter", ref("Filter"))], "logs", array(ref("Log")), [INVALID, SERVER]),
        method("eth_subscribe", "WebSocket only: newHeads, logs (with a filter)"
               + (", handoffs (the slot-end handoffs)" if chain == "L2" else "")
               + "; notifications are eth_subscription messages.",
               [param("kind", {"type": "string", "enum": ["newHeads", "logs"] + (["handoffs"] if chain == "L2" else [])}),
                param("filter", ref("Filter"), required=False)],
               "subscription", ref("Quantity"), [INVALID, SERVER]),
        method("eth_unsubscribe", "Ends a subscription of this connection.", [param("subscription", ref("Quantity"))],
               "removed", {"type": "boolean"}, [INVALID]),
    ]


RPC_METHODS = method("rpc_methods", "The names of the methods this server answers, sorted (every server has it).",
                     [], "methods", array({"type": "string"}))


def document(title, description, methods, schemas):
    components = copy.deepcopy(SCHEMAS)
    components.update(schemas)
    return {
        "openrpc": "1.2.6",
        "info": {"title": title, "version": VERSION, "description": description,
                 "license": {"name": "see the repository"}},
        "methods": sorted(methods + [RPC_METHODS], key=lambda entry: entry["name"]),
        "components": {"schemas": components},
    }


def l1():
    test = [
        method("evm_mine", "Mines a block now (with the given timestamp), whatever the block mode.",
               [param("timestamp", ref("IntegerInput"), required=False)], "ok", {"type": "string", "const": "0x0"}),
        method("evm_snapshot", "Saves the chain; evm_revert goes back to it.", [], "id", ref("Quantity")),
        method("evm_revert", "Goes back to a snapshot (and forgets it and later ones).", [param("id", ref("IntegerInput"))],
               "reverted", {"type": "boolean"}),
        method("evm_increaseTime", "Moves the next block's timestamp forward; answers the total offset.",
               [param("seconds", ref("IntegerInput"))], "offset", ref("Quantity")),
        method("evm_setNextBlockTimestamp", "The next block's timestamp.", [param("timestamp", ref("IntegerInput"))],
               "ok", {"type": "null"}),
    ]
    for prefix in ("anvil", "hardhat"):
        test += [
            method(f"{prefix}_mine", "Mines n blocks (default 1, at most 10,000).",
                   [param("count", ref("IntegerInput"), required=False)], "ok", {"type": "null"}),
            method(f"{prefix}_setBalance", "Sets an account's balance.", [ADDRESS, param("balance", ref("IntegerInput"))],
                   "ok", TRUE),
            method(f"{prefix}_setNonce", "Sets an account's nonce.", [ADDRESS, param("nonce", ref("IntegerInput"))],
                   "ok", TRUE),
            method(f"{prefix}_setCode", "Sets an account's code (at most 98,304 bytes).", [ADDRESS, param("code", ref("Data"))],
                   "ok", TRUE),
            method(f"{prefix}_setStorageAt", "Sets a storage slot.",
                   [ADDRESS, param("slot", ref("IntegerInput")), param("value", ref("IntegerInput"))], "ok", TRUE),
        ]
    test.append(method("anvil_setCoinbase", "The fee recipient of the next blocks.", [ADDRESS], "ok", TRUE))
    bundle = obj({"txs": array(ref("Data"), maxItems=100)},
                 {"blockNumber": ref("IntegerInput"), "minTimestamp": ref("IntegerInput"),
                  "maxTimestamp": ref("IntegerInput"), "revertingTxHashes": array(ref("Bytes32")),
                  "stateBlockNumber": ref("BlockTag"), "timestamp": ref("IntegerInput"),
                  "replacementUuid": {"type": "string"}}, extra=True)
    call_result = obj({"txHash": ref("Bytes32"), "gasUsed": {"type": "integer"}, "fromAddress": ref("Address"),
                       "toAddress": nullable(ref("Address")), "gasPrice": {"type": "string"},
                       "gasFees": {"type": "string"}, "coinbaseDiff": {"type": "string"},
                       "ethSentToCoinbase": {"type": "string"}},
                      {"value": ref("Data"), "error": {"type": "string"}, "revert": {"type": "string"}})
    bundles = [
        method("eth_sendBundle", "A Flashbots bundle for one block: all of it lands first in that block, in order, or none.",
               [param("bundle", bundle)], "result", obj({"bundleHash": ref("Bytes32")}), [INVALID, SERVER]),
        method("eth_callBundle", "Simulates a Flashbots bundle on a block's state, in the shape Flashbots answers.",
               [param("bundle", bundle)], "result",
               obj({"bundleHash": ref("Bytes32"), "bundleGasPrice": {"type": "string"},
                    "coinbaseDiff": {"type": "string"}, "ethSentToCoinbase": {"type": "string"},
                    "gasFees": {"type": "string"}, "results": array(call_result),
                    "stateBlockNumber": {"type": "integer"}, "totalGasUsed": {"type": "integer"}}),
               [INVALID, SERVER]),
        method("lockstep_forkStatus", "The upstream of a forked chain and its counters; null for a chain from a genesis.",
               [], "status", nullable(obj({"url": {"type": "string"}, "blockNumber": ref("Quantity"),
                                          "blockHash": ref("Bytes32"), "remoteReads": ref("Quantity"),
                                          "proofRequests": ref("Quantity"), "siblingSearches": ref("Quantity")}))),
    ]
    return document(
        "Lockstep L1 devnet (lockstep l1)",
        "The harness L1: the eth_* API, Flashbots bundles, anvil-style test methods. Specs/l1-devnet-api.md says what "
        "each answers and where it differs from geth and anvil.",
        eth_methods("L1") + test + bundles,
        {"Block": obj(BLOCK_REQUIRED, BLOCK_OPTIONAL)})


def l2():
    domain = obj({"name": {"type": "string"}, "version": {"type": "string"}, "chainId": ref("Quantity"),
                  "verifyingContract": ref("Address")})
    own = [
        method("lockstep_getCertificate", "The sequencer's EIP-712 certificate of a block; null if none.",
               [param("block", ref("BlockTag"))], "certificate",
               nullable(obj({"blockNumber": ref("Quantity"), "blockHash": ref("Bytes32"), "l2ChainId": ref("Quantity"),
                             "signature": ref("Bytes65"), "sequencer": ref("Address"), "domain": domain})), [INVALID]),
        method("lockstep_getHandoff", "The handoff of the current slot-end block, or the last one signed; null before any.",
               [], "handoff", nullable(ref("Handoff"))),
        method("lockstep_getWithdrawalProof", "Where a withdrawal stands, with its outbox proof once settled; null if unknown.",
               [param("withdrawalId", ref("Bytes32"))], "proof",
               nullable(obj({"withdrawalId": ref("Bytes32"), "l2BlockNumber": ref("Quantity"),
                             "l2BlockHash": ref("Bytes32"), "kind": {"type": "string", "enum": ["sequenced", "slotEnd", "based"]},
                             "settled": {"type": "boolean"}},
                            {"rangeEndHash": ref("Bytes32"), "outboxRoot": ref("Bytes32"), "index": ref("Quantity"),
                             "proof": array(ref("Bytes32")), "l1BlockNumber": ref("Quantity")})), [INVALID, SERVER]),
        method("lockstep_l2Status", "The chain, its head, its pool and its L1 anchor.", [], "status",
               obj({"chainId": ref("Quantity"), "sequencer": nullable(ref("Address")),
                    "head": obj({"number": ref("Quantity"), "hash": ref("Bytes32"), "stateRoot": ref("Bytes32"),
                                 "timestamp": ref("Quantity")}),
                    "pending": ref("Quantity"), "l1Anchor": nullable(obj({"number": ref("Quantity"), "hash": ref("Bytes32")})),
                    "rollup": nullable(ref("Address")), "l1ChainId": nullable(ref("Quantity"))})),
        method("lockstep_devnetInfo", "Only on a `lockstep devnet`'s L2: the harness's endpoints, chains, contracts, ABIs "
               "and development keys (what devnet.json holds).", [], "info", {"type": "object"}),
    ]
    block = obj(BLOCK_REQUIRED, {**BLOCK_OPTIONAL, **L2_BLOCK_FIELDS, "certificate": ref("Bytes65")})
    handoff = obj({"l2ChainId": ref("Quantity"), "l2BlockNumber": ref("Quantity"), "l2BlockHash": ref("Bytes32"),
                   "l2StateRoot": ref("Bytes32"), "l1TargetBlockNumber": ref("Quantity"), "l1ParentHash": ref("Bytes32"),
                   "signature": ref("Bytes65")})
    return document(
        "Lockstep L2 node (lockstep l2)",
        "The L2 sequencer's API: the eth_* API with the rollup's block fields, certificates, handoffs, withdrawal "
        "proofs. Specs/l2-api.md says what each answers; protocol.md defines the objects.",
        eth_methods("L2") + own, {"Block": block, "Handoff": handoff})


def builder():
    bundle = obj({}, {"l1Before": array(ref("Data")), "l2": array(ref("Data")), "l1After": array(ref("Data")),
                      "blockNumber": ref("IntegerInput"), "minTimestamp": ref("IntegerInput"),
                      "maxTimestamp": ref("IntegerInput"), "revertingTxHashes": array(ref("Bytes32")),
                      "replacementUuid": {"type": "string"}, "replacementNonce": ref("IntegerInput")})
    status = obj({"bundleHash": ref("Bytes32"),
                  "status": {"type": "string", "enum": ["received", "simulated", "rejected", "selected", "submitted",
                                                        "landed", "notLanded", "cancelled", "replaced"]},
                  "blockNumber": ref("Quantity"), "receivedAt": {"type": "integer"}, "updatedAt": {"type": "integer"}},
                 {"searcher": ref("Address"), "replacementUuid": {"type": "string"},
                  "replacementNonce": ref("Quantity"), "reason": {"type": "string"}, "value": ref("Quantity")})
    simulated = obj({"txHash": ref("Bytes32"), "fromAddress": ref("Address"), "toAddress": nullable(ref("Address")),
                     "gasUsed": ref("Quantity")},
                    {"error": {"type": "string"}, "revert": ref("Data")})
    simulation = obj({"bundleHash": ref("Bytes32"), "blockNumber": ref("Quantity"), "l1Before": array(simulated),
                      "deposits": ref("Quantity"), "l2": array(simulated), "l1After": array(simulated),
                      "l2Value": ref("Quantity"), "l1Value": ref("Quantity"), "value": ref("Quantity"),
                      "ok": {"type": "boolean"}},
                     {"submission": simulated,
                      "basedBlock": obj({"number": ref("Quantity"), "hash": ref("Bytes32"), "stateRoot": ref("Bytes32")}),
                      "failure": obj({"layer": {"type": "string", "enum": ["l1Before", "l2", "submission", "l1After",
                                                                            "proofs"]},
                                      "reason": {"type": "string"}}, {"txHash": ref("Bytes32")})})
    methods = [
        method("lockstep_sendBundle", "Takes a cross-layer bundle (protocol.md §9.1), on disk before the answer; "
               "replaces or cancels by replacementUuid.", [param("bundle", ref("Bundle"))], "result",
               obj({"bundleHash": nullable(ref("Bytes32"))}, {"replaced": ref("Bytes32"), "cancelled": ref("Bytes32")}),
               [INVALID, SERVER, (-32600, "X-Flashbots-Signature does not match the body and address")]),
        method("lockstep_callBundle", "The joint simulation of a bundle on the current handoff, per layer and "
               "transaction; nothing is kept.", [param("bundle", ref("Bundle"))], "simulation",
               simulation,
               [INVALID, SERVER]),
        method("lockstep_cancelBundle", "Cancels the searcher's active bundle with this replacementUuid (signed).",
               [param("cancellation", obj({"replacementUuid": {"type": "string"}}))], "result",
               obj({"cancelled": ref("Bytes32")}), [INVALID, SERVER]),
        method("lockstep_getBundleStatus", "A bundle's status; null for an unknown hash. A signed bundle's status is "
               "its searcher's only.", [param("bundle", {"oneOf": [ref("Bytes32"), obj({"bundleHash": ref("Bytes32")})]})],
               "status", nullable(status), [INVALID, SERVER]),
    ]
    return document(
        "Lockstep builder (lockstep builder)",
        "Cross-layer bundle intake, joint simulation and statuses. Specs/builder-api.md says what each answers; "
        "requests may carry X-Flashbots-Signature (the searcher's identity).",
        methods, {"Bundle": bundle})


def prover():
    request = obj({"mode": {"type": "string", "enum": ["based", "settlement"]}, "blockData": ref("Data"),
                   "executeProof": ref("Data"), "l1BlockNumber": ref("IntegerInput"), "l1ParentHash": ref("Bytes32"),
                   "submitter": ref("Address")}, {"publicInputsHash": ref("Bytes32")})
    domain = obj({"name": {"type": "string"}, "version": {"type": "string"}, "chainId": ref("Quantity"),
                  "verifyingContract": ref("Address")})
    methods = [
        method("prover_prove", "Re-executes the blocks statelessly and signs the public inputs (attestation provers).",
               [param("request", ref("ProveRequest"))], "attestation",
               obj({"publicInputsHash": ref("Bytes32"), "signature": ref("Bytes65"), "prover": ref("Address"),
                    "blockNumber": ref("Quantity"), "blockHash": ref("Bytes32"), "postStateRoot": ref("Bytes32")}),
               [INVALID, (-32000, "refused: <reason>")]),
        method("zk_prove", "Only `lockstep prove --external-test`: the same checks, then a signature standing in for a "
               "zk proof (notAProof says so).", [param("request", ref("ProveRequest"))], "proof",
               obj({"publicInputsHash": ref("Bytes32"), "system": {"type": "string", "const": "0x2"},
                    "proof": ref("Data"), "prover": ref("Address"),
                    "notAProof": {"type": "string", "description": "What the proof really is."}}),
               [INVALID, (-32000, "refused: <reason>")]),
        method("prover_info", "Who the prover is, what it signs for, and its counters.", [], "info",
               obj({"prover": ref("Address"), "kind": {"type": "string"}, "l2ChainId": ref("Quantity"),
                    "domain": domain, "signed": ref("Quantity"), "refused": ref("Quantity")})),
    ]
    return document(
        "Lockstep prover (lockstep prove)",
        "The attestation prover (and, with --external-test, the external-proof stand-in). Specs/prover-api.md says "
        "what each answers.", methods, {"ProveRequest": request})


DOCUMENTS = {"l1": l1, "l2": l2, "builder": builder, "prover": prover}


def render(name):
    return json.dumps(DOCUMENTS[name](), indent=2, ensure_ascii=False) + "\n"


def main():
    for name in DOCUMENTS:
        (HERE / f"{name}.json").write_text(render(name))
        print(f"wrote Specs/openrpc/{name}.json")


if __name__ == "__main__":
    main()
