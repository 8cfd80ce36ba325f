"""The L1 devnet (`lockstep l1`) driven the way its users drive it: web3.py, eth-account, a Vyper contract, the
Flashbots Python client, raw HTTP and a WebSocket subscription."""
import json
import os
import sys
import tempfile
import time
import urllib.request

import pytest
import rlp
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import Web3

# flashbots 2.0.0 imports eth-account's typed transactions from their pre-0.13 location.
import eth_account.typed_transactions as _typed_transactions
sys.modules.setdefault("eth_account._utils.typed_transactions", _typed_transactions)
from flashbots import flashbot  # noqa: E402

from ethproof import verify_proof  # noqa: E402
from l1node import L1Node  # noqa: E402

MNEMONIC = "test test test test test test test test test test test junk"
Account.enable_unaudited_hdwallet_features()
ACCOUNTS = [Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(10)]
CHAIN_ID = 31337
GWEI = 10**9


@pytest.fixture(scope="module")
def node():
    with tempfile.TemporaryDirectory() as data_dir:
        running = L1Node("--slot-time", "0", data_dir=data_dir)
        yield running
        running.stop()


@pytest.fixture(scope="module")
def w3(node):
    return Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))


@pytest.fixture(scope="module")
def store_contract():
    from vyper import compile_code
    with open(os.path.join(os.path.dirname(__file__), "contracts/Store.vy")) as source:
        output = compile_code(source.read(), output_formats=["bytecode", "abi"])
    return output["abi"], output["bytecode"]


def send(w3, account, tx):
    """Fills the usual fields, signs with eth-account, sends raw, waits for the receipt."""
    tx = dict(tx)
    tx.setdefault("chainId", CHAIN_ID)
    tx.setdefault("nonce", w3.eth.get_transaction_count(account.address, "pending"))
    if "gasPrice" not in tx:
        tx.setdefault("maxFeePerGas", 10 * GWEI)
        tx.setdefault("maxPriorityFeePerGas", GWEI)
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas({k: v for k, v in tx.items() if k in ("from", "to", "value", "data")}
                                        | {"from": account.address})
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)


def rpc(url, payload, raw=False):
    data = payload if raw else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_chain_and_development_accounts(w3):
    assert w3.eth.chain_id == CHAIN_ID
    assert w3.is_connected()
    assert w3.eth.accounts == [a.address for a in ACCOUNTS]
    for account in ACCOUNTS:
        assert w3.eth.get_balance(account.address) >= 9_000 * 10**18
    genesis = w3.eth.get_block(0)
    assert genesis["number"] == 0 and genesis["baseFeePerGas"] == GWEI
    assert "requestsHash" in w3.provider.make_request("eth_getBlockByNumber", ["0x0", False])["result"]
    for system in ("0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02", "0x0000F90827F1C53a10cb7A02335B175320002935",
                   "0x00000961Ef480Eb55e80D19ad83579A64c007002", "0x0000BBdDc7CE488642fb579F8B00f3a590007251"):
        assert len(w3.eth.get_code(system)) > 0


