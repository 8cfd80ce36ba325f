"""The builder's joint simulation (`lockstep_callBundle`, Specs/builder-api.md) with real processes: `lockstep l1`
with the EXECUTE precompile and the harness contracts (2-of-3 policy), `lockstep l2` handing off every slot, and
`lockstep builder`. The bundles are built and signed here with eth-account: a deposit on L1, a withdrawal and a
payment to the builder on the L2, the withdrawal's execution on L1."""
import json
import time
import urllib.request

import pytest
from eth_account import Account
from eth_utils import keccak
from web3 import Web3

from l1node import L1Node, L2Node, ServiceNode
from test_l2_deposits import ACCOUNTS, ETHER, GWEI, L1_CHAIN_ID, L2_CHAIN_ID, artifact, deploy

MESSENGER = Web3.to_checksum_address("0x1000000000000000000000000000000000000001")


class BuilderNode(ServiceNode):
    service = "builder"


def rpc(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def signed(account, tx):
    return "0x" + account.sign_transaction(tx).raw_transaction.hex()


@pytest.fixture(scope="module")
def harness():
    l1_node = L1Node("--slot-time", "4", "--execute-precompile")
    l2_node = L2Node("--dev", "--block-time", "0.5", "--slot-time", "4", "--based-window", "3", "--no-settlement",
                     "--l1-poll-interval", "0.1", "--l1-url", l1_node.url)
    builder = None
    try:
        l1 = Web3(Web3.HTTPProvider(l1_node.url, request_kwargs={"timeout": 30}))
        l2 = Web3(Web3.HTTPProvider(l2_node.url, request_kwargs={"timeout": 30}))
        rollup = deploy(l1, l2)
        # Two submission endpoints, one of them unreachable: the bundle still goes to the other.
        builder = BuilderNode("--dev", "--l1-url", l1_node.url, "--l2-url", l2_node.url, "--slot-time", "4",
                              "--l1-submit", "http://127.0.0.1:9", "--l1-submit", l1_node.url, quiet=False)
        yield l1, l2, rollup, builder
    finally:
        for node in (builder, l2_node, l1_node):
            if node is not None:
                node.stop()


def simulate(l1, l2, rollup, builder, executed_amount):
    """Waits for a fresh handoff and simulates the deposit → withdrawal → execution bundle for it."""
    searcher, executor = ACCOUNTS[2], ACCOUNTS[3]
    payee = Web3.to_checksum_address("0x" + "6e" * 20)
    builder_address = ACCOUNTS[8].address
    messenger = l2.eth.contract(address=MESSENGER, abi=artifact("L2Messenger")["abi"])
    for _attempt in range(5):
        deadline = time.time() + 20
        while True:
            handoff = rpc(l2.provider.endpoint_uri, "lockstep_getHandoff", [])["result"]
            if handoff and int(handoff["l1TargetBlockNumber"], 16) == l1.eth.block_number + 1:
                break
            assert time.time() < deadline, "no fresh handoff"
            time.sleep(0.1)
        target = int(handoff["l1TargetBlockNumber"], 16)
        fees = dict(maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=GWEI)
        deposit = signed(searcher, rollup.functions.sendToL2(searcher.address, b"").build_transaction(dict(
            fees, chainId=L1_CHAIN_ID, nonce=l1.eth.get_transaction_count(searcher.address), value=ETHER, gas=300_000,
            **{"from": searcher.address})))
        withdraw = signed(searcher, messenger.functions.sendToL1(payee, b"").build_transaction(dict(
            fees, chainId=L2_CHAIN_ID, nonce=l2.eth.get_transaction_count(searcher.address), value=ETHER // 2,
            gas=300_000, **{"from": searcher.address})))
        tip = signed(searcher, dict(fees, chainId=L2_CHAIN_ID, nonce=l2.eth.get_transaction_count(searcher.address) + 1,
                                    to=builder_address, value=ETHER // 100, gas=21_000))
        origin_key = bytes(12) + bytes.fromhex(searcher.address[2:])
        execute = signed(executor, rollup.functions.executeFromL2(
            origin_key, 0, searcher.address, payee, executed_amount, b"").build_transaction(dict(
                fees, chainId=L1_CHAIN_ID, nonce=l1.eth.get_transaction_count(executor.address), gas=300_000,
                **{"from": executor.address})))
        answer = rpc(builder.url, "lockstep_callBundle", [{
            "l1Before": [deposit], "l2": [withdraw, tip], "l1After": [execute], "blockNumber": target}])
        if "error" in answer and "current handoff" in answer["error"]["message"]:
            continue  # the slot turned between the handoff and the call: take the next one
        return answer, target
    raise AssertionError("could not simulate on a current handoff in 5 slots")


def test_a_cross_layer_bundle_simulates_on_both_layers(harness):
    l1, l2, rollup, builder = harness
    answer, target = simulate(l1, l2, rollup, builder, ETHER // 2)
    result = answer["result"]
    assert result["ok"] is True, result.get("failure")
    assert int(result["blockNumber"], 16) == target
    assert int(result["deposits"], 16) == 1
    assert [tx.get("error") for tx in result["l1Before"] + result["l2"] + result["l1After"]] == [None] * 4
    assert int(result["submission"]["gasUsed"], 16) > 100_000
    # The builder's value: the 0.01 ETH payment plus the L2 priority fees; nothing on L1.
    assert int(result["l2Value"], 16) > ETHER // 100 and int(result["l1Value"], 16) == 0
    assert int(result["value"], 16) == int(result["l2Value"], 16)
    assert int(result["basedBlock"]["number"], 16) > 0


def test_a_failing_post_assertion_rejects_the_bundle_on_its_layer(harness):
    l1, l2, rollup, builder = harness
    answer, _ = simulate(l1, l2, rollup, builder, ETHER)  # executes more than was withdrawn
    result = answer["result"]
    assert result["ok"] is False
    assert result["failure"]["layer"] == "l1After"
    assert "withdrawal: not verified" in result["failure"]["reason"]
    assert result["l1After"][0]["error"] == "execution reverted"


def test_a_bundle_for_another_block_is_refused(harness):
    l1, _, _, builder = harness
    tx = signed(ACCOUNTS[4], dict(chainId=L2_CHAIN_ID, nonce=0, to="0x" + "77" * 20, value=1, gas=21_000,
                                  maxFeePerGas=50 * GWEI, maxPriorityFeePerGas=GWEI))
    answer = rpc(builder.url, "lockstep_callBundle", [{"l2": [tx], "blockNumber": l1.eth.block_number + 50}])
    assert "the current handoff is for L1 block" in answer["error"]["message"]


def test_of_two_conflicting_bundles_the_higher_value_one_lands(harness):
    l1, l2, _, builder = harness
    searcher, builder_address = ACCOUNTS[4], ACCOUNTS[8].address
    nonce = l2.eth.get_transaction_count(searcher.address)
    fees = dict(maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=GWEI, chainId=L2_CHAIN_ID, gas=21_000, nonce=nonce,
                to=builder_address)
    low = signed(searcher, dict(fees, value=ETHER // 100))
    high = signed(searcher, dict(fees, value=ETHER // 50))  # the same nonce: only one can land
    before = l2.eth.get_balance(builder_address)
    target = l1.eth.block_number + 2
    hashes = {}
    for name, tx in (("low", low), ("high", high)):
        answer = rpc(builder.url, "lockstep_sendBundle", [{"l2": [tx], "blockNumber": target}])
        hashes[name] = answer["result"]["bundleHash"]
    deadline = time.time() + 40
    while True:
        statuses = {name: rpc(builder.url, "lockstep_getBundleStatus", [h])["result"] for name, h in hashes.items()}
        if all(s["status"] in ("landed", "notLanded", "rejected") for s in statuses.values()):
            break
        assert time.time() < deadline, statuses
        time.sleep(0.2)
    assert statuses["high"]["status"] == "landed", statuses
    assert int(statuses["high"]["value"], 16) > ETHER // 50
    assert statuses["low"]["status"] == "notLanded" and "not merged" in statuses["low"]["reason"], statuses
    # The sequencer adopts the based block: the higher payment reached the builder on the L2.
    deadline = time.time() + 20
    while l2.eth.get_balance(builder_address) - before < ETHER // 50:
        assert time.time() < deadline, "the based block was not adopted"
        time.sleep(0.2)
    receipt = l2.eth.get_transaction_receipt(keccak(bytes.fromhex(high[2:])))
    block = l2.provider.make_request("eth_getBlockByNumber", [hex(receipt["blockNumber"]), False])["result"]
    assert block["kind"] == "based" and int(block["l1AnchorNumber"], 16) == target - 1
    # The builder's log reports the unreachable endpoint and the one that took the bundle.
    assert any("to 1 endpoint(s); 1 endpoint(s) failed: http://127.0.0.1:9" in line for line in builder.output), "".join(builder.output)


def test_bundles_beyond_one_execute_proof_wait_and_the_rest_lands_after_one_full_simulation(harness):
    """The EXECUTE proof carries the based block's witness, which grows with every account the block touches, and the
    Rollup takes at most MAX_PROOF_DATA (64 KiB) of it: of 400 payments from 400 senders for one block (their bytes
    fit MAX_BLOCK_DATA), the auction keeps what its estimate from the drafts fits, sends it after a single full
    simulation, and says why the rest did not land (Specs/builder-api.md, "Merging and submission")."""
    l1, l2, _, builder = harness
    builder_address = ACCOUNTS[8].address
    senders = [Account.from_key(keccak(text=f"proof budget sender {i}")) for i in range(400)]
    fees = dict(maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=GWEI, chainId=L2_CHAIN_ID, gas=21_000)
    # Funded from four development accounts, 60 at a time each (the pool keeps 64 per sender).
    waiting = list(senders)
    deadline = time.time() + 60
    while waiting:
        sent = {}
        for funder in (ACCOUNTS[0], ACCOUNTS[1], ACCOUNTS[6], ACCOUNTS[7]):
            batch, waiting = waiting[:60], waiting[60:]
            nonce = l2.eth.get_transaction_count(funder.address)
            for offset, sender in enumerate(batch):
                l2.eth.send_raw_transaction(signed(funder, dict(fees, nonce=nonce + offset, to=sender.address,
                                                                value=ETHER // 10)))
            sent[funder.address] = nonce + len(batch)
        while any(l2.eth.get_transaction_count(address) < nonce for address, nonce in sent.items()):
            assert time.time() < deadline, "the senders were not funded"
            time.sleep(0.2)
    payments = [signed(sender, dict(fees, nonce=0, to=builder_address, value=ETHER // 1000 + i))
                for i, sender in enumerate(senders)]
    head = l1.eth.block_number
    while l1.eth.block_number == head:  # early in a slot, well before the handoff for head + 2
        time.sleep(0.05)
    target = head + 2
    hashes = [rpc(builder.url, "lockstep_sendBundle", [{"l2": [tx], "blockNumber": target}])["result"]["bundleHash"]
              for tx in payments]
    deadline = time.time() + 60
    while True:
        statuses = [rpc(builder.url, "lockstep_getBundleStatus", [h])["result"] for h in hashes]
        if all(s["status"] in ("landed", "notLanded", "rejected") for s in statuses):
            break
        assert time.time() < deadline, [s["status"] for s in statuses]
        time.sleep(0.5)
    landed = [s for s in statuses if s["status"] == "landed"]
    over = [s for s in statuses if s["status"] == "notLanded" and "its execute proof would exceed MAX_PROOF_DATA" in s["reason"]]
    # The least valuable bundles do not fit MAX_BLOCK_DATA (in this small L2 state a proof is short): the block-data
    # budget leaves them out before the estimate.
    data = [s for s in statuses if s["status"] == "notLanded" and "more valuable bundles filled it" in s["reason"]]
    assert len(landed) >= 50 and over, {s["status"] + ": " + (s.get("reason") or "") for s in statuses}
    assert len(landed) + len(over) + len(data) == len(senders), {s["status"] + ": " + (s.get("reason") or "") for s in statuses}
    # The most valuable payments landed (the estimate cuts the value order, it does not pick).
    assert min(int(s["value"], 16) for s in landed) > max(int(s["value"], 16) for s in over + data)
    line = next(line for line in builder.output if f"L1 block {target}: sent" in line)
    assert f"sent {len(landed)} bundle(s) of" in line and "1 full simulation(s)" in line, line


def test_raw_submission_mode_refuses_l1_legs_and_lands_l2_only_bundles(harness):
    """`--submit-mode raw`, for an L1 without eth_sendBundle: the submission goes alone through
    eth_sendRawTransaction, so a bundle with L1 transactions is refused with the reason, and an L2-only one lands."""
    l1, l2, rollup, _ = harness
    l1_url = l1.provider.endpoint_uri
    raw = BuilderNode("--dev", "--l1-url", l1_url, "--l2-url", l2.provider.endpoint_uri, "--slot-time", "4",
                      "--submit-mode", "raw", quiet=False)
    try:
        searcher = ACCOUNTS[5]
        fees = dict(maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=GWEI)
        deposit = signed(searcher, rollup.functions.sendToL2(searcher.address, b"").build_transaction(dict(
            fees, chainId=L1_CHAIN_ID, nonce=l1.eth.get_transaction_count(searcher.address), value=ETHER, gas=300_000,
            **{"from": searcher.address})))
        answer = rpc(raw.url, "lockstep_sendBundle", [{"l1Before": [deposit], "blockNumber": l1.eth.block_number + 2}])
        assert "--submit-mode raw" in answer["error"]["message"] and "l2 transactions only" in answer["error"]["message"]
        for _attempt in range(4):
            head = l1.eth.block_number
            while l1.eth.block_number == head:  # early in a slot, before the handoff
                time.sleep(0.05)
            payment = signed(searcher, dict(fees, chainId=L2_CHAIN_ID, nonce=l2.eth.get_transaction_count(searcher.address),
                                            to=ACCOUNTS[8].address, value=ETHER // 100, gas=21_000))
            bundle_hash = rpc(raw.url, "lockstep_sendBundle", [{"l2": [payment], "blockNumber": head + 2}])["result"]["bundleHash"]
            deadline = time.time() + 30
            while True:
                status = rpc(raw.url, "lockstep_getBundleStatus", [bundle_hash])["result"]
                if status["status"] in ("landed", "notLanded", "rejected"):
                    break
                assert time.time() < deadline, status
                time.sleep(0.2)
            if status["status"] == "landed":
                break
        assert status["status"] == "landed", status
        # The submission reached block N on its own, without a bundle around it.
        block = l1.eth.get_block(head + 2, full_transactions=True)
        assert [tx["from"] for tx in block["transactions"] if tx["to"] == rollup.address].count(ACCOUNTS[8].address) == 1
    finally:
        raw.stop()


def test_a_landed_bundle_whose_l1_block_is_reorged_out_is_reported_not_landed(harness):
    """Inclusion tracking follows the canonical block: after evm_revert replaces L1 block N with one that does not
    hold the builder's submission, the bundle that had landed there is notLanded, with the reason."""
    l1, l2, _, builder = harness
    searcher = ACCOUNTS[6]
    for _attempt in range(4):
        head = l1.eth.block_number
        while l1.eth.block_number == head:  # early in a slot, before the handoff
            time.sleep(0.05)
        head += 1
        snapshot = l1.provider.make_request("evm_snapshot", [])["result"]
        payment = signed(searcher, dict(maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=GWEI, chainId=L2_CHAIN_ID,
                                        nonce=l2.eth.get_transaction_count(searcher.address), to=ACCOUNTS[8].address,
                                        value=ETHER // 100, gas=21_000))
        bundle_hash = rpc(builder.url, "lockstep_sendBundle", [{"l2": [payment], "blockNumber": head + 1}])["result"]["bundleHash"]
        deadline = time.time() + 20
        while True:
            status = rpc(builder.url, "lockstep_getBundleStatus", [bundle_hash])["result"]
            if status["status"] in ("landed", "notLanded", "rejected"):
                break
            assert time.time() < deadline, status
            time.sleep(0.1)
        if status["status"] == "landed":
            break
    assert status["status"] == "landed", status
    landed_block = l1.eth.get_block(head + 1)["hash"]
    assert l1.provider.make_request("evm_revert", [snapshot])["result"] is True
    deadline = time.time() + 30
    while True:
        status = rpc(builder.url, "lockstep_getBundleStatus", [bundle_hash])["result"]
        if status["status"] == "notLanded":
            break
        assert time.time() < deadline, status
        time.sleep(0.2)
    assert "reorged out" in status["reason"], status
    assert l1.eth.get_block(head + 1)["hash"] != landed_block  # judged on the new block N, once it exists


def test_a_bundle_submitted_before_a_crash_is_judged_after_the_restart(harness, tmp_path):
    """The builder is killed between sending a bundle to the L1 and seeing its block: after the restart (same
    --data-dir) the bundle, still `submitted` on disk, is judged landed from the builder's own submission in block N."""
    l1, l2, _, _ = harness
    args = ["--dev", "--l1-url", l1.provider.endpoint_uri, "--l2-url", l2.provider.endpoint_uri, "--slot-time", "4"]
    searcher = ACCOUNTS[7]
    node = BuilderNode(*args, data_dir=str(tmp_path))
    try:
        for _attempt in range(4):
            head = l1.eth.block_number
            while l1.eth.block_number == head:
                time.sleep(0.05)
            payment = signed(searcher, dict(maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=GWEI, chainId=L2_CHAIN_ID,
                                            nonce=l2.eth.get_transaction_count(searcher.address), to=ACCOUNTS[8].address,
                                            value=ETHER // 100, gas=21_000))
            bundle_hash = rpc(node.url, "lockstep_sendBundle", [{"l2": [payment], "blockNumber": head + 2}])["result"]["bundleHash"]
            deadline = time.time() + 20
            while True:
                status = rpc(node.url, "lockstep_getBundleStatus", [bundle_hash])["result"]
                if status["status"] in ("submitted", "landed", "notLanded", "rejected"):
                    break
                assert time.time() < deadline, status
                time.sleep(0.02)
            if status["status"] == "submitted" and l1.eth.block_number < head + 2:
                break
        assert status["status"] == "submitted", status
        node.stop(kill=True)  # before block N: the in-memory list of sent submissions is gone
        node = BuilderNode(*args, data_dir=str(tmp_path))
        deadline = time.time() + 20
        while True:
            status = rpc(node.url, "lockstep_getBundleStatus", [bundle_hash])["result"]
            if status["status"] in ("landed", "notLanded"):
                break
            assert time.time() < deadline, status
            time.sleep(0.2)
        assert status["status"] == "landed" and "after a restart" in status["reason"], status
    finally:
        node.stop()


class LyingProver:
    """An attestation prover that signs the wrong public inputs (account 6's key over a hash of its own): what a
    broken or dishonest prover looks like to the builder. A test double of the network peer only; the real prover
    beside it is `lockstep prove`."""

    def __init__(self, rollup_address):
        import http.server
        import eth_account.messages

        key = ACCOUNTS[6]

        class Handler(http.server.BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                wrong = keccak(b"not the block the builder asked about")
                signable = eth_account.messages.encode_typed_data(full_message={
                    "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                               {"name": "chainId", "type": "uint256"},
                                               {"name": "verifyingContract", "type": "address"}],
                              "Attestation": [{"name": "publicInputsHash", "type": "bytes32"}]},
                    "primaryType": "Attestation",
                    "domain": {"name": "Lockstep", "version": "1", "chainId": L1_CHAIN_ID, "verifyingContract": rollup_address},
                    "message": {"publicInputsHash": wrong}})
                signed = key.sign_message(signable)
                signature = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
                answer = {"jsonrpc": "2.0", "id": body["id"], "result": {
                    "publicInputsHash": "0x" + wrong.hex(), "signature": "0x" + signature.hex(), "prover": key.address}}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        import threading
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


class ProverNode(ServiceNode):
    service = "prove"


def test_a_prover_that_signs_the_wrong_root_is_left_out_and_the_builder_says_why(harness):
    """With one honest prover and one that signs other public inputs, the attestation falls short of 2 of 3: the
    Rollup refuses the submission in the joint simulation, and the failure names the lying prover."""
    l1, l2, rollup, _ = harness
    honest = ProverNode("--dev")
    liar = LyingProver(rollup.address)
    builder = BuilderNode("--dev", "--l1-url", l1.provider.endpoint_uri, "--l2-url", l2.provider.endpoint_uri,
                          "--slot-time", "4", "--prover-url", honest.url, "--prover-url", liar.url)
    try:
        answer, _ = simulate(l1, l2, rollup, builder, ETHER // 2)
        result = answer["result"]
        assert result["ok"] is False, result
        assert result["failure"]["layer"] == "submission", result["failure"]
        assert "signed other public inputs" in result["failure"]["reason"] and liar.url in result["failure"]["reason"]
        assert ACCOUNTS[6].address in result["failure"]["reason"]
    finally:
        builder.stop()
        liar.stop()
        honest.stop()
