#!/usr/bin/env python3
"""Writes the fuzzing seed corpus, Tests/Fuzz/corpus/<target>/, from the protocol's vectors (Specs/vectors) and
transactions signed here with eth-account. The corpus is committed; run this again (.venv/bin/python
Tests/Fuzz/make_seeds.py) only to change it. Files are named by the SHA-1 of their content, as libFuzzer names them.
"""
import hashlib
import json
import pathlib

from eth_account import Account

ROOT = pathlib.Path(__file__).resolve().parents[2]
CORPUS = ROOT / "Tests" / "Fuzz" / "corpus"
VECTORS = ROOT / "Specs" / "vectors"
L1, L2 = 31337, 313370
# The development accounts 0 and 1 (the well-known Hardhat/anvil keys).
KEYS = ["0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c7e8cb5d8f9b2e9e0e6d5ea6eb3ee3e3e4f6f1c6b7d1e4aa2e7d5e9e2b1c33"]
KEYS[1] = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
TO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def unhex(text):
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)


def signed(chain, nonce, kind, key=0, data=b""):
    tx = {"chainId": chain, "nonce": nonce, "to": TO, "value": 1, "gas": 50_000, "data": data}
    if kind == 0:
        tx["gasPrice"] = 2_000_000_000
    elif kind == 1:
        tx.update(gasPrice=2_000_000_000, accessList=[{"address": TO, "storageKeys": ["0x" + "00" * 31 + "01"]}])
    else:
        tx.update(maxFeePerGas=3_000_000_000, maxPriorityFeePerGas=1_000_000_000)
    return bytes(Account.sign_transaction(tx, KEYS[key]).raw_transaction)


def main():
    # rlp: the smallest forms of each kind, a long string and a long list, and real protocol encodings.
    for text in ["80", "00", "7f", "8180", "c0", "c3c2c180", "83646f67", "c88363617483646f67", "b838" + "61" * 56,
                 "f83a" + "b838" + "61" * 56, "820400"]:
        write("rlp", unhex(text))
    headers = json.loads((VECTORS / "l2-headers.json").read_text())["vectors"]
    for vector in headers:
        write("rlp", unhex(vector["rlp"]))
        write("l2header", unhex(vector["rlp"]))
    execute = json.loads((VECTORS / "execute.json").read_text())
    for field in ("parentHeader", "blockData"):
        write("l2header", unhex(execute[field]))
        write("rlp", unhex(execute[field]))
    write("execute", unhex(execute["input"]))
    # Near misses: the input cut short, and the parent state root changed (both must fail, not crash).
    write("execute", unhex(execute["input"])[:-7])
    write("execute", unhex(execute["input"])[:32] + bytes(32) + unhex(execute["input"])[64:])
    write("rlp", unhex(execute["proof"]))

    # transaction: every type eth-account signs, on both chains, with and without data.
    for kind in (0, 1, 2):
        for chain in (L1, L2):
            write("transaction", signed(chain, kind, kind))
        write("transaction", signed(L1, 7, kind, data=bytes(range(40))))
    for vector in json.loads((VECTORS / "bundles.json").read_text())["vectors"]:
        for leg in ("l1Before", "l2", "l1After"):
            for item in vector[leg]:
                write("transaction", unhex(item["raw"]))

    # bundle: the spec's vectors as sendBundle objects, and a few with the optional fields.
    for vector in json.loads((VECTORS / "bundles.json").read_text())["vectors"]:
        bundle = {leg: [item["raw"] for item in vector[leg]] for leg in ("l1Before", "l2", "l1After")}
        bundle["blockNumber"] = "0x10"
        write("bundle", json.dumps(bundle))
    l1, l2 = signed(L1, 0, 2), signed(L2, 0, 2, key=1)
    write("bundle", json.dumps({"l1Before": ["0x" + l1.hex()], "l2": ["0x" + l2.hex()], "blockNumber": 17,
                                "minTimestamp": "0x0", "maxTimestamp": 1_900_000_000,
                                "revertingTxHashes": ["0x" + hashlib.sha3_256(l2).hexdigest()],
                                "replacementUuid": "0b6f0b8e-3a4a-4b8c-9d2e-1f2a3b4c5d6e"}))
    write("bundle", json.dumps({"l2": [], "blockNumber": "0x11", "replacementUuid": "u-1", "replacementNonce": 2}))

    # jsonrpc: a call of each kind the devnet L1 answers, a batch, notifications and a signed eth_sendBundle.
    def call(method, params, ident=1):
        return {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}
    dev0 = Account.from_key(KEYS[0]).address
    calls = [
        call("eth_blockNumber", []), call("eth_chainId", []), call("eth_getBalance", [dev0, "latest"]),
        call("eth_getTransactionCount", [dev0, "pending"]), call("eth_getCode", [TO, "0x0"]),
        call("eth_getStorageAt", [TO, "0x0", "latest"]), call("eth_getBlockByNumber", ["latest", True]),
        call("eth_call", [{"from": dev0, "to": TO, "data": "0x70a08231"}, "latest"]),
        call("eth_estimateGas", [{"from": dev0, "to": TO, "value": "0x1"}]),
        call("eth_feeHistory", ["0x4", "latest", [25, 75]]), call("eth_getLogs", [{"fromBlock": "0x0"}]),
        call("eth_getProof", [dev0, ["0x0"], "latest"]), call("eth_sendRawTransaction", ["0x" + signed(L1, 0, 2).hex()]),
        call("evm_mine", []), call("evm_snapshot", []), call("evm_revert", ["0x1"]), call("anvil_mine", ["0x2"]),
        call("eth_getTransactionReceipt", ["0x" + "11" * 32]), call("web3_sha3", ["0x68656c6c6f"]),
        call("eth_sendBundle", [{"txs": ["0x" + signed(L1, 0, 2).hex()], "blockNumber": "0x2"}]),
        call("eth_callBundle", [{"txs": ["0x" + signed(L1, 0, 2).hex()], "blockNumber": "0x1",
                                 "stateBlockNumber": "latest"}]),
        call("anvil_setBalance", [TO, "0xde0b6b3a7640000"]), call("evm_setNextBlockTimestamp", ["0x6fffffff"]),
    ]
    for item in calls:
        write("jsonrpc", json.dumps(item))
    write("jsonrpc", json.dumps(calls[:4]))
    write("jsonrpc", json.dumps({"jsonrpc": "2.0", "method": "eth_blockNumber", "params": []}))
    write("jsonrpc", '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":{"a":1}}')
    body = json.dumps(call("eth_sendBundle", [{"txs": ["0x" + signed(L1, 1, 2).hex()], "blockNumber": "0x3"}]))
    from eth_account.messages import encode_defunct
    from eth_utils import keccak
    message = encode_defunct(text="0x" + keccak(text=body).hex().removeprefix("0x"))
    signature = Account.sign_message(message, KEYS[0]).signature.hex()
    write("jsonrpc", f"X-Flashbots-Signature: {dev0}:0x{signature.removeprefix('0x')}\n{body}")
    write("jsonrpc", f"X-Flashbots-Signature: {dev0}:0x{'00' * 65}\n{body}")


if __name__ == "__main__":
    main()