def test_vyper_contract_deploy_call_events_and_revert(w3, store_contract):
    abi, bytecode = store_contract
    owner = ACCOUNTS[0]
    factory = w3.eth.contract(abi=abi, bytecode=bytecode)
    deploy = factory.constructor(7).build_transaction({"from": owner.address, "nonce": w3.eth.get_transaction_count(owner.address, "pending"),
                                                      "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "chainId": CHAIN_ID})
    receipt = send(w3, owner, deploy)
    assert receipt["status"] == 1 and receipt["contractAddress"]
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=abi)
    assert contract.functions.value().call() == 7
    assert contract.functions.owner().call() == owner.address

    tx = contract.functions.store(42).build_transaction({"from": owner.address, "nonce": w3.eth.get_transaction_count(owner.address, "pending"),
                                                         "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "chainId": CHAIN_ID})
    receipt = send(w3, owner, tx)
    assert receipt["status"] == 1
    events = contract.events.Stored().process_receipt(receipt)
    assert len(events) == 1 and events[0]["args"]["value"] == 42 and events[0]["args"]["setter"] == owner.address
    assert contract.functions.value().call() == 42
    block = w3.eth.get_block(receipt["blockNumber"])
    assert receipt["transactionHash"] in block["transactions"]

    # Logs by address and by indexed topic.
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": contract.address})
    assert len(logs) == 1 and logs[0]["transactionHash"] == receipt["transactionHash"]
    topic = "0x" + "00" * 12 + owner.address[2:].lower()
    by_topic = w3.eth.get_logs({"fromBlock": receipt["blockNumber"], "topics": [None, topic]})
    assert [log["logIndex"] for log in by_topic] == [0]
    assert w3.eth.get_logs({"fromBlock": 0, "topics": [None, "0x" + "11" * 32]}) == []

    # A revert: eth_call and estimate_gas report the reason; a mined reverting transaction has status 0.
    from web3.exceptions import ContractLogicError
    with pytest.raises(ContractLogicError, match="unlucky number"):
        contract.functions.store(13).call({"from": owner.address})
    with pytest.raises(ContractLogicError, match="unlucky number"):
        contract.functions.store(13).estimate_gas({"from": owner.address})
    tx = contract.functions.store(13).build_transaction({"from": owner.address, "gas": 100_000, "nonce": w3.eth.get_transaction_count(owner.address, "pending"),
                                                         "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "chainId": CHAIN_ID})
    assert send(w3, owner, tx)["status"] == 0
    assert contract.functions.value().call() == 42


def test_every_transaction_type(w3):
    sender, receiver = ACCOUNTS[1], ACCOUNTS[9].address
    start = w3.eth.get_balance(receiver)
    legacy = send(w3, sender, {"to": receiver, "value": 1, "gas": 21_000, "gasPrice": 5 * GWEI})
    access_list = send(w3, sender, {"to": receiver, "value": 2, "gas": 30_000, "gasPrice": 5 * GWEI,
                                    "accessList": [{"address": receiver, "storageKeys": ["0x" + "00" * 32]}]})
    dynamic = send(w3, sender, {"type": 2, "to": receiver, "value": 3, "gas": 21_000})
    assert [legacy["type"], access_list["type"], dynamic["type"]] == [0, 1, 2]
    assert all(r["status"] == 1 for r in (legacy, access_list, dynamic))
    assert w3.eth.get_balance(receiver) == start + 6
    fetched = w3.eth.get_transaction(access_list["transactionHash"])
    assert fetched["accessList"][0]["address"] == receiver

    # EIP-7702: an authorization signed by eth-account delegates the authority's code.
    authority = ACCOUNTS[2]
    delegate = "0x" + "42" * 20
    nonce = w3.eth.get_transaction_count(authority.address, "pending")
    auth = authority.sign_authorization({"chainId": CHAIN_ID, "address": delegate, "nonce": nonce + 1})
    receipt = send(w3, authority, {"type": 4, "to": receiver, "value": 0, "gas": 100_000, "authorizationList": [auth]})
    assert receipt["status"] == 1 and receipt["type"] == 4
    assert bytes(w3.eth.get_code(authority.address)) == bytes.fromhex("ef0100") + bytes.fromhex("42" * 20)

    # EIP-4844: a blob transaction in its network form (eth-account computes commitments and proofs).
    blob = b"\x00" * (4096 * 32)
    tx = {"type": 3, "chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
          "to": receiver, "value": 0, "gas": 21_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI,
          "maxFeePerBlobGas": 10 * GWEI}
    signed = sender.sign_transaction(tx, blobs=[blob])
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30)
    blob_gas = receipt["blobGasUsed"]  # web3 6.11 leaves this newer field as a hex string
    assert receipt["status"] == 1 and receipt["type"] == 3 and int(blob_gas, 16) if isinstance(blob_gas, str) else blob_gas == 131072
    assert len(w3.eth.get_transaction(receipt["transactionHash"])["blobVersionedHashes"]) == 1


def test_pool_rules(w3):
    account = ACCOUNTS[3]
    nonce = w3.eth.get_transaction_count(account.address)
    stale = account.sign_transaction({"chainId": CHAIN_ID, "nonce": max(nonce - 1, 0) if nonce else 0, "to": ACCOUNTS[0].address,
                                      "value": 1, "gas": 21_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI})
    if nonce == 0:
        send(w3, account, {"to": ACCOUNTS[0].address, "value": 1, "gas": 21_000})
    with pytest.raises(Exception, match="nonce too low"):
        w3.eth.send_raw_transaction(stale.raw_transaction)
    wrong_chain = account.sign_transaction({"chainId": 1, "nonce": w3.eth.get_transaction_count(account.address), "to": ACCOUNTS[0].address,
                                            "value": 1, "gas": 21_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI})
    with pytest.raises(Exception, match="chain id"):
        w3.eth.send_raw_transaction(wrong_chain.raw_transaction)
    too_rich = account.sign_transaction({"chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(account.address), "to": ACCOUNTS[0].address,
                                         "value": 10**30, "gas": 21_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI})
    with pytest.raises(Exception, match="insufficient funds"):
        w3.eth.send_raw_transaction(too_rich.raw_transaction)
    low_gas = account.sign_transaction({"chainId": CHAIN_ID, "nonce": w3.eth.get_transaction_count(account.address), "to": ACCOUNTS[0].address,
                                        "value": 1, "gas": 20_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI})
    with pytest.raises(Exception, match="intrinsic gas"):
        w3.eth.send_raw_transaction(low_gas.raw_transaction)
    with pytest.raises(Exception):
        w3.eth.send_raw_transaction(b"\x02\xc0garbage")


def test_blob_sidecar_proofs_are_verified(w3):
    """The pool checks each blob's KZG proof in a version-0 (EIP-4844) sidecar, computed here by c-kzg-4844 with the
    mainnet trusted setup eth-account ships; a sidecar whose blob, proof or field elements were tampered with is
    refused with the reason, and nothing is pooled."""
    import ckzg
    import eth_account
    setup = os.path.join(os.path.dirname(eth_account.__file__), "typed_transactions", "blob_transactions",
                         "kzg_trusted_setup.txt")
    trusted_setup = ckzg.load_trusted_setup(setup, 0)
    sender = ACCOUNTS[4]
    modulus = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
    blobs = [b"".join(((i * 7919 + k) ** 3 % modulus).to_bytes(32, "big") for i in range(4096)) for k in (1, 2)]
    commitments = [ckzg.blob_to_kzg_commitment(blob, trusted_setup) for blob in blobs]
    proofs = [ckzg.compute_blob_kzg_proof(blob, c, trusted_setup) for blob, c in zip(blobs, commitments)]
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    tx = {"type": 3, "chainId": CHAIN_ID, "nonce": nonce, "to": ACCOUNTS[0].address, "value": 0, "gas": 21_000,
          "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "maxFeePerBlobGas": 10 * GWEI}
    # eth-account signs the payload and wraps it with version-1 cell proofs; keep the signed payload only.
    body = rlp.decode(bytes(sender.sign_transaction(tx, blobs=blobs).raw_transaction)[1:])[0]

    def network_form(blob_list, proof_list):
        return b"\x03" + rlp.encode([body, blob_list, commitments, proof_list])

    def refused(raw_tx, reason):
        with pytest.raises(Exception, match=reason):
            w3.eth.send_raw_transaction(raw_tx)

    refused(network_form(blobs, [proofs[1], proofs[0]]), "blob 0: KZG proof does not verify")
    changed = bytearray(blobs[1])
    changed[32 * 5 + 31] ^= 1
    refused(network_form([blobs[0], bytes(changed)], proofs), "blob 1: KZG proof does not verify")
    non_canonical = b"\xff" * 32 + blobs[0][32:]
    refused(network_form([non_canonical, blobs[1]], proofs), "blob 0: blob field element 0 is not below the BLS modulus")
    refused(network_form(blobs, [b"\x00" * 48, proofs[1]]), "blob 0: proof is not a valid compressed G1 point")
    assert w3.eth.get_transaction_count(sender.address, "pending") == nonce  # nothing was pooled

    tx_hash = w3.eth.send_raw_transaction(network_form(blobs, proofs))
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1 and receipt["type"] == 3
    assert len(w3.eth.get_transaction(tx_hash)["blobVersionedHashes"]) == 2


def test_blob_cell_proofs_are_verified(w3, node):
    """eth-account sends blob transactions with version-1 sidecars (EIP-7594: 128 cell proofs per blob); the pool
    extends each blob and checks every cell proof, refusing a sidecar with swapped or broken proofs."""
    sender = ACCOUNTS[5]
    modulus = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
    blobs = [b"".join(((i * 104729 + k) ** 5 % modulus).to_bytes(32, "big") for i in range(4096)) for k in (3, 4)]
    nonce = w3.eth.get_transaction_count(sender.address, "pending")
    tx = {"type": 3, "chainId": CHAIN_ID, "nonce": nonce, "to": ACCOUNTS[0].address, "value": 0, "gas": 21_000,
          "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "maxFeePerBlobGas": 10 * GWEI}
    raw = bytes(sender.sign_transaction(tx, blobs=blobs).raw_transaction)
    body, version, sidecar_blobs, commitments, proofs = rlp.decode(raw[1:])
    assert version == b"\x01" and len(proofs) == 256

    def network_form(proof_list):
        return b"\x03" + rlp.encode([body, version, sidecar_blobs, commitments, proof_list])

    swapped = list(proofs)
    swapped[10], swapped[200] = swapped[200], swapped[10]
    with pytest.raises(Exception, match="KZG cell proofs do not verify"):
        w3.eth.send_raw_transaction(network_form(swapped))
    broken = list(proofs)
    broken[130] = b"\x00" * 48
    with pytest.raises(Exception, match=r"cell proof 130 \(blob 1, cell 2\) is not a valid compressed G1 point"):
        w3.eth.send_raw_transaction(network_form(broken))
    assert w3.eth.get_transaction_count(sender.address, "pending") == nonce
    # A bundle carrying the transaction with its sidecar gets the same check.
    bundle = {"txs": ["0x" + network_form(swapped).hex()], "blockNumber": hex(w3.eth.block_number + 1)}
    status, body = rpc(node.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendBundle", "params": [bundle]})
    assert "txs[0]: blob sidecar: KZG cell proofs do not verify" in json.loads(body)["error"]["message"]

    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw), timeout=30)
    assert receipt["status"] == 1 and receipt["type"] == 3


def test_get_proof_verifies_against_the_state_root(w3):
    address = ACCOUNTS[0].address
    block = w3.eth.get_block("latest")
    proof = w3.eth.get_proof(address, [0], "latest")
    account = verify_proof(bytes(block["stateRoot"]), keccak(bytes.fromhex(address[2:])), proof["accountProof"])
    nonce, balance, storage_root, code_hash = rlp.decode(account)
    assert int.from_bytes(balance, "big") == w3.eth.get_balance(address) == proof["balance"]
    assert int.from_bytes(nonce, "big") == proof["nonce"]
    assert storage_root == bytes(proof["storageHash"]) and code_hash == bytes(proof["codeHash"])
    absent = w3.eth.get_proof(to_checksum_address("0x" + "de" * 20), [], "latest")
    assert verify_proof(bytes(block["stateRoot"]), keccak(b"\xde" * 20), absent["accountProof"]) is None


def test_fees_and_history(w3):
    assert w3.eth.gas_price > 0 and w3.eth.max_priority_fee > 0
    history = w3.eth.fee_history(3, "latest", [25, 75])
    assert len(history["baseFeePerGas"]) == len(history["gasUsedRatio"]) + 1
    assert len(history["reward"]) == len(history["gasUsedRatio"])


def test_flashbots_bundles(w3, node, store_contract):
    signer = Account.create()
    flashbot(w3, signer, node.url)
    a, b = ACCOUNTS[4], ACCOUNTS[5]

    def tx(account, nonce, **extra):
        base = {"chainId": CHAIN_ID, "nonce": nonce, "to": ACCOUNTS[8].address, "value": 10**15, "gas": 21_000,
                "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": 2 * GWEI}
        base.update(extra)
        return {"signed_transaction": account.sign_transaction(base).raw_transaction}

    bundle = [tx(a, w3.eth.get_transaction_count(a.address)), tx(b, w3.eth.get_transaction_count(b.address))]
    target = w3.eth.block_number + 1
    simulation = w3.flashbots.simulate(bundle, target)
    assert len(simulation["results"]) == 2 and simulation["totalGasUsed"] == 42_000
    assert int(simulation["coinbaseDiff"]) == 42_000 * 2 * GWEI
    response = w3.flashbots.send_bundle(bundle, target_block_number=target)
    w3.provider.make_request("evm_mine", [])
    block = w3.eth.get_block(target)
    hashes = [Web3.to_hex(keccak(bytes(item["signed_transaction"]))) for item in bundle]
    assert [Web3.to_hex(h) for h in block["transactions"][:2]] == hashes
    assert response.bundle_hash().hex().removeprefix("0x") == keccak(b"".join(keccak(bytes(i["signed_transaction"])) for i in bundle)).hex()

    # A bundle whose second transaction reverts is dropped whole, unless that transaction may revert.
    abi, bytecode = store_contract
    deployed = send(w3, a, {"data": bytecode + "00" * 31 + "07", "gas": 500_000})
    contract = w3.eth.contract(address=deployed["contractAddress"], abi=abi)
    data = contract.encode_abi(fn_name="store", args=[13]) if hasattr(contract, "encode_abi") else contract.encodeABI(fn_name="store", args=[13])
    first = tx(a, w3.eth.get_transaction_count(a.address))
    reverting = tx(b, w3.eth.get_transaction_count(b.address), to=contract.address, value=0, gas=100_000, data=data)
    target = w3.eth.block_number + 1
    w3.flashbots.send_bundle([first, reverting], target_block_number=target)
    w3.provider.make_request("evm_mine", [])
    assert w3.eth.get_block(target)["transactions"] == []
    target = w3.eth.block_number + 1
    reverting_hash = Web3.to_hex(keccak(bytes(reverting["signed_transaction"])))
    params = {"txs": [Web3.to_hex(first["signed_transaction"]), Web3.to_hex(reverting["signed_transaction"])],
              "blockNumber": target, "revertingTxHashes": [reverting_hash]}  # a decimal block number is accepted
    status, body = rpc(node.url, {"jsonrpc": "2.0", "id": 1, "method": "eth_sendBundle", "params": [params]})
    assert status == 200 and "bundleHash" in json.loads(body)["result"]
    w3.provider.make_request("evm_mine", [])
    included = w3.eth.get_block(target)["transactions"]
    assert len(included) == 2 and w3.eth.get_transaction_receipt(included[1])["status"] == 0


def test_malformed_requests_get_json_rpc_errors(w3, node):
    status, body = rpc(node.url, b'{"jsonrpc":"2.0","id":1,"method":', raw=True)
    assert status == 200 and json.loads(body)["error"]["code"] == -32700
    status, body = rpc(node.url, {"jsonrpc": "2.0", "id": 2, "method": "eth_noSuchMethod", "params": []})
    assert json.loads(body)["error"]["code"] == -32601
    status, body = rpc(node.url, {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0x1234", "latest"]})
    assert json.loads(body)["error"]["code"] == -32602
    status, body = rpc(node.url, {"jsonrpc": "2.0", "id": 4, "method": "eth_getBalance", "params": [{"x": 1}]})
    assert json.loads(body)["error"]["code"] == -32602
    status, body = rpc(node.url, {"id": 5, "method": "eth_chainId"})
    assert json.loads(body)["error"]["code"] == -32600
    status, body = rpc(node.url, {"jsonrpc": "2.0", "id": 6, "method": "eth_sendRawTransaction", "params": ["0xzz"]})
    assert json.loads(body)["error"]["code"] == -32602
    status, body = rpc(node.url, [{"jsonrpc": "2.0", "id": 7, "method": "eth_chainId"},
                                  {"jsonrpc": "2.0", "id": 8, "method": "eth_blockNumber"}, 5])
    answers = json.loads(body)
    assert [a.get("result") for a in answers[:2]] == [hex(CHAIN_ID), hex(w3.eth.block_number)]
    assert answers[2]["error"]["code"] == -32600
    status, body = rpc(node.url, b"[" + b" " * (11 << 20) + b"]", raw=True)
    assert status == 413
    assert w3.eth.chain_id == CHAIN_ID  # still serving


def test_websocket_subscriptions(w3, node):
    from websockets.sync.client import connect
    with connect(node.ws_url, max_size=1 << 24) as socket:
        socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}))
        heads_id = json.loads(socket.recv(timeout=10))["result"]
        socket.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "eth_chainId"}))
        assert json.loads(socket.recv(timeout=10))["result"] == hex(CHAIN_ID)
        w3.provider.make_request("evm_mine", [])
        message = json.loads(socket.recv(timeout=10))
        assert message["method"] == "eth_subscription" and message["params"]["subscription"] == heads_id
        assert int(message["params"]["result"]["number"], 16) == w3.eth.block_number
    status, body = rpc(node.url, {"jsonrpc": "2.0", "id": 9, "method": "eth_subscribe", "params": ["newHeads"]})
    assert "error" in json.loads(body)


def test_snapshot_revert_and_time(w3):
    account = ACCOUNTS[6]
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    before = w3.eth.block_number
    balance = w3.eth.get_balance(account.address)
    send(w3, account, {"to": ACCOUNTS[0].address, "value": 10**18, "gas": 21_000})
    assert w3.eth.block_number == before + 1
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True
    assert w3.eth.block_number == before and w3.eth.get_balance(account.address) == balance
    w3.provider.make_request("anvil_setBalance", [account.address, hex(12345)])
    assert w3.eth.get_balance(account.address) == 12345
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**22)])
    stamp = w3.eth.get_block("latest")["timestamp"]
    w3.provider.make_request("evm_increaseTime", [3600])
    w3.provider.make_request("evm_mine", [])
    mined = w3.eth.get_block("latest")["timestamp"]
    assert mined >= int(time.time()) + 3600 - 2 and mined > stamp
    w3.provider.make_request("evm_setNextBlockTimestamp", [mined + 100])
    w3.provider.make_request("evm_mine", [])
    assert w3.eth.get_block("latest")["timestamp"] == mined + 100


def test_acknowledged_transactions_and_blocks_survive_a_crash():
    with tempfile.TemporaryDirectory() as data_dir:
        first = L1Node("--slot-time", "86400", data_dir=data_dir)
        try:
            w3 = Web3(Web3.HTTPProvider(first.url))
            account = ACCOUNTS[7]
            send_now = account.sign_transaction({"chainId": CHAIN_ID, "nonce": 0, "to": ACCOUNTS[0].address, "value": 5,
                                                 "gas": 21_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI})
            w3.eth.send_raw_transaction(send_now.raw_transaction)
            w3.provider.make_request("evm_mine", [])
            mined_block = w3.eth.get_block("latest")
            pending = account.sign_transaction({"chainId": CHAIN_ID, "nonce": 1, "to": ACCOUNTS[0].address, "value": 6,
                                                "gas": 21_000, "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI})
            pending_hash = w3.eth.send_raw_transaction(pending.raw_transaction)
        finally:
            first.stop(kill=True)  # SIGKILL: no chance to flush anything
        second = L1Node("--slot-time", "86400", data_dir=data_dir)
        try:
            w3 = Web3(Web3.HTTPProvider(second.url))
            assert w3.eth.get_block(mined_block["number"])["hash"] == mined_block["hash"]
            assert w3.eth.get_transaction(pending_hash)["blockHash"] is None
            w3.provider.make_request("evm_mine", [])
            assert w3.eth.get_transaction_receipt(pending_hash)["status"] == 1
        finally:
            second.stop()
